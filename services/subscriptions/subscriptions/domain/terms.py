"""Terms (R11): how long each cycle runs, when a fixed term may end and what it costs, and the
last-month windows of an annual term (R14, R16)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

from contracts.errors import Refusal, RuleViolation
from contracts.proration import days_between, round_half_up
from contracts.values import BillingCycle

SHORTEST_FIXED_TERM = timedelta(days=30)
LONGEST_FIXED_TERM_MONTHS = 60
DAYS_PER_YEAR = 365


def add_months(moment: datetime, months: int) -> datetime:
    """Same day-of-month `months` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def term_end_after(start: datetime, cycle: BillingCycle) -> datetime:
    """End of a renewing term; a fixed term ends on the date chosen at purchase instead."""
    if cycle is BillingCycle.TERM:
        raise ValueError("a fixed term ends on its chosen date, not after a cycle")
    return add_months(start, 12 if cycle is BillingCycle.ANNUAL else 1)


def fixed_term_end(on: date) -> datetime:
    """A fixed term ends at the start (00:00 UTC) of its chosen end date."""
    return datetime.combine(on, time(0), tzinfo=UTC)


def fixed_term_bounds(start: datetime) -> tuple[date, date]:
    """R11: the first and the last end date a fixed term starting at `start` may choose."""
    return (start + SHORTEST_FIXED_TERM).date(), add_months(start, LONGEST_FIXED_TERM_MONTHS).date()


def check_fixed_term(start: datetime, end: datetime) -> None:
    """R11: a fixed term runs from 30 days to 5 years. A customer chooses an end *date*, so
    dates are compared, not instants: the term ends at 00:00 of its date, and comparing that
    instant with `start + 30 days` (later the same day) refused the very date the message
    offered as the first one allowed."""
    first, last = fixed_term_bounds(start)
    if not first <= end.date() <= last:
        raise RuleViolation(
            "fixed_term_out_of_range",
            f"A fixed term must end between {first:%Y-%m-%d} and {last:%Y-%m-%d} "
            "(30 days to 5 years), both included; choose another end date.",
            rule="R11",
            refusal=Refusal.INVALID,
        )


def longer_than_a_year(start: datetime, end: datetime) -> bool:
    return end > add_months(start, 12)


def fixed_term_price(annual_minor: int, start: datetime, end: datetime, discount_percent: int) -> int:
    """R11: the annual price for the days of the term, less the discount beyond 12 months;
    one rounding, half up."""
    discount = discount_percent if longer_than_a_year(start, end) else 0
    return round_half_up(
        Fraction(annual_minor * days_between(start, end), DAYS_PER_YEAR) * Fraction(100 - discount, 100)
    )


def last_month_opens(term_end: datetime) -> datetime:
    """Start of the last month of a term: the window for annual cancellation (R14) and for
    annual -> monthly (R16)."""
    return add_months(term_end, -1)
