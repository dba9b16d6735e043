"""HTTP queries of the billing service: prorated lines, and invoices as JSON or HTML."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field

from billing.charges import InvoiceLine
from billing.invoice_store import InvoiceRepository
from billing.invoicing import Invoice
from billing.rendering import render_invoice
from billing.store import BillingRepository
from contracts.errors import Refusal, RuleViolation, not_found
from contracts.values import Money
from servicekit.http.auth import Caller
from servicekit.http.pagination import MAX_PAGE_SIZE, PageRequest, page_request, paged
from servicekit.runtime import ServiceRuntime

# Who may call each route (issue 11, item 22).
ADMINISTRATOR_OF_IT = ("The subscription's administrator only, signed in (bearer token) for the account "
                       "that owns it (R6). Anyone else gets 404, exactly as for a subscription that does "
                       "not exist.")
ACCOUNT_ADMINISTRATOR = ("A signed-in person who administers at least one subscription of the account "
                         "their token acts for (R6); any other person gets 403 `not_an_administrator`.")
INVOICE_READER = ("A signed-in person who administers at least one subscription of the invoice's "
                  "account, acting for it (R6). Any other invoice answers 404, exactly as one that "
                  "does not exist.")
PAGES = (f"A page at a time: at most `limit` (default 100, at most {MAX_PAGE_SIZE}) items; the next "
         "page is in the `Link: rel=\"next\"` and `X-Next-Cursor` headers.")


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
    lines: list[LineView] = Field(description="One page of the lines, oldest period first.")
    total: Money | None = Field(description="The sum of every line (all pages); null when there is none.")


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

    @router.get("/subscriptions/{subscription_id}/invoice-lines", response_model=PendingLines,
                summary="Prorated lines of a subscription: seats, tier changes, add-ons (R29)",
                description=f"{ADMINISTRATOR_OF_IT} {PAGES.replace('items', 'lines')}")
    async def lines(subscription_id: str, request: Request, page: Annotated[PageRequest, Depends(page_request)],
                    caller: Caller = runtime.authenticated):
        async with runtime.db.connect() as conn:
            repo = BillingRepository(conn)
            if not await repo.administers(caller.person_id, caller.account_id, subscription_id):
                raise not_found("subscription", subscription_id)
            found = await repo.page_of_lines(subscription_id, page, prorated_only=True)
            total = await repo.total_of_lines(subscription_id, prorated_only=True)
        # The kit's page of a list, wrapped in this route's object: the links are the same.
        listed = paged(request, page, found, lambda line: (line.period_start, line.line_id), LineView.of)
        body = PendingLines(subscription_id=subscription_id, total=total,
                            lines=[LineView.of(line) for line in found[:page.limit]])
        return JSONResponse(jsonable_encoder(body), headers={
            name: value for name, value in listed.headers.items() if name.lower() in ("link", "x-next-cursor")})

    @router.get("/invoices", response_model=list[InvoiceSummary],
                summary="The invoices of your account, newest first (R6, R30)",
                description=f"{ACCOUNT_ADMINISTRATOR} {PAGES.replace('items', 'invoices')}")
    async def invoices(request: Request, page: Annotated[PageRequest, Depends(page_request)],
                       caller: Caller = runtime.authenticated):
        async with runtime.db.connect() as conn:
            if not await BillingRepository(conn).administers_in(caller.person_id, caller.account_id):
                raise RuleViolation("not_an_administrator", "R6: only an administrator of one of the "
                                    "account's subscriptions can read its invoices; ask one of them.",
                                    rule="R6", refusal=Refusal.FORBIDDEN)
            found = await InvoiceRepository(conn).page_of_account(caller.account_id, page)
        return paged(request, page, found, lambda invoice: (invoice.issued_at, invoice.number),
                     lambda invoice: InvoiceSummary(**summary(invoice)))

    async def visible_invoice(invoice_id: str, caller: Caller) -> Invoice:
        """R6: another account's invoice, or one the caller administers nothing of, is a 404."""
        async with runtime.db.connect() as conn:
            invoice = await InvoiceRepository(conn).get(invoice_id)
            if (invoice is None or invoice.account_id != caller.account_id
                    or not await BillingRepository(conn).administers_in(caller.person_id, caller.account_id)):
                raise not_found("invoice", invoice_id)
        return invoice

    @router.get("/invoices/{invoice_id}.html", response_class=HTMLResponse,
                summary="An invoice, rendered as HTML", description=INVOICE_READER)
    async def invoice_html(invoice_id: str, caller: Caller = runtime.authenticated) -> HTMLResponse:
        return HTMLResponse(render_invoice(await visible_invoice(invoice_id, caller)))

    @router.get("/invoices/{invoice_id}", summary="An invoice (JSON; HTML with `Accept: text/html`)",
                response_model=InvoiceView, description=f"{INVOICE_READER} The link of the invoice e-mail.")
    async def invoice(invoice_id: str, caller: Caller = runtime.authenticated,
                      accept: str | None = Header(None)):
        found = await visible_invoice(invoice_id, caller)
        if accept and "text/html" in accept:
            return HTMLResponse(render_invoice(found))
        return InvoiceView(**summary(found), account_id=found.account_id,
                           lines=[LineView.of(line) for line in found.lines])

    return router
