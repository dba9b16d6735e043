"""Proration (R29, R32): exact fractions, one half-up rounding per line, integer minor units."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from contracts.values import Money


@dataclass(frozen=True)
class InvoiceLine:
    line_id: str
    subscription_id: str
    account_id: str
    description: str
    period_start: datetime
    period_end: datetime
    quantity_delta: int
    unit_price: Money
    days_remaining: int
    days_in_term: int
    amount: Money
    caused_by: str

    @property
    def proration_factor(self) -> Fraction:
        return Fraction(self.days_remaining, self.days_in_term)


def round_half_up(value: Fraction) -> int:
    """Half away from zero, so a credit mirrors the charge it undoes to the cent."""
    magnitude = (abs(value) * 2 + 1) // 2
    return int(magnitude if value >= 0 else -magnitude)


def days_between(start: datetime, end: datetime) -> int:
    return max((end.date() - start.date()).days, 0)


def prorate_quantity_change(line_id: str, subscription_id: str, account_id: str,
                            quantity_delta: int, unit_price: Money, term_start: datetime,
                            term_end: datetime, effective_at: datetime, caused_by: str,
                            ) -> InvoiceLine | None:
    """The change's share of the term: delta × unit price × days remaining / days in term.

    None when nothing is left to charge (a change that takes effect at the term end).
    """
    days_in_term = days_between(term_start, term_end)
    days_remaining = min(days_between(effective_at, term_end), days_in_term)
    if days_in_term == 0 or days_remaining == 0 or quantity_delta == 0:
        return None
    amount = round_half_up(Fraction(quantity_delta * unit_price.amount_minor) * days_remaining / days_in_term)
    verb = "added" if quantity_delta > 0 else "removed"
    return InvoiceLine(
        line_id=line_id, subscription_id=subscription_id, account_id=account_id,
        description=(f"{abs(quantity_delta)} seat(s) {verb} for {days_remaining} of {days_in_term} days "
                     f"({effective_at:%Y-%m-%d} to {term_end:%Y-%m-%d})"),
        period_start=effective_at, period_end=term_end, quantity_delta=quantity_delta,
        unit_price=unit_price, days_remaining=days_remaining, days_in_term=days_in_term,
        amount=Money(amount_minor=amount, currency=unit_price.currency), caused_by=caused_by)
