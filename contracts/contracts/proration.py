"""The proration formula every service uses, so a price preview equals the invoice line (R29, R32).

amount = round_half_up(quantity × unit price × days remaining / days in term), computed with
exact fractions and rounded once, half away from zero, so a credit mirrors the charge it undoes.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction


def round_half_up(value: Fraction) -> int:
    magnitude = (abs(value) * 2 + 1) // 2
    return int(magnitude if value >= 0 else -magnitude)


def days_between(start: datetime, end: datetime) -> int:
    """Whole calendar days from `start` to `end` (UTC dates); never negative."""
    return max((end.date() - start.date()).days, 0)


def prorated_amount(quantity: int, unit_price_minor: int, days_remaining: int, days_in_term: int) -> int:
    if days_in_term <= 0:
        return 0
    return round_half_up(Fraction(quantity * unit_price_minor) * days_remaining / days_in_term)
