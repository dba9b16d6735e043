"""The invoices of an account, newest first, and one invoice as JSON or HTML (R6, R30, R32),
each with its payment state (issue 15, item 5)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from billing.adapters.rendering import render_invoice
from billing.api.deps import PortalUrl
from billing.api.schemas import PAGES, LineView
from billing.domain.invoices import Invoice, InvoiceKind, vat_summary_view
from billing.domain.parties import Buyer, Seller
from billing.domain.payments import Balance, PaymentState
from billing.store.uow import BillingUnitOfWork
from contracts.billing import VatSubtotalView
from contracts.errors import Refusal, RuleViolation, not_found
from contracts.parties import PostalAddress
from contracts.values import Money
from servicekit.http.auth import Caller
from servicekit.http.deps import CurrentCaller
from servicekit.http.pagination import PageRequest, page_request, paged
from servicekit.runtime import Runtime, ServiceRuntime

# Who may call each route (issue 11, item 22).
ACCOUNT_ADMINISTRATOR = (
    "A signed-in person who administers at least one subscription of the account "
    "their token acts for (R6); any other person gets 403 `not_an_administrator`."
)
INVOICE_READER = (
    "A signed-in person who administers at least one subscription of the invoice's "
    "account, acting for it (R6). Any other invoice answers 404, exactly as one that "
    "does not exist."
)

router = APIRouter(tags=["billing"])


class InvoiceSummary(BaseModel):
    invoice_id: str
    number: str
    kind: str
    po_number: str | None
    issued_at: datetime
    due_on: date
    net_total: Money = Field(description="The exact sum of the lines (R32).")
    vat_total: Money = Field(description="The VAT summary's sum.")
    total: Money = Field(description="Payable: net_total + vat_total.")
    payment_reference: str = Field(description="ISO 11649 creditor reference (`RF…`) a transfer should quote.")
    state: str = Field(
        description="Payment state: `open`, `partially_paid`, `paid`, `overdue` (past `due_on`, not paid in "
        "full), `void` or `uncollectible` (written off). A credit note is `paid`: it has nothing to pay."
    )
    paid: Money = Field(description="Received and applied so far, net of returned payments.")
    open_amount: Money = Field(description="Still to pay: `total` less what was paid and credited.")
    url: str


class PartyView(BaseModel):
    legal_name: str
    address: PostalAddress | None
    vat_number: str | None


class PayToView(BaseModel):
    account_holder: str
    iban: str
    bic: str


class InvoiceView(InvoiceSummary):
    account_id: str
    pay_to: PayToView | None = Field(
        description="Where a transfer goes: the seller's bank account, with `payment_reference` quoted. Null on a "
        "credit note (nothing to pay) and on invoices issued before sellers were recorded."
    )
    seller: PartyView | None = Field(description="Null for invoices issued before sellers were recorded.")
    buyer: PartyView
    vat: list[VatSubtotalView]
    corrects: str | None = Field(description="A credit note: the number of the invoice it corrects.")
    lines: list[LineView]


def _summary(invoice: Invoice, balance: Balance | None, portal_url: str) -> dict[str, Any]:
    currency = invoice.total.currency
    if balance is None:  # not expected: issuing makes one, and migration 0004 made the older ones'
        state, paid, owed = PaymentState.OPEN, 0, max(invoice.total.amount_minor, 0)
    else:
        state, paid, owed = balance.state, balance.paid_minor, balance.open_minor
    return dict(
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        kind=invoice.kind.value,
        po_number=invoice.po_number,
        issued_at=invoice.issued_at,
        due_on=invoice.due_on,
        net_total=invoice.net_total,
        vat_total=invoice.vat_total,
        total=invoice.total,
        payment_reference=invoice.payment_reference,
        state=state.value,
        paid=Money(amount_minor=paid, currency=currency),
        open_amount=Money(amount_minor=owed, currency=currency),
        url=f"{portal_url}/invoices/{invoice.invoice_id}",
    )


def _party(party: Seller | Buyer) -> PartyView:
    return PartyView(legal_name=party.legal_name, address=party.address, vat_number=party.vat_number)


@router.get(
    "/invoices",
    response_model=list[InvoiceSummary],
    summary="The invoices of your account, newest first (R6, R30)",
    description=f"{ACCOUNT_ADMINISTRATOR} {PAGES.replace('items', 'invoices')}",
)
async def invoices(
    request: Request,
    page: Annotated[PageRequest, Depends(page_request)],
    caller: CurrentCaller,
    runtime: Runtime,
    portal_url: PortalUrl,
) -> JSONResponse:
    uow: BillingUnitOfWork
    async with runtime.uow() as uow:
        if not await uow.subscriptions.administers_in(caller.person_id, caller.account_id):
            raise RuleViolation(
                "not_an_administrator",
                "R6: only an administrator of one of the "
                "account's subscriptions can read its invoices; ask one of them.",
                rule="R6",
                refusal=Refusal.FORBIDDEN,
            )
        found = await uow.invoices.page_of_account(caller.account_id, page)
        balances = await uow.payments.balances([invoice.invoice_id for invoice in found])
    return paged(
        request,
        page,
        found,
        lambda invoice: (invoice.issued_at, invoice.number),
        lambda invoice: InvoiceSummary(**_summary(invoice, balances.get(invoice.invoice_id), portal_url)),
    )


async def _visible_invoice(invoice_id: str, caller: Caller, runtime: ServiceRuntime[Any]) -> Invoice:
    """R6: another account's invoice, or one the caller administers nothing of, is a 404."""
    return (await _visible_invoice_and_balance(invoice_id, caller, runtime))[0]


async def _visible_invoice_and_balance(
    invoice_id: str, caller: Caller, runtime: ServiceRuntime[Any]
) -> tuple[Invoice, Balance | None]:
    uow: BillingUnitOfWork
    async with runtime.uow() as uow:
        invoice = await uow.invoices.get(invoice_id)
        if (
            invoice is None
            or invoice.account_id != caller.account_id
            or not await uow.subscriptions.administers_in(caller.person_id, caller.account_id)
        ):
            raise not_found("invoice", invoice_id)
        balance = await uow.payments.balance(invoice_id)
    return invoice, balance


@router.get(
    "/invoices/{invoice_id}.html",
    response_class=HTMLResponse,
    summary="An invoice, rendered as HTML",
    description=INVOICE_READER,
)
async def invoice_html(invoice_id: str, caller: CurrentCaller, runtime: Runtime) -> HTMLResponse:
    return HTMLResponse(render_invoice(await _visible_invoice(invoice_id, caller, runtime)))


@router.get(
    "/invoices/{invoice_id}",
    summary="An invoice (JSON; HTML with `Accept: text/html`)",
    response_model=InvoiceView,
    description=f"{INVOICE_READER} The link of the invoice e-mail.",
)
async def invoice(
    invoice_id: str,
    caller: CurrentCaller,
    runtime: Runtime,
    portal_url: PortalUrl,
    accept: Annotated[str | None, Header()] = None,
) -> HTMLResponse | InvoiceView:
    found, balance = await _visible_invoice_and_balance(invoice_id, caller, runtime)
    if accept and "text/html" in accept:
        return HTMLResponse(render_invoice(found))
    return invoice_view(found, balance, portal_url)


def invoice_view(found: Invoice, balance: Balance | None, portal_url: str) -> InvoiceView:
    return InvoiceView(
        **_summary(found, balance, portal_url),
        account_id=found.account_id,
        seller=_party(found.seller) if found.seller else None,
        pay_to=(
            PayToView(account_holder=found.seller.legal_name, iban=found.seller.iban, bic=found.seller.bic)
            if found.seller and found.kind is InvoiceKind.INVOICE
            else None
        ),
        buyer=_party(found.buyer),
        vat=vat_summary_view(found),
        corrects=found.corrects,
        lines=[LineView.of(line) for line in found.lines],
    )
