"""Events of the billing service (topic `billing.events.v1`): lines keyed by subscription id, invoices by account id."""

from __future__ import annotations

from datetime import datetime
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


class InvoiceIssued(Event):
    """An invoice was issued to a customer account (R29–R32). Keyed by account id."""

    type: ClassVar[str] = "billing.invoice_issued"
    invoice_id: str = Field(description="Unique id of the invoice.")
    number: str = Field(description="Invoice number; never repeats, e.g. `INV-2026-000042` (`CN-…` for a credit note).")
    kind: str = Field("invoice", description="`invoice`, or `credit_note` when the lines sum below zero.")
    account_id: str = Field(description="Customer account billed.")
    administrator: Contact = Field(description="Who receives the invoice by e-mail.")
    po_number: str | None = Field(None, description="Purchase-order number in force when issued (R31).")
    issued_at: datetime = Field(description="When it was issued.")
    lines: list[InvoiceLineView] = Field(description="Every line; `total` is their exact sum (R32).")
    total: Money = Field(description="Sum of the lines.")
    url: str = Field(description="Where the HTML invoice is readable (signed-in administrator only).")

    key_field: ClassVar[str] = "account_id"
