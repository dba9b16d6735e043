"""Seat pool rules, as plain Python."""
from datetime import datetime, timedelta, timezone

import pytest

from contracts.errors import RuleViolation
from contracts.seats import SeatDecreaseScheduled, SeatQuantityChanged
from contracts.values import Contact, LicenceType, Money
from seats.domain import PoolStatus, SeatPool

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
ADMIN = Contact(person_id="p-admin", email="admin@example.com")


def pool(quantity=2, unlocked=True) -> SeatPool:
    p = SeatPool("s-1", "a-1", ADMIN, LicenceType.NAMED_USER, quantity)
    if unlocked:
        p.unlock(quantity, T0, T0 + timedelta(days=365), Money(amount_minor=100, currency="EUR"), ADMIN, T0)
    return p


def test_R21_nothing_can_be_assigned_before_activation():
    with pytest.raises(RuleViolation) as refused:
        pool(unlocked=False).assign("u-1", "u@example.com", T0)
    assert refused.value.rule == "R21"


def test_R21_activation_unlocks_the_purchased_quantity_once():
    p = pool(unlocked=False)
    assert p.unlock(5, T0, T0 + timedelta(days=365), Money(amount_minor=1, currency="EUR"), ADMIN, T0).quantity == 5
    assert p.unlock(5, T0, T0, Money(amount_minor=1, currency="EUR"), ADMIN, T0) is None


def test_R25_assignments_never_exceed_the_quantity():
    p = pool(quantity=1)
    p.assign("u-1", "one@example.com", T0)
    with pytest.raises(RuleViolation) as refused:
        p.assign("u-2", "two@example.com", T0)
    assert refused.value.rule == "R25"


def test_R25_increase_applies_at_once_and_carries_the_term_for_billing():
    change = pool(quantity=2).change_quantity(5, T0 + timedelta(days=10))
    assert isinstance(change, SeatQuantityChanged)
    assert (change.previous_quantity, change.new_quantity, change.term_end) == (2, 5, T0 + timedelta(days=365))


def test_R25_decrease_is_scheduled_for_the_term_end_and_limits_new_assignments():
    p = pool(quantity=3)
    change = p.change_quantity(1, T0 + timedelta(days=10))
    assert isinstance(change, SeatDecreaseScheduled) and change.effective_at == p.term_end
    assert p.quantity == 3
    p.assign("u-1", "one@example.com", T0)
    with pytest.raises(RuleViolation):
        p.assign("u-2", "two@example.com", T0)
    assert p.apply_scheduled_decrease(T0, p.term_end).new_quantity == 1


def test_R25_decrease_below_the_assigned_seats_is_refused():
    p = pool(quantity=3)
    p.assign("u-1", "one@example.com", T0)
    p.assign("u-2", "two@example.com", T0)
    with pytest.raises(RuleViolation) as refused:
        p.change_quantity(1, T0)
    assert refused.value.code == "decrease_below_assigned"


def test_R28_deprovisioning_revokes_every_assignment_once():
    p = pool()
    p.assign("u-1", "one@example.com", T0)
    event = p.deprovision(T0 + timedelta(days=365))
    assert event.revoked_user_ids == ["u-1"] and p.assignments == []
    assert p.status is PoolStatus.DEPROVISIONED and p.deprovision(T0) is None
