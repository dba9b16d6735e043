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
