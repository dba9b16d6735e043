"""An operator corrects an issued invoice with a credit note (issue 15, item 7): an issued
invoice never changes, so a mistake is undone by a credit note that references it, from the
same seller to the same buyer at the VAT treatment it was invoiced at
(`billing.domain.invoices.credit_note_draft`)."""

from __future__ import annotations

from collections.abc import Mapping

from billing.domain import invoices
from billing.domain.invoices import Invoice, InvoiceKind, NotCreditable
from billing.handlers.invoices import Invoicing, record_issued
from billing.store.uow import BillingUnitOfWork
from contracts.errors import Refusal, RuleViolation, not_found


async def credit_invoice(
    invoice_id: str,
    amounts: Mapping[str, int] | None,
    reason: str,
    caused_by: str,
    uow: BillingUnitOfWork,
    with_: Invoicing,
) -> Invoice:
    """The credit note for `amounts` (line id → net amount) or for every line, numbered in the
    seller's credit-note series in this transaction, applied to what the invoice owes. What
    all credit notes of an invoice take back together never exceeds what it charged."""
    invoice = await uow.invoices.get(invoice_id)
    if invoice is None:
        raise not_found("invoice", invoice_id)
    balance = await uow.payments.balance(invoice_id, lock=True)
    try:
        draft = invoices.credit_note_draft(invoice, caused_by, amounts)
        treatment = invoices.treatment_of(invoice)
    except NotCreditable as refused:
        raise RuleViolation("not_creditable", str(refused), refusal=Refusal.CONFLICT) from None
    assert invoice.seller is not None  # treatment_of refuses an invoice without one
    now = uow.now()
    series = invoices.counter_name(invoice.seller.seller_id, InvoiceKind.CREDIT_NOTE, now)
    note = invoices.issue(
        draft,
        invoices.invoice_id_for(caused_by, draft),
        await uow.invoices.next_sequence(series),
        now,
        invoice.seller,
        invoice.buyer,
        corrects=invoice.number,
        reason=reason,
        treatment=treatment,
    )
    credited_before = balance.credited_minor if balance else 0
    if credited_before + abs(note.total.amount_minor) > invoice.total.amount_minor:
        left = invoice.total.amount_minor - credited_before
        raise RuleViolation(
            "credit_exceeds_invoice",
            f"{invoice.number} has {left / 100:.2f} {invoice.total.currency} left to credit (VAT included); "
            f"this credit note would take back {abs(note.total.amount_minor) / 100:.2f}.",
            refusal=Refusal.CONFLICT,
        )
    for line in draft.lines:  # a credit is a line of the subscription's own history too
        await uow.lines.add_line(line)
    await record_issued(note, uow, with_.portal_url)
    return note
