"""Seat pool rules, as plain Python."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts.errors import RuleViolation
from contracts.seats import SeatDecreaseScheduled, SeatQuantityChanged
from contracts.values import Contact, LicenceType, Money
from seats.domain import PoolStatus, SeatPool

T0 = datetime(2026, 3, 1, tzinfo=UTC)
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


NEXT_TERM = (T0 + timedelta(days=365), T0 + timedelta(days=730))
NEW_PRICE = Money(amount_minor=120, currency="EUR")


def test_R6_the_administrator_acting_for_another_account_is_refused_as_not_found():
    with pytest.raises(RuleViolation) as refused:
        pool().ensure_administered_by("p-admin", "another-account")
    assert refused.value.refusal.value == "not_found"
    pool().ensure_administered_by("p-admin", "a-1")


def test_R17_after_a_transfer_only_the_new_administrator_manages_the_seats():
    p = pool()
    p.transfer_administration(Contact(person_id="p-new", email="new@example.com"))
    p.ensure_administered_by("p-new", "a-1")
    with pytest.raises(RuleViolation) as refused:
        p.ensure_administered_by("p-admin", "a-1")
    assert refused.value.refusal.value == "not_found"


def test_R29_after_a_renewal_an_increase_carries_the_new_term_and_price():
    p = pool(quantity=2)
    assert p.renew(*NEXT_TERM, NEW_PRICE) is None
    change = p.change_quantity(3, NEXT_TERM[0] + timedelta(days=30))
    assert (change.term_start, change.term_end, change.unit_price) == (*NEXT_TERM, NEW_PRICE)


def test_R29_a_tier_change_prices_later_increases_in_the_new_tier():
    p = pool(quantity=2)
    p.change_price(NEW_PRICE)
    assert p.change_quantity(3, T0 + timedelta(days=30)).unit_price == NEW_PRICE


def test_R25_a_decrease_due_at_the_term_end_applies_within_the_old_term_when_the_renewal_comes_first():
    p = pool(quantity=3)
    p.change_quantity(1, T0 + timedelta(days=10))
    applied = p.renew(*NEXT_TERM, NEW_PRICE)
    assert (applied.previous_quantity, applied.new_quantity) == (3, 1)
    assert (applied.effective_at, applied.term_end) == (T0 + timedelta(days=365), T0 + timedelta(days=365))
    assert applied.requested_at == T0 + timedelta(days=10)
    assert (p.quantity, p.scheduled_quantity, p.term_end) == (1, None, NEXT_TERM[1])
    assert p.apply_scheduled_decrease(T0, NEXT_TERM[0]) is None  # the job, firing late, finds nothing


def test_R25_a_decrease_applied_by_its_job_first_is_not_applied_again_by_the_renewal():
    p = pool(quantity=3)
    p.change_quantity(1, T0 + timedelta(days=10))
    assert p.apply_scheduled_decrease(T0, p.term_end).new_quantity == 1
    assert p.renew(*NEXT_TERM, NEW_PRICE) is None and p.quantity == 1


def test_R11_a_renewal_already_in_force_changes_nothing():
    p = pool()
    p.renew(*NEXT_TERM, NEW_PRICE)
    assert p.renew(T0, T0 + timedelta(days=365), Money(amount_minor=1, currency="EUR")) is None
    assert (p.term_end, p.unit_price) == (NEXT_TERM[1], NEW_PRICE)


def test_R14_a_withdrawn_cancellation_clears_the_deprovisioning():
    p = pool()
    p.schedule_deprovisioning(p.term_end)
    p.withdraw_deprovisioning()
    assert p.deprovision_at is None


def test_R28_a_termination_revokes_a_pool_still_locked_and_its_scheduled_decrease():
    locked = pool(unlocked=False)
    assert locked.deprovision(T0).revoked_user_ids == [] and locked.status is PoolStatus.DEPROVISIONED
    p = pool(quantity=3)
    p.change_quantity(2, T0)
    p.deprovision(T0 + timedelta(days=100))
    assert p.scheduled_quantity is None and p.apply_scheduled_decrease(T0, p.term_end) is None


def trial() -> SeatPool:
    return SeatPool.for_trial("s-1", "a-1", ADMIN, LicenceType.NAMED_USER, T0, T0 + timedelta(days=30))


def test_R10_a_trial_is_one_unlocked_seat_whose_quantity_cannot_change():
    p = trial()
    assert (p.status, p.quantity, p.is_trial) == (PoolStatus.UNLOCKED, 1, True)
    p.assign("u-1", "one@example.com", T0)
    with pytest.raises(RuleViolation) as refused:
        p.change_quantity(3, T0)
    assert refused.value.rule == "R10"


def test_R10_a_converted_trial_unlocks_the_paid_quantity_on_the_same_pool_keeping_its_seat():
    p = trial()
    p.assign("u-1", "one@example.com", T0)
    unlocked = p.unlock(5, T0 + timedelta(days=3), T0 + timedelta(days=368), NEW_PRICE, ADMIN, T0)
    assert unlocked.quantity == 5 and (p.quantity, p.is_trial, len(p.assignments)) == (5, False, 1)
    assert p.unlock(5, T0, T0, NEW_PRICE, ADMIN, T0) is None  # a paid pool unlocks once
