"""R48 (making R15 explicit): the 10 days to renew or extend after expiry apply to monthly,
annual and fixed-term subscriptions alike, cancelled ones included. A monthly or annual
subscription expires only when it was cancelled (it renews by itself otherwise); a fixed term
expires at its end date, cancelled or not."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from contracts.errors import RuleViolation
from contracts.subscriptions import GraceStarted
from contracts.values import BillingCycle
from subscriptions import domain
from subscriptions.domain import lifecycle
from subscriptions.domain.terms import fixed_term_end, term_end_after

from .conftest import ME

TEN_DAYS = timedelta(days=10)
CYCLES = [BillingCycle.MONTHLY, BillingCycle.ANNUAL]


def cancelled(active, cycle: BillingCycle, **changes) -> domain.Subscription:
    """Active since ORDERED and cancelled for its term end (annual: in its last month, R14)."""
    subscription = active(billing_cycle=cycle, **changes)
    at = subscription.term_end - timedelta(days=5)
    lifecycle.schedule_cancellation(subscription, ME, "budget", at)
    return subscription


def expired(active, designer, cycle: BillingCycle, **changes) -> tuple[domain.Subscription, GraceStarted]:
    subscription = cancelled(active, cycle, **changes)
    grace = lifecycle.end_term(subscription, subscription.term_end, designer)
    assert isinstance(grace, GraceStarted)
    return subscription, grace


@pytest.mark.parametrize("cycle", CYCLES, ids=lambda c: c.value)
def test_R48_a_cancelled_monthly_or_annual_subscription_gets_ten_days_of_grace_then_ends(active, designer, cycle):
    subscription, grace = expired(active, designer, cycle)
    assert subscription.status is domain.Status.GRACE
    assert (grace.term_end, grace.grace_ends_at) == (subscription.term_end, subscription.term_end + TEN_DAYS)
    assert lifecycle.end_grace(subscription, grace.grace_ends_at - timedelta(seconds=1)) is None
    ended = lifecycle.end_grace(subscription, grace.grace_ends_at)
    assert (ended.reason, subscription.status) == ("cancelled", domain.Status.ENDED)


@pytest.mark.parametrize("cycle", CYCLES, ids=lambda c: c.value)
def test_R48_renewing_a_cancelled_monthly_or_annual_subscription_adds_one_term_and_it_renews_again(
    active, designer, cycle
):
    subscription, grace = expired(active, designer, cycle)
    old_end = grace.term_end
    renewed = lifecycle.renew_in_grace(subscription, ME, None, designer, old_end + timedelta(days=9))
    assert (renewed.how, renewed.term_start, renewed.term_end) == (
        "renewed_in_grace",
        old_end,  # no gap: the new term starts where the old one ended
        term_end_after(old_end, cycle),
    )
    assert renewed.billing_cycle is cycle and renewed.unit_price == subscription.unit_price
    assert subscription.status is domain.Status.ACTIVE
    assert (subscription.cancels_at, subscription.cancellation_reason, subscription.grace_ends_at) == (None, None, None)
    assert lifecycle.end_grace(subscription, grace.grace_ends_at) is None  # the old grace job is stale
    again = lifecycle.end_term(subscription, subscription.term_end, designer)
    assert again.how == "automatic"  # the cancellation is withdrawn by renewing


def test_R48_a_scheduled_cycle_change_applies_to_the_term_renewed_in_grace(active, designer):
    subscription = cancelled(active, BillingCycle.MONTHLY)
    subscription.scheduled_cycle = BillingCycle.ANNUAL  # R16, scheduled before the cancellation's term end
    lifecycle.end_term(subscription, subscription.term_end, designer)
    old_end = subscription.term_end
    renewed = lifecycle.renew_in_grace(subscription, ME, None, designer, old_end + timedelta(days=1))
    assert (renewed.billing_cycle, renewed.term_end) == (
        BillingCycle.ANNUAL,
        term_end_after(old_end, BillingCycle.ANNUAL),
    )
    assert renewed.unit_price.amount_minor == 36500


@pytest.mark.parametrize("cycle", CYCLES, ids=lambda c: c.value)
def test_R48_a_monthly_or_annual_renewal_takes_no_end_date(active, designer, cycle):
    subscription, grace = expired(active, designer, cycle)
    with pytest.raises(RuleViolation) as refused:
        lifecycle.renew_in_grace(subscription, ME, date(2027, 6, 1), designer, grace.term_end + timedelta(days=1))
    assert (refused.value.code, refused.value.rule) == ("term_end_for_fixed_term_only", "R11")
    assert subscription.status is domain.Status.GRACE  # nothing changed


@pytest.mark.parametrize("was_cancelled", [False, True], ids=["not-cancelled", "cancelled"])
def test_R48_a_fixed_term_cancelled_or_not_is_extended_to_a_new_end_within_ten_days(active, designer, was_cancelled):
    changes = {"term_ends_on": date(2026, 6, 1)}
    subscription = (
        cancelled(active, BillingCycle.TERM, **changes)
        if was_cancelled
        else active(billing_cycle=BillingCycle.TERM, **changes)
    )
    grace = lifecycle.end_term(subscription, subscription.term_end, designer)
    assert grace.grace_ends_at == grace.term_end + TEN_DAYS
    extended = lifecycle.renew_in_grace(
        subscription, ME, date(2026, 12, 1), designer, grace.grace_ends_at - timedelta(minutes=1)
    )
    assert (extended.term_start, extended.term_end) == (grace.term_end, fixed_term_end(date(2026, 12, 1)))
    assert subscription.status is domain.Status.ACTIVE and subscription.cancels_at is None


@pytest.mark.parametrize("cycle", [*CYCLES, BillingCycle.TERM], ids=lambda c: c.value)
def test_R48_after_the_ten_days_it_cannot_be_renewed_even_if_the_grace_job_runs_late(active, designer, cycle):
    changes = {"term_ends_on": date(2026, 6, 1)} if cycle is BillingCycle.TERM else {}
    subscription, grace = expired(active, designer, cycle, **changes)
    with pytest.raises(RuleViolation) as refused:
        lifecycle.renew_in_grace(subscription, ME, None, designer, grace.grace_ends_at)
    assert (refused.value.code, refused.value.rule) == ("grace_over", "R48")
    lifecycle.end_grace(subscription, grace.grace_ends_at + timedelta(hours=1))
    with pytest.raises(RuleViolation) as ended:
        lifecycle.renew_in_grace(subscription, ME, None, designer, grace.grace_ends_at + timedelta(hours=2))
    assert ended.value.rule == "R15" and subscription.status is domain.Status.ENDED


def test_R48_only_the_administrator_renews_and_a_stranger_learns_nothing(active, designer):
    subscription, grace = expired(active, designer, BillingCycle.MONTHLY)
    with pytest.raises(RuleViolation) as refused:
        lifecycle.renew_in_grace(subscription, domain.Person("p-other", "a-1"), None, designer, grace.term_end)
    assert refused.value.code == "subscription_not_found"


@pytest.mark.parametrize("cycle", CYCLES, ids=lambda c: c.value)
def test_R48_a_monthly_or_annual_subscription_not_cancelled_renews_by_itself_without_grace(active, designer, cycle):
    subscription = active(billing_cycle=cycle)
    renewed = lifecycle.end_term(subscription, subscription.term_end, designer)
    assert renewed.how == "automatic" and subscription.status is domain.Status.ACTIVE
