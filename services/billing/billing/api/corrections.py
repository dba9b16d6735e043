"""An operator's credit note against an issued invoice (issue 15, item 7). Operators only
(`servicekit.http.deps.REQUIRES_OPERATOR`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from billing.api.deps import InvoicingDep, PortalUrl
from billing.api.invoices import InvoiceView, invoice_view
from billing.api.payments import MAX_AMOUNT_MINOR, OPERATOR_ONLY
from billing.handlers.corrections import credit_invoice
from billing.store.uow import BillingUnitOfWork
from servicekit.http.deps import REQUIRES_OPERATOR, Commands
from servicekit.http.fields import Line

router = APIRouter(prefix="/ops", tags=["operations"], dependencies=[REQUIRES_OPERATOR])


class CreditRequest(BaseModel):
    reason: Line = Field(min_length=1, max_length=500, description="Why the invoice is corrected (one line).")
    lines: dict[str, int] | None = Field(
        None,
        max_length=500,
        description="Line id → net amount to credit (minor units, positive, at most the line's). "
        "Absent: every line in full.",
    )


@router.post(
    "/invoices/{invoice_id}/credit-note",
    response_model=InvoiceView,
    status_code=201,
    summary="Correct an invoice: issue a credit note that references it",
    description=(
        f"{OPERATOR_ONLY} An issued invoice never changes: the credit note takes back every line, or "
        "the amounts given per line, from the same seller to the same buyer at the VAT it was invoiced "
        "at, numbered in the seller's credit-note series, with the reason. It lowers what the invoice "
        "owes (voiding it when nothing was paid). 409 `not_creditable` (a credit note, or an invoice "
        "issued before sellers and VAT were recorded) or `credit_exceeds_invoice` (its credit notes "
        "together would take back more than it charged). Send an `Idempotency-Key`: a retry issues "
        "nothing twice."
    ),
)
async def credit_note(
    invoice_id: str,
    body: CreditRequest,
    request: Request,
    commands: Commands,
    invoicing: InvoicingDep,
    portal_url: PortalUrl,
) -> JSONResponse:
    amounts = body.lines
    if amounts is not None and any(not 0 < amount <= MAX_AMOUNT_MINOR for amount in amounts.values()):
        amounts = {line: 0 for line in amounts}  # refused by the rule with its message

    async def act(uow: BillingUnitOfWork) -> InvoiceView:
        # The cause names the request: a retry without a key issues another credit note, which
        # the "never more than charged" rule then bounds.
        asked = f"credit:{invoice_id}:{request.headers.get('idempotency-key') or uuid.uuid4()}"
        cause = f"cn-{uuid.uuid5(uuid.NAMESPACE_URL, asked).hex[:20]}"  # short: each line's cause adds its id
        note = await credit_invoice(invoice_id, amounts, body.reason, cause, uow, invoicing)
        return invoice_view(note, await uow.payments.balance(note.invoice_id), portal_url)

    return await commands.run(request, None, body, act, status_code=201)
