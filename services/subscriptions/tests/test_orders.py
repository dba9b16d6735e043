"""Orders that wait: reseller approval (R19) and trials (R10)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.errors import RuleViolation
from contracts.values import BillingCycle, Contact, LicenceType
from subscriptions import domain
from subscriptions.domain import changes, orders

ORDERED = datetime(2026, 1, 31, 12, tzinfo=UTC)  # as in conftest.py
ME = domain.Person("p-admin", "a-1")
ADA = Contact(person_id="p-admin", email="a@x.io")


@pytest.fixture
def reseller_order(an_order):
    def build(**changes):
        return an_order(
            **{"product": "printserver", "licence_type": LicenceType.NODE_LOCKED, "project_id": "proj-1", **changes}
        )

    return build


def test_R19_a_reseller_order_awaits_approval_and_blocks_its_project(printserver, reseller_order):
    s, waiting = orders.place_order(reseller_order(), printserver, ORDERED, "http://p", project_busy=False)
    assert s.status is domain.Status.AWAITING_APPROVAL
    assert (waiting.approver_email, waiting.project_id) == ("approvals@entitle.example", "proj-1")
    with pytest.raises(RuleViolation) as refused:
        orders.place_order(reseller_order(subscription_id="s-2"), printserver, ORDERED, "http://p", project_busy=True)
    assert (refused.value.rule, refused.value.refusal.value) == ("R19", "conflict")
    with pytest.raises(RuleViolation) as refused:
        orders.place_order(reseller_order(project_id=None), printserver, ORDERED, "http://p", False)
    assert refused.value.rule == "R19"


def test_R19_approval_places_the_order_now_and_rejection_ends_it(printserver, reseller_order):
    s, _ = orders.place_order(reseller_order(), printserver, ORDERED, "http://p", project_busy=False)
    decided_at = ORDERED + timedelta(days=5)
    decided, purchased = orders.decide_order(s, True, printserver, decided_at, "http://p/agreement")
    assert decided.approved and purchased.ordered_at == decided_at
    assert s.status is domain.Status.PENDING_ACTIVATION and s.activation_deadline == decided_at + timedelta(days=90)
    rejected, _ = orders.place_order(reseller_order(subscription_id="s-2"), printserver, ORDERED, "http://p", False)
    assert [e.approved for e in orders.decide_order(rejected, False, printserver, decided_at, "")] == [False]
    assert rejected.status is domain.Status.REJECTED
    with pytest.raises(RuleViolation) as refused:
        orders.decide_order(rejected, True, printserver, decided_at, "")
    assert refused.value.rule == "R19"


def test_R10_a_trial_of_premium_runs_30_days_once_per_account(designer, printserver):
    s, started = orders.start_trial("t-1", "a-1", ADA, designer, LicenceType.NAMED_USER, ORDERED, had_trial=False)
    assert (s.status, s.tier, started.ends_at) == (domain.Status.TRIALING, "premium", ORDERED + timedelta(days=30))
    for offer, had in ((designer, True), (printserver, False)):
        with pytest.raises(RuleViolation) as refused:
            orders.start_trial("t-2", "a-1", s.administrator, offer, LicenceType.NODE_LOCKED, ORDERED, had)
        assert refused.value.rule == "R10"


def test_R10_conversion_buys_the_tier_and_activates_at_once(designer, an_order):
    s, _ = orders.start_trial("t-1", "a-1", ADA, designer, LicenceType.NAMED_USER, ORDERED, had_trial=False)
    at = ORDERED + timedelta(days=12)
    purchased, activated, ended = orders.convert_trial(
        s, ME, an_order(billing_cycle=BillingCycle.MONTHLY, quantity=4, po_number="PO-1"), designer, at, "http://p"
    )
    assert purchased.converts_trial and (purchased.tier, purchased.unit_price.amount_minor) == ("premium", 6500)
    assert (activated.term_start, activated.quantity) == (at, 4) and ended.outcome == "converted"
    assert s.status is domain.Status.ACTIVE and orders.end_trial(s, ORDERED + timedelta(days=30), "standard") == []


def test_R10_an_unconverted_trial_falls_back_and_ends(designer):
    s, _ = orders.start_trial("t-1", "a-1", ADA, designer, LicenceType.NAMED_USER, ORDERED, had_trial=False)
    assert orders.end_trial(s, ORDERED + timedelta(days=29), "standard") == []
    ended, closed = orders.end_trial(s, ORDERED + timedelta(days=30), "standard")
    assert (ended.outcome, ended.fallback_tier, closed.reason) == ("fallback", "standard", "trial_ended")


def test_R20_a_trial_is_not_a_paid_base_licence(designer):
    s, _ = orders.start_trial("t-1", "a-1", ADA, designer, LicenceType.NAMED_USER, ORDERED, had_trial=False)
    with pytest.raises(RuleViolation) as refused:
        changes.add_addon(s, ME, "cloud_storage", designer, ORDERED, unsettled_invoices=[])
    assert refused.value.rule == "R20"


def test_R19_a_fixed_term_reseller_order_is_priced_from_the_approval(printserver, reseller_order):
    s, _ = orders.place_order(
        reseller_order(billing_cycle=BillingCycle.TERM, term_ends_on=date(2026, 12, 31)),
        printserver,
        ORDERED,
        "http://p",
        project_busy=False,
    )
    orders.decide_order(s, True, printserver, datetime(2026, 3, 2, tzinfo=UTC), "http://p")
    assert s.unit_price.amount_minor == round(27500 * 304 / 365)
