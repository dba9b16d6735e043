"""Subscription rules of the order and the term, as plain Python: no broker, database or clock."""

from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.errors import RuleViolation
from contracts.values import BillingCycle
from subscriptions import domain
from subscriptions.domain import lifecycle

ORDERED = datetime(2026, 1, 31, 12, tzinfo=UTC)  # as in conftest.py
ME = domain.Person("p-admin", "a-1")


def test_R7_purchase_waits_for_the_agreement_and_names_its_page(designer, an_order):
    subscription, event = domain.purchase(an_order(), designer, ORDERED, "http://p/s-1")
    assert subscription.status is domain.Status.PENDING_ACTIVATION
    assert event.agreement_url == "http://p/s-1" and event.unit_price.amount_minor == 36500


def test_R8_activation_is_possible_on_the_ninetieth_day_and_not_after(ordered, designer):
    in_time, late = ordered(), ordered()
    assert in_time.activate(ME, ORDERED + timedelta(days=90), designer).term_start == ORDERED + timedelta(days=90)
    with pytest.raises(RuleViolation) as refused:
        late.activate(ME, ORDERED + timedelta(days=90, seconds=1), designer)
    assert refused.value.rule == "R8"


def test_R8_expiry_leaves_an_activated_subscription_alone(active):
    subscription = active()
    assert subscription.expire_activation(ORDERED + timedelta(days=90)) is None
    assert subscription.status is domain.Status.ACTIVE


def test_R6_only_the_administrator_of_the_owning_account_manages_it(ordered, designer):
    for stranger in (domain.Person("p-someone-else", "a-1"), domain.Person("p-admin", "a-other")):
        with pytest.raises(RuleViolation) as refused:
            ordered().activate(stranger, ORDERED, designer)
        assert refused.value.code == "subscription_not_found"


def test_R11_terms_end_a_year_or_a_month_later_clamped_to_month_end():
    assert domain.term_end_after(ORDERED, BillingCycle.MONTHLY) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert domain.term_end_after(ORDERED, BillingCycle.ANNUAL) == datetime(2027, 1, 31, 12, tzinfo=UTC)


def test_R11_a_fixed_term_ends_on_its_date_and_is_priced_by_its_days(active):
    subscription = active(billing_cycle=BillingCycle.TERM, term_ends_on=date(2026, 7, 31))
    assert subscription.term_end == datetime(2026, 7, 31, tzinfo=UTC)
    assert subscription.unit_price.amount_minor == 18100  # 36500 x 181 / 365, no discount


def test_R11_a_fixed_term_longer_than_a_year_earns_the_discount(ordered):
    two_years = ordered(billing_cycle=BillingCycle.TERM, term_ends_on=date(2028, 1, 31))
    assert two_years.unit_price.amount_minor == round(36500 * 730 / 365 * 0.9)


def test_R11_a_fixed_term_runs_30_days_to_5_years_and_needs_its_date(ordered):
    for end in (date(2026, 2, 20), date(2031, 2, 28), None):
        with pytest.raises(RuleViolation) as refused:
            ordered(billing_cycle=BillingCycle.TERM, term_ends_on=end)
        assert refused.value.rule == "R11"
    with pytest.raises(RuleViolation):
        ordered(billing_cycle=BillingCycle.MONTHLY, term_ends_on=date(2026, 6, 1))


def test_R11_the_first_and_last_end_dates_the_refusal_names_are_allowed_and_the_days_beside_refused(ordered):
    """Issue 11 item 18: dates, not instants. Ordered 2026-01-31 12:00: the term may end from
    2026-03-02 (30 days later) to 2031-01-31 (5 years later), both included."""
    with pytest.raises(RuleViolation) as refused:
        ordered(billing_cycle=BillingCycle.TERM, term_ends_on=date(2026, 3, 1))
    assert "between 2026-03-02 and 2031-01-31" in refused.value.message
    for first_or_last in (date(2026, 3, 2), date(2031, 1, 31)):
        fixed = ordered(billing_cycle=BillingCycle.TERM, term_ends_on=first_or_last)
        assert fixed.fixed_term_end.date() == first_or_last
    for outside in (date(2026, 3, 1), date(2031, 2, 1)):
        with pytest.raises(RuleViolation) as refused:
            ordered(billing_cycle=BillingCycle.TERM, term_ends_on=outside)
        assert (refused.value.code, refused.value.rule) == ("fixed_term_out_of_range", "R11")
    fixed = ordered(billing_cycle=BillingCycle.TERM, term_ends_on=date(2026, 3, 3))
    assert fixed.fixed_term_end.date() == date(2026, 3, 3)


def test_R8_a_lapsed_order_is_refused_naming_R8_and_saying_the_window_passed(ordered, designer):
    """Issue 11 item 21: after the expiry job ran, the refusal named R7 and a state."""
    subscription = ordered()
    subscription.expire_activation(subscription.activation_deadline)
    assert subscription.status is domain.Status.ACTIVATION_EXPIRED
    with pytest.raises(RuleViolation) as refused:
        subscription.activate(ME, ORDERED + timedelta(days=91), designer)
    assert (refused.value.code, refused.value.rule) == ("activation_window_closed", "R8")
    message = refused.value.message
    assert "2026-05-01" in message and "window" in message and "passed" in message
    with pytest.raises(RuleViolation) as stranger:  # R6 still first: a stranger learns nothing
        subscription.activate(domain.Person("p-other", "a-1"), ORDERED + timedelta(days=91), designer)
    assert stranger.value.code == "subscription_not_found"


def test_R14_annual_cancellation_only_in_the_last_month_and_effective_at_term_end(active):
    subscription = active()
    with pytest.raises(RuleViolation) as refused:
        lifecycle.schedule_cancellation(subscription, ME, "budget", ORDERED + timedelta(days=300))
    assert refused.value.rule == "R14"
    event = lifecycle.schedule_cancellation(subscription, ME, "budget", ORDERED + timedelta(days=340))
    assert event.effective_at == subscription.term_end


def test_R14_R48_a_cancelled_term_does_not_renew_and_ends_cancelled_after_the_grace(active, designer):
    subscription = active(billing_cycle=BillingCycle.MONTHLY)
    lifecycle.schedule_cancellation(subscription, ME, "done", ORDERED + timedelta(days=1))
    grace = lifecycle.end_term(subscription, subscription.term_end, designer)
    assert subscription.status is domain.Status.GRACE and grace.term_end == subscription.term_end
    ended = lifecycle.end_grace(subscription, grace.grace_ends_at)
    assert ended.reason == "cancelled" and subscription.status is domain.Status.ENDED


def test_R14_monthly_and_fixed_terms_cancel_any_time_before_the_end(active):
    for changes in (
        {"billing_cycle": BillingCycle.MONTHLY},
        {"billing_cycle": BillingCycle.TERM, "term_ends_on": date(2026, 12, 1)},
    ):
        assert lifecycle.schedule_cancellation(active(**changes), ME, "done", ORDERED + timedelta(days=1))


def test_R14_a_withdrawn_cancellation_renews_as_usual(active, designer):
    subscription = active(billing_cycle=BillingCycle.MONTHLY)
    lifecycle.schedule_cancellation(subscription, ME, "done", ORDERED + timedelta(days=1))
    assert lifecycle.withdraw_cancellation(subscription, ME, ORDERED + timedelta(days=2))
    renewed = lifecycle.end_term(subscription, subscription.term_end, designer)
    assert renewed.how == "automatic" and subscription.cancels_at is None


def test_R14_termination_is_immediate_and_only_for_a_running_subscription(active, ordered):
    subscription = active()
    assert lifecycle.terminate(subscription, "fraud", ORDERED + timedelta(days=3)).reason == "terminated"
    with pytest.raises(RuleViolation) as refused:
        lifecycle.terminate(ordered(), "fraud", ORDERED)
    assert refused.value.rule == "R14"


def test_R11_an_uncancelled_annual_term_renews_at_the_catalogue_price(active, designer):
    subscription = active()
    first_end = subscription.term_end
    renewed = lifecycle.end_term(subscription, first_end, designer)
    assert (renewed.how, renewed.term_start, renewed.term_end) == (
        "automatic",
        first_end,
        datetime(2028, 1, 31, 12, tzinfo=UTC),
    )
    assert renewed.unit_price.amount_minor == 36500 and subscription.status is domain.Status.ACTIVE


def test_R20_add_ons_renew_with_the_subscription_at_their_price_for_the_new_term(active, designer):
    subscription = active()
    subscription.addons = ["cloud_storage"]
    renewed = lifecycle.end_term(subscription, subscription.term_end, designer)
    assert [(a.addon, a.unit_price.amount_minor) for a in renewed.addons] == [("cloud_storage", 16500)]


def test_R15_a_fixed_term_enters_ten_days_of_grace_then_lapses(active):
    subscription = active(billing_cycle=BillingCycle.TERM, term_ends_on=date(2026, 6, 1))
    grace = lifecycle.end_term(subscription, subscription.term_end, None)
    assert grace.grace_ends_at == subscription.term_end + timedelta(days=10)
    assert subscription.status is domain.Status.GRACE
    assert lifecycle.end_grace(subscription, grace.grace_ends_at - timedelta(seconds=1)) is None
    assert lifecycle.end_grace(subscription, grace.grace_ends_at).reason == "lapsed"


def test_R15_renewal_within_the_grace_starts_where_the_term_ended(active, designer):
    subscription = active(billing_cycle=BillingCycle.TERM, term_ends_on=date(2026, 6, 1))
    old_end = subscription.term_end
    lifecycle.end_term(subscription, old_end, designer)
    with pytest.raises(RuleViolation) as refused:
        lifecycle.renew_in_grace(subscription, ME, None, designer, old_end + timedelta(days=3))
    assert refused.value.rule == "R11"
    renewed = lifecycle.renew_in_grace(subscription, ME, date(2026, 12, 1), designer, old_end + timedelta(days=3))
    assert (renewed.how, renewed.term_start) == ("renewed_in_grace", old_end)
    assert subscription.status is domain.Status.ACTIVE and subscription.grace_ends_at is None
    assert lifecycle.end_grace(subscription, old_end + timedelta(days=10)) is None


def test_R15_renewal_is_only_for_a_subscription_in_grace(active, designer):
    with pytest.raises(RuleViolation) as refused:
        lifecycle.renew_in_grace(active(), ME, None, designer, ORDERED)
    assert refused.value.rule == "R15"
