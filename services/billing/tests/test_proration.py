"""Lines and their amounts (R29, R32): the share of the term, one half-up rounding per line."""

from datetime import UTC, datetime, timedelta

from billing.domain.lines import Charge, LineKind, format_money, line_id_for, prorated_line, term_line
from contracts.values import Money

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)
PRICE = Money(amount_minor=36500, currency="EUR")


def seats(delta: int, day: int, price: Money = PRICE):
    charge = Charge(LineKind.SEATS, "s", "a", delta, price, START, END, f"{delta} seat(s) added")
    return prorated_line(charge, START + timedelta(days=day), caused_by="e")


def test_R29_increase_is_charged_for_the_days_left_in_the_term():
    added = seats(3, day=73)
    assert (added.days_remaining, added.days_in_term) == (292, 365)
    assert added.amount == Money(amount_minor=87600, currency="EUR")  # 3 × 365.00 × 292/365
    assert "3 seat(s) added for 292 of 365 days" in added.description


def test_R29_a_line_says_its_period_quantity_unit_price_and_proration():
    description = seats(3, day=73).description
    assert "(2026-03-15 to 2027-01-01)" in description
    assert "3 × 365.00 EUR × 292/365" in description


def test_R29_a_change_at_the_term_end_costs_nothing():
    assert seats(2, day=365) is None


def test_R32_rounding_is_half_up_once_per_line():
    assert seats(1, day=1, price=Money(amount_minor=1000, currency="EUR")).amount.amount_minor == 997  # 997.26…
    assert seats(1, day=0, price=Money(amount_minor=1, currency="EUR")).amount.amount_minor == 1


def test_R30_a_term_is_charged_whole_quantity_times_unit_price():
    line = term_line(Charge(LineKind.TERM, "s", "a", 3, PRICE, START, END, "designer standard"), "e")
    assert line.amount.amount_minor == 3 * 36500
    assert (line.days_remaining, line.days_in_term, line.proration_factor) == (365, 365, 1)
    assert line.description == "designer standard: 3 × 365.00 EUR for the term 2026-01-01 to 2027-01-01"


def test_R32_line_ids_come_from_the_causing_event_and_the_kind_of_line():
    assert line_id_for("e-1", LineKind.TIER_CREDIT) == line_id_for("e-1", LineKind.TIER_CREDIT)
    assert line_id_for("e-1", LineKind.TIER_CREDIT) != line_id_for("e-1", LineKind.TIER_CHARGE)
    assert seats(1, day=3).line_id == line_id_for("e", LineKind.SEATS)


def test_R32_money_is_shown_from_integer_minor_units():
    assert format_money(Money(amount_minor=-73600, currency="EUR")) == "-736.00 EUR"
    assert format_money(Money(amount_minor=5, currency="EUR")) == "0.05 EUR"
