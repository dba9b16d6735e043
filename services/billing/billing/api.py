"""HTTP queries of the billing service: prorated lines, and invoices as JSON or HTML."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Header
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from billing.charges import InvoiceLine
from billing.invoice_store import InvoiceRepository
from billing.invoicing import Invoice
from billing.rendering import render_invoice
from billing.store import BillingRepository
from contracts.errors import Refusal, RuleViolation, not_found
from contracts.values import Money
from servicekit.auth import Caller
from servicekit.runtime import ServiceRuntime


class LineView(BaseModel):
    line_id: str
    subscription_id: str
    kind: str
    description: str
    period_start: datetime
    period_end: datetime
    quantity_delta: int
    unit_price: Money
    days_remaining: int
    days_in_term: int
    amount: Money
    invoice_id: str | None

    @classmethod
    def of(cls, line: InvoiceLine) -> "LineView":
        return cls(**{k: getattr(line, k) for k in cls.model_fields if k != "kind"}, kind=line.kind.value)


class PendingLines(BaseModel):
    subscription_id: str
    lines: list[LineView]
    total: Money | None


class InvoiceSummary(BaseModel):
    invoice_id: str
    number: str
    kind: str
    po_number: str | None
    issued_at: datetime
    total: Money
    url: str


class InvoiceView(InvoiceSummary):
    account_id: str
    lines: list[LineView]


def routes(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["billing"])
    public_url = runtime.settings.resolved_public_url()

    def summary(invoice: Invoice) -> dict:
        return dict(invoice_id=invoice.invoice_id, number=invoice.number, kind=invoice.kind.value,
                    po_number=invoice.po_number, issued_at=invoice.issued_at, total=invoice.total,
                    url=f"{public_url}/invoices/{invoice.invoice_id}")

    @router.get("/subscriptions/{subscription_id}/invoice-lines",
                summary="Prorated lines of a subscription: seats, tier changes, add-ons (R29)")
    async def lines(subscription_id: str, caller: Caller = runtime.authenticated) -> PendingLines:
        async with runtime.db.connect() as conn:
            repo = BillingRepository(conn)
            if not await repo.administers(caller.person_id, caller.account_id, subscription_id):
                raise not_found("subscription", subscription_id)
            found = await repo.lines_of(subscription_id, prorated_only=True)
        total = (Money(amount_minor=sum(l.amount.amount_minor for l in found),
                       currency=found[0].amount.currency) if found else None)
        return PendingLines(subscription_id=subscription_id, total=total, lines=[LineView.of(l) for l in found])

    @router.get("/invoices", summary="The invoices of your account, newest first (R6, R30)")
    async def invoices(caller: Caller = runtime.authenticated) -> list[InvoiceSummary]:
        async with runtime.db.connect() as conn:
            if not await BillingRepository(conn).administers_in(caller.person_id, caller.account_id):
                raise RuleViolation("not_an_administrator", "R6: only an administrator of one of the "
                                    "account's subscriptions can read its invoices; ask one of them.",
                                    rule="R6", refusal=Refusal.FORBIDDEN)
            found = await InvoiceRepository(conn).of_account(caller.account_id)
        return [InvoiceSummary(**summary(invoice)) for invoice in found]

    async def visible_invoice(invoice_id: str, caller: Caller) -> Invoice:
        """R6: another account's invoice, or one the caller administers nothing of, is a 404."""
        async with runtime.db.connect() as conn:
            invoice = await InvoiceRepository(conn).get(invoice_id)
            if (invoice is None or invoice.account_id != caller.account_id
                    or not await BillingRepository(conn).administers_in(caller.person_id, caller.account_id)):
                raise not_found("invoice", invoice_id)
        return invoice

    @router.get("/invoices/{invoice_id}.html", response_class=HTMLResponse,
                summary="An invoice, rendered as HTML")
    async def invoice_html(invoice_id: str, caller: Caller = runtime.authenticated) -> HTMLResponse:
        return HTMLResponse(render_invoice(await visible_invoice(invoice_id, caller)))

    @router.get("/invoices/{invoice_id}", summary="An invoice (JSON; HTML with `Accept: text/html`)",
                response_model=InvoiceView)
    async def invoice(invoice_id: str, caller: Caller = runtime.authenticated,
                      accept: str | None = Header(None)):
        found = await visible_invoice(invoice_id, caller)
        if accept and "text/html" in accept:
            return HTMLResponse(render_invoice(found))
        return InvoiceView(**summary(found), account_id=found.account_id,
                           lines=[LineView.of(line) for line in found.lines])

    return router
