"""Proration (R29) and exact money (R32)."""
from datetime import datetime, timedelta, timezone
from fractions import Fraction

from hypothesis import given, strategies as st

from billing.domain import prorate_quantity_change, round_half_up
from contracts.values import Money

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
END = datetime(2027, 1, 1, tzinfo=timezone.utc)
PRICE = Money(amount_minor=36500, currency="EUR")


def line(delta: int, day: int, price: Money = PRICE):
    return prorate_quantity_change("l", "s", "a", delta, price, START, END,
                                   START + timedelta(days=day), caused_by="e")


def test_R29_increase_is_charged_for_the_days_left_in_the_term():
    added = line(3, day=73)
    assert (added.days_remaining, added.days_in_term) == (292, 365)
    assert added.amount == Money(amount_minor=87600, currency="EUR")  # 3 × 365.00 × 292/365
    assert "3 seat(s) added for 292 of 365 days" in added.description


def test_R29_a_change_at_the_term_end_costs_nothing():
    assert line(2, day=365) is None


def test_R32_rounding_is_half_up_once_per_line():
    assert round_half_up(Fraction(5, 2)) == 3 and round_half_up(Fraction(-5, 2)) == -3
    assert round_half_up(Fraction(249, 100)) == 2
    assert line(1, day=1, price=Money(amount_minor=1000, currency="EUR")).amount.amount_minor == 997  # 1000 × 364/365 = 997.26…


@given(delta=st.integers(1, 500), day=st.integers(0, 364), price=st.integers(1, 10_000_000))
def test_R29_R32_an_increase_and_an_equal_decrease_at_the_same_instant_net_to_zero(delta, day, price):
    unit = Money(amount_minor=price, currency="EUR")
    assert line(delta, day, unit).amount.amount_minor + line(-delta, day, unit).amount.amount_minor == 0


@given(first=st.integers(1, 200), second=st.integers(1, 200), day=st.integers(0, 364),
       price=st.integers(1, 10_000_000))
def test_R32_splitting_a_change_in_two_moves_the_total_by_at_most_one_rounding(first, second, day, price):
    unit = Money(amount_minor=price, currency="EUR")
    whole = line(first + second, day, unit).amount.amount_minor
    split = line(first, day, unit).amount.amount_minor + line(second, day, unit).amount.amount_minor
    assert abs(whole - split) <= 1
