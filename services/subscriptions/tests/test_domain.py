"""Subscription rules, as plain Python: no broker, no database, no clock."""
from datetime import datetime, timedelta, timezone

import pytest

from contracts.errors import RuleViolation
from contracts.values import BillingCycle, Contact, LicenceType, Money
from subscriptions import domain
from subscriptions.catalogue import plan_for

ORDERED = datetime(2026, 1, 31, 12, tzinfo=timezone.utc)
ADMIN = Contact(person_id="p-admin", email="admin@example.com", name="Ada", locale="fr")


def ordered(cycle=BillingCycle.ANNUAL) -> domain.Subscription:
    subscription, _ = domain.purchase("s-1", "a-1", ADMIN, "designer", "standard",
                                      LicenceType.NAMED_USER, cycle, 3,
                                      Money(amount_minor=36500, currency="EUR"), ORDERED, "http://portal")
    return subscription


def test_R7_purchase_waits_for_the_agreement_and_names_its_page():
    subscription, event = domain.purchase("s-1", "a-1", ADMIN, "designer", "standard",
                                          LicenceType.NAMED_USER, BillingCycle.ANNUAL, 3,
                                          Money(amount_minor=1, currency="EUR"), ORDERED, "http://p/s-1")
    assert subscription.status is domain.Status.PENDING_ACTIVATION
    assert event.agreement_url == "http://p/s-1" and event.administrator == ADMIN


def test_R8_activation_is_possible_on_the_ninetieth_day_and_not_after():
    in_time, late = ordered(), ordered()
    assert in_time.activate("p-admin", ORDERED + timedelta(days=90)).term_start == ORDERED + timedelta(days=90)
    with pytest.raises(RuleViolation) as refused:
        late.activate("p-admin", ORDERED + timedelta(days=90, seconds=1))
    assert refused.value.rule == "R8"


def test_R8_expiry_leaves_an_activated_subscription_alone():
    subscription = ordered()
    subscription.activate("p-admin", ORDERED)
    assert subscription.expire_activation(ORDERED + timedelta(days=90)) is None
    assert subscription.status is domain.Status.ACTIVE


def test_R6_only_the_administrator_activates():
    with pytest.raises(RuleViolation) as refused:
        ordered().activate("p-someone-else", ORDERED)
    assert refused.value.code == "subscription_not_found"


def test_R9_enterprise_plans_are_not_self_service():
    with pytest.raises(RuleViolation) as refused:
        plan_for("designer", "enterprise")
    assert refused.value.rule == "R9"


def test_R11_terms_end_a_year_or_a_month_later_clamped_to_month_end():
    assert domain.term_end_after(ORDERED, BillingCycle.MONTHLY) == datetime(2026, 2, 28, 12, tzinfo=timezone.utc)
    assert domain.term_end_after(ORDERED, BillingCycle.ANNUAL) == datetime(2027, 1, 31, 12, tzinfo=timezone.utc)


def test_R14_annual_cancellation_only_in_the_last_month_and_effective_at_term_end():
    subscription = ordered()
    subscription.activate("p-admin", ORDERED)
    with pytest.raises(RuleViolation) as refused:
        subscription.schedule_cancellation("p-admin", "budget", ORDERED + timedelta(days=300))
    assert refused.value.rule == "R14"
    event = subscription.schedule_cancellation("p-admin", "budget", ORDERED + timedelta(days=340))
    assert event.effective_at == subscription.term_end
    assert subscription.end_term(subscription.term_end).reason == "cancelled"


def test_R14_monthly_cancellation_any_time_in_the_term():
    subscription = ordered(BillingCycle.MONTHLY)
    subscription.activate("p-admin", ORDERED)
    assert subscription.schedule_cancellation("p-admin", "done", ORDERED + timedelta(days=1))


def test_R14_an_uncancelled_term_end_does_not_end_the_subscription():
    subscription = ordered()
    subscription.activate("p-admin", ORDERED)
    assert subscription.end_term(subscription.term_end) is None
