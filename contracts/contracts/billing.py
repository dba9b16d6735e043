"""Events of the billing service (topic `billing.events.v1`): lines keyed by subscription id, invoices by account id."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, Field

from contracts.envelope import Event
from contracts.values import Contact, Money


class InvoiceAdjusted(Event):
    """A prorated line was added to the account's next invoice (R29).

    `amount` = quantity_delta × unit_price × days_remaining / days_in_term, rounded half-up once.
    """

    type: ClassVar[str] = "billing.invoice_adjusted"
    line_id: str = Field(description="Unique id of the invoice line.")
    subscription_id: str = Field(description="Subscription the line is for.")
    account_id: str = Field(description="Customer account billed.")
    description: str = Field(description="What the line is for, in words.")
    period_start: datetime = Field(description="Start of the prorated period.")
    period_end: datetime = Field(description="End of the prorated period (the term end).")
    quantity_delta: int = Field(description="Seats added (positive) or removed (negative).")
    unit_price: Money = Field(description="Price of one seat for a whole term.")
    days_remaining: int = Field(description="Days from the change to the term end.")
    days_in_term: int = Field(description="Days in the whole term.")
    amount: Money = Field(description="The line's amount; negative for a credit.")
    caused_by: str = Field(description="Id of the `seats.quantity_changed` event billed.")


class InvoiceLineView(BaseModel):
    """One line of an issued invoice."""

    description: str = Field(description="What the line is for: period, quantity, unit price, proration.")
    subscription_id: str = Field(description="Subscription the line is for.")
    amount: Money = Field(description="The line's amount; negative for a credit.")
    vat_rate: str | None = Field(None, description="VAT rate in percent as exact decimal text, e.g. `20`, `5.5`.")
    vat: Money | None = Field(
        None, description="The line's share of the invoice's VAT at its rate (VAT is computed once per rate)."
    )


class VatSubtotalView(BaseModel):
    """One entry of an invoice's VAT summary (EN 16931 BG-23)."""

    category: str = Field(
        description="EN 16931 VAT category: `S` standard rate, `AE` reverse charge, `O` not subject to VAT."
    )
    rate: str = Field(description="Rate in percent as exact decimal text, e.g. `21`.")
    taxable: Money = Field(description="Sum of the lines at this rate.")
    tax: Money = Field(description="taxable × rate, rounded half away from zero to the cent, once.")


class InvoiceIssued(Event):
    """An invoice was issued to a customer account (R29–R32). Keyed by account id."""

    type: ClassVar[str] = "billing.invoice_issued"
    invoice_id: str = Field(description="Unique id of the invoice.")
    number: str = Field(
        description="Invoice number, gapless per seller, kind and year: e.g. `BE-INV-2026-000042` "
        "(`BE-CN-…` for a credit note)."
    )
    kind: str = Field("invoice", description="`invoice`, or `credit_note` when the lines sum below zero.")
    account_id: str = Field(description="Customer account billed.")
    administrator: Contact = Field(description="Who receives the invoice by e-mail.")
    po_number: str | None = Field(None, description="Purchase-order number in force when issued (R31).")
    issued_at: datetime = Field(description="When it was issued.")
    lines: list[InvoiceLineView] = Field(description="Every line; `net_total` is their exact sum (R32).")
    total: Money = Field(
        description="Payable: `net_total` + `vat_total`, exactly (before issue 15: the sum of the lines)."
    )
    net_total: Money | None = Field(None, description="The exact sum of the lines.")
    vat_total: Money | None = Field(None, description="The sum of the VAT summary's amounts.")
    vat: list[VatSubtotalView] = Field(
        default_factory=list, description="VAT summary, one entry per category and rate."
    )
    due_on: date | None = Field(None, description="When payment is due (the seller's payment terms).")
    seller_id: str | None = Field(None, description="Which of the vendor's legal entities issued it.")
    buyer_name: str | None = Field(None, description="The buyer's legal name as printed.")
    invoicing_email: str | None = Field(
        None,
        description="Where the buyer wants invoices sent (the billing details' invoicing e-mail, "
        "else the administrator's).",
    )
    payment_reference: str | None = Field(
        None, description="ISO 11649 creditor reference (`RF…`) a bank transfer should quote."
    )
    language: str | None = Field(None, description="The document's language: en, fr, nl or de.")
    corrects: str | None = Field(None, description="A credit note: the number of the invoice it corrects.")
    url: str = Field(description="Where the HTML invoice is readable (signed-in administrator only).")

    key_field: ClassVar[str] = "account_id"


class PaymentRecorded(Event):
    """Money was applied to an invoice (issue 15, item 5): a bank credit matched or assigned,
    or a payment an operator recorded by hand. Keyed by account id."""

    type: ClassVar[str] = "billing.payment_recorded"
    payment_id: str = Field(description="Unique id of the payment.")
    invoice_id: str = Field(description="The invoice paid.")
    invoice_number: str = Field(description="Its number, e.g. `BE-INV-2026-000042`.")
    account_id: str = Field(description="Customer account billed.")
    amount: Money = Field(
        description="The whole amount received, positive; past the open amount, the excess is unapplied "
        "(the invoice is paid, and the excess waits for the vendor's finance team)."
    )
    method: str = Field(description="`bank_transfer`, `direct_debit` or `manual`.")
    received_on: date = Field(description="When the money arrived: the bank's booking date, or the one recorded.")
    bank_entry_id: str | None = Field(None, description="The bank's reference of the statement entry, if any.")

    key_field: ClassVar[str] = "account_id"


class PaymentReversed(Event):
    """A payment was taken back: a returned or rejected direct debit, a recalled transfer
    (issue 15, item 5). The invoice is open again for that amount. Keyed by account id."""

    type: ClassVar[str] = "billing.payment_reversed"
    payment_id: str = Field(description="The payment reversed (of an earlier `billing.payment_recorded`).")
    invoice_id: str = Field(description="The invoice it had paid.")
    account_id: str = Field(description="Customer account billed.")
    amount: Money = Field(description="The amount taken back, positive.")
    reason: str | None = Field(
        None, description="Why: the ISO 20022 return reason code (`AM04` insufficient funds, `MD06` refund, …)."
    )
    reversed_on: date = Field(description="The bank's booking date of the return.")

    key_field: ClassVar[str] = "account_id"


class InvoiceStateChanged(Event):
    """An invoice's payment state changed (issue 15, item 5). Keyed by account id.

    `open`: nothing paid yet; `partially_paid`; `paid`; `overdue`: past its due date and not
    paid in full; `void`: cancelled before anything was paid (by a credit note for all of it);
    `uncollectible`: written off by an operator."""

    type: ClassVar[str] = "billing.invoice_state_changed"
    invoice_id: str = Field(description="The invoice.")
    invoice_number: str = Field(description="Its number.")
    account_id: str = Field(description="Customer account billed.")
    previous: str | None = Field(description="The state before; null when the invoice was just issued.")
    state: str = Field(description="`open`, `partially_paid`, `paid`, `overdue`, `void` or `uncollectible`.")
    paid: Money = Field(description="Received and applied so far, net of reversals.")
    open_amount: Money = Field(description="Still to pay: the total less what was paid and credited, never negative.")
    due_on: date = Field(description="When payment is due.")
    reason: str | None = Field(
        None, description="Why, where a person or the bank said: the write-off's reason, a return reason code."
    )
    subscription_ids: list[str] = Field(
        default_factory=list,
        description="The subscriptions whose lines the invoice (or credit note) carries, sorted; "
        "subscriptions refuses an add-on while one of them is unsettled (R20, issue 15). "
        "Empty in events published before billing filled it.",
    )

    key_field: ClassVar[str] = "account_id"


class PaymentReminderDue(Event):
    """An overdue invoice is still unpaid on a reminder day (issue 15, item 6): e-mail the buyer,
    in the invoice's language, what is owed and how to pay it. Keyed by account id."""

    type: ClassVar[str] = "billing.payment_reminder_due"
    invoice_id: str = Field(description="The overdue invoice.")
    number: str = Field(description="Its number, e.g. `BE-INV-2026-000042`.")
    account_id: str = Field(description="Customer account billed.")
    step: int = Field(description="Which reminder: 1 for the first, up to the number of reminder days configured.")
    days_overdue: int = Field(description="Days since the due date when the reminder fell due.")
    due_on: date = Field(description="When payment was due.")
    open_amount: Money = Field(description="Still to pay: the total less what was paid and credited.")
    total: Money = Field(description="The invoice's total.")
    payment_reference: str | None = Field(
        None, description="ISO 11649 creditor reference (`RF…`) the bank transfer should quote."
    )
    administrator: Contact = Field(description="The invoice's administrator: told at each step of dunning.")
    invoicing_email: str | None = Field(
        None,
        description="Where the buyer wants invoices sent (the invoice's), when it differs from the administrator's.",
    )
    language: str = Field(description="The invoice's language, for the reminder: en, fr, nl or de.")
    suspends_on: date | None = Field(
        None,
        description="When access to the subscriptions this invoice pays for a whole term is suspended if it is "
        "still unpaid; null when it suspends nothing (it charges only part of a term, e.g. seats added).",
    )
    url: str = Field(description="Where the HTML invoice is readable (signed-in administrator only).")

    key_field: ClassVar[str] = "account_id"


class SuspendedPeriod(BaseModel):
    """A term of a subscription that an overdue invoice charged and that is not paid."""

    subscription_id: str = Field(description="The subscription suspended.")
    start: datetime = Field(description="Start of the term the invoice charged.")
    end: datetime = Field(description="End of that term: access outside it is not suspended.")


class SubscriptionsSuspended(Event):
    """Access is suspended for the terms an overdue invoice charged in whole, and for nothing
    else: never a period another invoice paid (issue 15, item 6). Refuse access within these
    periods with `reason` until `billing.subscriptions_reinstated` for the same invoice.
    Keyed by account id."""

    type: ClassVar[str] = "billing.subscriptions_suspended"
    invoice_id: str = Field(description="The overdue invoice; `billing.subscriptions_reinstated` names it again.")
    number: str = Field(description="Its number.")
    account_id: str = Field(description="Customer account billed.")
    reason: str = Field("payment_overdue", description="Why access is refused: `payment_overdue`.")
    suspended_at: datetime = Field(description="When the suspension took effect.")
    due_on: date = Field(description="When payment was due.")
    open_amount: Money = Field(description="Still to pay: paying it reinstates the subscriptions at once.")
    periods: list[SuspendedPeriod] = Field(description="Exactly what is suspended: one term per subscription.")
    administrator: Contact = Field(description="The invoice's administrator: told at each step of dunning.")
    language: str = Field(description="The invoice's language: en, fr, nl or de.")
    url: str = Field(description="Where the HTML invoice is readable (signed-in administrator only).")

    key_field: ClassVar[str] = "account_id"


class SubscriptionsReinstated(Event):
    """The suspension of `billing.subscriptions_suspended` for this invoice is lifted: access is
    given back at once (issue 15, item 6). Keyed by account id."""

    type: ClassVar[str] = "billing.subscriptions_reinstated"
    invoice_id: str = Field(description="The invoice whose suspension ends.")
    number: str = Field(description="Its number.")
    account_id: str = Field(description="Customer account billed.")
    reinstated_at: datetime = Field(description="When access was given back.")
    subscription_ids: list[str] = Field(description="The subscriptions the suspension covered.")
    why: str = Field(description="`paid`, or `void` (a credit note cleared the invoice).")
    administrator: Contact = Field(description="The invoice's administrator: told at each step of dunning.")
    language: str = Field(description="The invoice's language: en, fr, nl or de.")

    key_field: ClassVar[str] = "account_id"


MAX_ATTACHED_PDF_BYTES = 600 * 1024
"""A PDF larger than this travels without its bytes: Kafka refuses records over 1 MB by default,
and base64 makes 600 KiB about 800 KB."""


class InvoicePrinted(Event):
    """Internal (`billing.documents.v1`): an issued invoice was printed as its PDF/A-3b with its
    Factur-X XML, for the invoice e-mail to carry (issue 15, item 3). Keyed by account id."""

    type: ClassVar[str] = "billing.invoice_printed"
    invoice_id: str = Field(description="The invoice printed (of an earlier `billing.invoice_issued`).")
    account_id: str = Field(description="Customer account billed.")
    number: str = Field(description="Its number, e.g. `BE-INV-2026-000042`.")
    kind: str = Field(description="`invoice` or `credit_note`.")
    filename: str = Field(description="`<number>.pdf`.")
    media_type: str = Field("application/pdf", description="Always `application/pdf`.")
    size_bytes: int = Field(ge=0, description="Length of the PDF in bytes.")
    sha256: str = Field(pattern="^[0-9a-f]{64}$", description="SHA-256 of the PDF, lower-case hex.")
    content_base64: str | None = Field(
        None,
        description="The PDF, base64; null when it is larger than 600 KiB (the e-mail then carries the link only).",
    )

    key_field: ClassVar[str] = "account_id"
