"""Exact money (R32), as properties: what must hold for every quantity, price and day."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from billing.domain import invoices
from billing.domain.invoices import InvoiceKind
from billing.domain.lines import Charge, InvoiceLine, LineKind, prorated_line
from billing.domain.subscriptions import SubscriptionView
from contracts.seats import SeatQuantityChanged
from contracts.values import BillingCycle, Contact, Money

from .invoicing_kit import issue

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
END = datetime(2027, 1, 5, 9, tzinfo=UTC)
ADA = Contact(person_id="p-ada", email="ada@example.com")

quantities = st.integers(1, 500)
prices = st.integers(1, 10_000_000)
days = st.integers(0, 364)


def seats(delta: int, at: datetime, price: int, cause: str = "e") -> int:
    charge = Charge(LineKind.SEATS, "s", "a", delta, Money(amount_minor=price, currency="EUR"), START, END, "seats")
    line = prorated_line(charge, at, cause)
    return line.amount.amount_minor if line else 0


def changed(previous: int, new: int, at: datetime, price: int) -> SeatQuantityChanged:
    return SeatQuantityChanged(
        subscription_id="s",
        account_id="a",
        previous_quantity=previous,
        new_quantity=new,
        requested_at=at,
        effective_at=at,
        term_start=START,
        term_end=END,
        unit_price=Money(amount_minor=price, currency="EUR"),
    )


@given(delta=quantities, day=days, price=prices)
def test_R32_an_increase_and_an_equal_decrease_at_the_same_instant_net_to_zero(delta, day, price):
    at = START + timedelta(days=day)
    assert seats(delta, at, price) + seats(-delta, at, price) == 0


@given(first=quantities, second=quantities, day=days, price=prices)
def test_R32_splitting_a_change_in_two_moves_the_total_by_at_most_one_rounding(first, second, day, price):
    at = START + timedelta(days=day)
    whole = seats(first + second, at, price)
    assert abs(whole - (seats(first, at, price) + seats(second, at, price))) <= 1


@given(first=quantities, second=quantities, day=days, minutes=st.integers(1, 14 * 60), price=prices)
def test_R32_the_same_quantity_at_two_instants_of_a_day_against_one_differs_by_one_rounding_at_most(
    first, second, day, minutes, price
):
    """Through billing's view: 2 → 2+a → 2+a+b at two instants of one day, against 2 → 2+a+b."""
    at = START + timedelta(days=day)
    one, two = SubscriptionView("s", "a"), SubscriptionView("s", "a")
    whole = one.change_quantity(changed(2, 2 + first + second, at, price), "w")
    split = two.change_quantity(changed(2, 2 + first, at, price), "x") + two.change_quantity(
        changed(2 + first, 2 + first + second, at + timedelta(minutes=minutes), price), "y"
    )

    def total(lines) -> int:
        return sum(line.amount.amount_minor for line in lines)

    assert abs(total(whole) - total(split)) <= 1
    assert one.quantity == two.quantity == 2 + first + second


@given(quantity=quantities, old=prices, new=prices, day=days)
def test_R32_a_tier_change_and_its_reversal_at_the_same_instant_net_to_zero(quantity, old, new, day):
    from contracts.subscriptions import TierChanged

    at = START + timedelta(days=day)

    def change(from_price: int, to_price: int, cause: str) -> list[InvoiceLine]:
        return SubscriptionView("s", "a").change_tier(
            TierChanged(
                amendment_id=cause,
                subscription_id="s",
                account_id="a",
                billing_cycle=BillingCycle.ANNUAL,
                from_tier="x",
                to_tier="y",
                previous_unit_price=Money(amount_minor=from_price, currency="EUR"),
                new_unit_price=Money(amount_minor=to_price, currency="EUR"),
                quantity=quantity,
                effective_at=at,
                term_start=START,
                term_end=END,
            ),
            cause,
        )

    lines = change(old, new, "up") + change(new, old, "down")
    assert sum(l.amount.amount_minor for l in lines) == 0


line_amounts = st.lists(
    st.tuples(st.integers(-5_000_000, 5_000_000), st.sampled_from(["s-1", "s-2"])), min_size=1, max_size=12
)


@given(amounts=line_amounts, po_of_second=st.sampled_from([None, "PO-1", "PO-2"]))
def test_R32_an_invoice_total_is_the_sum_of_its_lines_and_only_a_credit_note_is_negative(amounts, po_of_second):
    views = {
        "s-1": SubscriptionView("s-1", "a", administrator=ADA, po_number="PO-1"),
        "s-2": SubscriptionView("s-2", "a", administrator=ADA, po_number=po_of_second),
    }
    lines = [_line(i, amount, sid) for i, (amount, sid) in enumerate(amounts)]
    drafts = invoices.group_lines(lines, views)
    issued = [issue(d, f"inv-{i}", i + 1, START) for i, d in enumerate(drafts)]
    assert sorted(l.line_id for i in issued for l in i.lines) == sorted(l.line_id for l in lines)
    for invoice in issued:
        assert invoice.net_total.amount_minor == sum(l.amount.amount_minor for l in invoice.lines)
        assert invoice.total.amount_minor == invoice.net_total.amount_minor + invoice.vat_total.amount_minor
        assert (invoice.total.amount_minor < 0) == (invoice.kind is InvoiceKind.CREDIT_NOTE)
        assert invoice.number.startswith("BE-CN-" if invoice.kind is InvoiceKind.CREDIT_NOTE else "BE-INV-")
    assert len({i.po_number for i in issued}) == len(issued)


def _line(index: int, amount: int, subscription_id: str) -> InvoiceLine:
    return InvoiceLine(
        line_id=f"l-{index}",
        subscription_id=subscription_id,
        account_id="a",
        kind=LineKind.SEATS,
        description="x",
        period_start=START + timedelta(days=index),
        period_end=END,
        quantity_delta=1,
        unit_price=Money(amount_minor=abs(amount), currency="EUR"),
        days_remaining=1,
        days_in_term=1,
        amount=Money(amount_minor=amount, currency="EUR"),
        caused_by=f"e-{index}",
    )
