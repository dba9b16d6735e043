"""Which lines go on which invoice, how invoices are numbered, and what they say (R30, R31,
R32, issue 15).

- One invoice per account, PO number in force and currency; the PO number is the one in
  force when the invoice is issued, not when the line was made (R18, R31).
- Lines summing below zero are a credit note (`CN`); no invoice has a negative total.
- Numbers are gapless per seller, kind and year: `BE-INV-2026-000042` (the counter is bumped
  in the issuing transaction, so a rollback gives the number back).
- The net total is the exact sum of the lines (R32); VAT is added once per rate
  (billing.domain.vat); the total payable is net + VAT, exactly.
- An issued invoice never changes: the seller and buyer blocks are frozen into it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import Enum

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from billing.domain import vat
from billing.domain.lines import InvoiceLine, LineVat, format_money, line_id_for
from billing.domain.parties import Buyer, Seller
from billing.domain.subscriptions import INVOICED_AT_ONCE, SubscriptionView
from contracts.billing import VatSubtotalView
from contracts.values import Contact, Money

MONTHLY_RUN = "monthly_invoicing"


class InvoiceKind(str, Enum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"

    @property
    def prefix(self) -> str:
        return "CN" if self is InvoiceKind.CREDIT_NOTE else "INV"


@dataclass(frozen=True)
class InvoiceDraft:
    """Lines that will share one invoice; not yet numbered."""

    account_id: str
    po_number: str | None
    administrator: Contact
    lines: tuple[InvoiceLine, ...]

    @property
    def total(self) -> Money:
        return Money(
            amount_minor=sum(line.amount.amount_minor for line in self.lines), currency=self.lines[0].amount.currency
        )

    @property
    def kind(self) -> InvoiceKind:
        return InvoiceKind.CREDIT_NOTE if self.total.amount_minor < 0 else InvoiceKind.INVOICE


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    number: str
    kind: InvoiceKind
    account_id: str
    po_number: str | None
    administrator: Contact
    issued_at: datetime
    lines: tuple[InvoiceLine, ...]  # each with its share of the VAT
    seller: Seller | None  # None: issued before sellers were recorded (no VAT was charged then)
    buyer: Buyer
    vat_summary: tuple[vat.VatSubtotal, ...]
    net_total: Money  # the exact sum of the lines (R32)
    vat_total: Money  # the sum of the summary's amounts
    total: Money  # payable: net + VAT
    due_on: date
    payment_reference: str  # ISO 11649 creditor reference (RF…), what a transfer quotes
    language: str  # the buyer's: en, fr, nl or de
    corrects: str | None = None  # a credit note: the number of the invoice it corrects
    reason: str | None = None  # a credit note written by hand: why


def group_lines(lines: Iterable[InvoiceLine], views: Mapping[str, SubscriptionView]) -> list[InvoiceDraft]:
    """Pending lines grouped into drafts. Lines of a subscription billing knows no administrator
    of yet are left out: they wait for a later issue, as no one could receive them."""
    groups: dict[tuple[str, str | None, str], list[InvoiceLine]] = {}
    administrators: dict[tuple[str, str | None, str], Contact] = {}  # of the group's last line
    for line in sorted(lines, key=lambda line: (line.period_start, line.line_id)):
        view = views.get(line.subscription_id)
        if view is None or view.administrator is None:
            continue
        key = (line.account_id, view.po_number, line.amount.currency)
        groups.setdefault(key, []).append(line)
        administrators[key] = view.administrator
    return [
        InvoiceDraft(
            account_id=account, po_number=po, lines=tuple(grouped), administrator=administrators[account, po, currency]
        )
        for (account, po, currency), grouped in groups.items()
    ]


def due_at_once(lines: Iterable[InvoiceLine], view: SubscriptionView) -> list[InvoiceLine]:
    """R30: annual and fixed-term lines are invoiced as soon as they exist. A line made before
    billing knew the cycle (a seat event seen before the activation) follows the view's cycle."""
    return [
        line for line in lines if line.invoice_id is None and (line.cycle or view.billing_cycle) in INVOICED_AT_ONCE
    ]


def due_for_monthly_run(lines: Iterable[InvoiceLine], run_at: datetime) -> list[InvoiceLine]:
    """R30: the run on the 1st issues every pending line that took effect before it."""
    return [line for line in lines if line.invoice_id is None and line.period_start < run_at]


def counter_name(seller_id: str, kind: InvoiceKind, issued_at: datetime) -> str:
    """One gapless series per seller, kind and year."""
    return f"{seller_id}-{kind.prefix}-{issued_at.year}"


def invoice_number(seller_id: str, kind: InvoiceKind, issued_at: datetime, sequence: int) -> str:
    return f"{counter_name(seller_id, kind, issued_at)}-{sequence:06d}"


def payment_reference(number: str) -> str:
    """The ISO 11649 creditor reference of an invoice number: `RF` + two check digits + the
    number's letters and digits (at most 21 in all), which banks carry unchanged from payer to
    payee and which camt.053 returns as the structured reference."""
    body = "".join(character for character in number if character.isalnum())[:21]
    reference = f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"
    return iso11649.validate(reference)


def invoice_id_for(caused_by: str, draft: InvoiceDraft) -> str:
    """Derived from what issued it, so issuing again for the same cause names the same invoice."""
    key = f"entitle:invoice:{caused_by}:{draft.account_id}:{draft.po_number}:{draft.total.currency}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, key))


def issue(
    draft: InvoiceDraft,
    invoice_id: str,
    sequence: int,
    issued_at: datetime,
    seller: Seller,
    buyer: Buyer,
    *,
    corrects: str | None = None,
    reason: str | None = None,
    treatment: vat.Treatment | None = None,
) -> Invoice:
    """The draft as a legal document: numbered in its seller's series, taxed (one treatment for
    the whole invoice: `treatment`, or the one of the seller's and buyer's countries on the day
    of issue), due after the seller's payment terms."""
    if treatment is None:
        treatment = vat.treatment(seller.country, buyer.country, buyer.vat_number, issued_at.date())
    currency = draft.total.currency
    taxed = vat.apply([line.amount.amount_minor for line in draft.lines], [treatment] * len(draft.lines))
    lines = tuple(
        replace(
            line,
            invoice_id=invoice_id,
            vat=LineVat(treatment.category, treatment.rate, Money(amount_minor=tax, currency=currency)),
        )
        for line, tax in zip(draft.lines, taxed.line_tax_minor, strict=True)
    )
    number = invoice_number(seller.seller_id, draft.kind, issued_at, sequence)
    return Invoice(
        invoice_id=invoice_id,
        number=number,
        kind=draft.kind,
        account_id=draft.account_id,
        po_number=draft.po_number,
        administrator=draft.administrator,
        issued_at=issued_at,
        lines=lines,
        seller=seller,
        buyer=buyer,
        vat_summary=taxed.summary,
        net_total=draft.total,
        vat_total=Money(amount_minor=taxed.tax_minor, currency=currency),
        total=Money(amount_minor=draft.total.amount_minor + taxed.tax_minor, currency=currency),
        due_on=issued_at.date() + timedelta(days=seller.payment_terms_days),
        payment_reference=payment_reference(number),
        language=draft.administrator.locale,
        corrects=corrects,
        reason=reason,
    )


class NotCreditable(ValueError):
    """What was asked cannot be credited: the message says why."""


def treatment_of(invoice: Invoice) -> vat.Treatment:
    """The VAT treatment an invoice was issued with (every line of an invoice shares one)."""
    if not invoice.vat_summary or invoice.seller is None:
        raise NotCreditable(f"{invoice.number} was issued before VAT and sellers were recorded")
    first = invoice.vat_summary[0]
    country = invoice.seller.country if first.category is vat.VatCategory.STANDARD else invoice.buyer.country
    return vat.Treatment(first.category, first.rate, country or invoice.seller.country)


def credit_note_draft(invoice: Invoice, caused_by: str, amounts: Mapping[str, int] | None = None) -> InvoiceDraft:
    """A credit note against `invoice`: every line credited in full, or only the lines in
    `amounts`, each by the net amount given (positive, at most the line's). Issued with the
    invoice's seller, buyer and VAT treatment (`treatment_of`), whatever they are today: a
    correction undoes what was invoiced, at the rate it was invoiced at."""
    if invoice.kind is not InvoiceKind.INVOICE:
        raise NotCreditable(f"{invoice.number} is a credit note; only an invoice can be credited")
    credited = []
    for line in invoice.lines:
        amount = line.amount.amount_minor if amounts is None else amounts.get(line.line_id)
        if amount is None:
            continue
        if not 0 < amount <= line.amount.amount_minor:
            raise NotCreditable(
                f"line {line.line_id} can be credited by 0.01 up to its own amount, {format_money(line.amount)}"
            )
        cause = f"{caused_by}:{line.line_id}"
        credited.append(
            replace(
                line,
                line_id=line_id_for(cause, line.kind),
                description=f"Credit for {invoice.number}: {line.description}",
                amount=Money(amount_minor=-amount, currency=line.amount.currency),
                quantity_delta=-line.quantity_delta,
                caused_by=cause,
                invoice_id=None,
                vat=None,
            )
        )
    unknown = set(amounts or ()) - {line.line_id for line in invoice.lines}
    if unknown or not credited:
        raise NotCreditable(f"no line of {invoice.number} to credit" + (f": {sorted(unknown)}" if unknown else ""))
    return InvoiceDraft(
        account_id=invoice.account_id,
        po_number=invoice.po_number,
        administrator=invoice.administrator,
        lines=tuple(credited),
    )


def vat_summary_view(invoice: Invoice) -> list[VatSubtotalView]:
    """The VAT summary as events and the API show it."""
    currency = invoice.total.currency
    return [
        VatSubtotalView(
            category=subtotal.category.value,
            rate=str(subtotal.rate),
            taxable=Money(amount_minor=subtotal.taxable_minor, currency=currency),
            tax=Money(amount_minor=subtotal.tax_minor, currency=currency),
        )
        for subtotal in invoice.vat_summary
    ]


def first_of_next_month(at: datetime) -> datetime:
    """00:00 UTC on the 1st of the month after `at`: when the monthly run issues (R11, R30)."""
    at = at.astimezone(UTC)
    year, month = (at.year + 1, 1) if at.month == 12 else (at.year, at.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def monthly_run_job_id(due_at: datetime) -> str:
    return f"{MONTHLY_RUN}:{due_at:%Y-%m}"
