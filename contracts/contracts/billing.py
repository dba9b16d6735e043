"""Events of the billing service (topic `billing.events.v1`, keyed by subscription id)."""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.envelope import Event
from contracts.values import Money


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
