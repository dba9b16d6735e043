"""Invoice lines (R29, R32): what each charge is for, in exact integer minor units.

Every amount goes through `contracts.proration`, so a price preview and the line it later
becomes are the same number; a line's id is derived from the event that caused it and the
kind of line, so applying that event again can only produce the same line.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from fractions import Fraction

from billing.domain.vat import VatCategory
from contracts.proration import days_between, prorated_amount
from contracts.values import BillingCycle, Money


class LineKind(str, Enum):
    TERM = "term"  # a whole term, at activation or renewal
    TERM_CORRECTION = "term_correction"  # seats the renewal's charge missed, for the whole term
    SEATS = "seats"  # a seat quantity change, prorated
    TIER_CREDIT = "tier_credit"  # the unused balance of the old tier (R12)
    TIER_CHARGE = "tier_charge"  # the new tier for the rest of the term (R12)
    ADDON = "addon"  # an add-on module, prorated (R20)
    ADDON_TERM = "addon_term"  # every add-on of a renewed term, in one line (R20)


@dataclass(frozen=True)
class LineVat:
    """A line's VAT once invoiced: its category and rate, and its share of the invoice's VAT
    for that rate (billing.domain.vat: computed per rate, shared out by largest remainder)."""

    category: VatCategory
    rate: Decimal
    tax: Money


@dataclass(frozen=True)
class InvoiceLine:
    line_id: str
    subscription_id: str
    account_id: str
    kind: LineKind
    description: str
    period_start: datetime
    period_end: datetime
    quantity_delta: int
    unit_price: Money
    days_remaining: int
    days_in_term: int
    amount: Money
    caused_by: str
    cycle: BillingCycle | None = None  # None until billing knows the subscription's cycle
    invoice_id: str | None = None
    vat: LineVat | None = None  # set when an invoice takes the line

    @property
    def proration_factor(self) -> Fraction:
        return Fraction(self.days_remaining, self.days_in_term)

    @property
    def prorated(self) -> bool:
        return self.kind not in (LineKind.TERM, LineKind.ADDON_TERM)


@dataclass(frozen=True)
class Charge:
    """What to charge: `quantity` units of `unit_price` (per whole term) over part of a term."""

    kind: LineKind
    subscription_id: str
    account_id: str
    quantity: int
    unit_price: Money
    term_start: datetime
    term_end: datetime
    label: str
    cycle: BillingCycle | None = None


def line_id_for(caused_by: str, kind: LineKind) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"entitle:line:{caused_by}:{kind.value}"))


def format_money(money: Money) -> str:
    units, cents = divmod(abs(money.amount_minor), 100)
    return f"{'-' if money.amount_minor < 0 else ''}{units}.{cents:02d} {money.currency}"


def term_line(charge: Charge, caused_by: str) -> InvoiceLine:
    """A whole term: quantity × unit price, proration factor 1."""
    days = days_between(charge.term_start, charge.term_end)
    amount = charge.quantity * charge.unit_price.amount_minor
    description = (
        f"{charge.label}: {charge.quantity} × {format_money(charge.unit_price)} "
        f"for the term {charge.term_start:%Y-%m-%d} to {charge.term_end:%Y-%m-%d}"
    )
    return _line(charge, caused_by, charge.term_start, days, days, amount, description)


def prorated_line(charge: Charge, effective_at: datetime, caused_by: str) -> InvoiceLine | None:
    """The share of the term left at `effective_at`: quantity × unit price × days left / days in term.

    None when nothing of the term is left (a change at the term end) or nothing changed.
    """
    days_in_term = days_between(charge.term_start, charge.term_end)
    days_remaining = min(days_between(effective_at, charge.term_end), days_in_term)
    if days_in_term == 0 or days_remaining == 0 or charge.quantity == 0:
        return None
    amount = prorated_amount(charge.quantity, charge.unit_price.amount_minor, days_remaining, days_in_term)
    description = (
        f"{charge.label} for {days_remaining} of {days_in_term} days "
        f"({effective_at:%Y-%m-%d} to {charge.term_end:%Y-%m-%d}): "
        f"{charge.quantity} × {format_money(charge.unit_price)} × {days_remaining}/{days_in_term}"
    )
    return _line(charge, caused_by, effective_at, days_remaining, days_in_term, amount, description)


def _line(
    charge: Charge,
    caused_by: str,
    start: datetime,
    days_remaining: int,
    days_in_term: int,
    amount: int,
    description: str,
) -> InvoiceLine:
    return InvoiceLine(
        line_id=line_id_for(caused_by, charge.kind),
        subscription_id=charge.subscription_id,
        account_id=charge.account_id,
        kind=charge.kind,
        description=description,
        period_start=start,
        period_end=charge.term_end,
        quantity_delta=charge.quantity,
        unit_price=charge.unit_price,
        days_remaining=days_remaining,
        days_in_term=days_in_term,
        amount=Money(amount_minor=amount, currency=charge.unit_price.currency),
        caused_by=caused_by,
        cycle=charge.cycle,
    )


def seat_change_label(quantity_delta: int) -> str:
    verb = "added" if quantity_delta > 0 else "removed"
    return f"{abs(quantity_delta)} seat(s) {verb}"
