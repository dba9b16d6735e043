"""Changes to a running subscription: tier (R12, R13), cycle (R16), administrator (R17),
purchase details (R18), add-ons (R20)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.errors import Refusal, RuleViolation
from contracts.values import BillingCycle, Contact, LicenceType
from subscriptions import domain
from subscriptions.domain import amendments, changes, lifecycle

ORDERED = datetime(2026, 1, 31, 12, tzinfo=UTC)  # as in conftest.py
ME = domain.Person("p-admin", "a-1")
START = datetime(2026, 1, 5, 9, tzinfo=UTC)  # docs/lifecycle.md worked example


def test_R12_preview_matches_the_worked_example_and_changes_nothing(active, designer):
    subscription = active(at=START, tier="premium", quantity=2)
    quote = amendments.quote_tier_change(
        subscription, ME, "premium_plus", designer, datetime(2026, 7, 5, 9, tzinfo=UTC)
    )
    assert (quote.days_remaining, quote.days_in_term, quote.quantity) == (184, 365, 2)
    assert (quote.credit.amount_minor, quote.charge.amount_minor, quote.net.amount_minor) == (-73600, 110400, 36800)
    assert subscription.tier == "premium"


def test_R12_the_tier_changes_only_when_the_amendment_is_accepted(active, designer):
    subscription = active(at=START, tier="premium", quantity=2)
    proposed_at = datetime(2026, 7, 5, 9, tzinfo=UTC)
    first, _ = amendments.propose_amendment(
        subscription, ME, "a-1", "premium_plus", designer, proposed_at, None, "http://portal/a-1"
    )
    newer, proposed = amendments.propose_amendment(
        subscription, ME, "a-2", "standard", designer, proposed_at, first, "http://portal/a-2"
    )
    assert first.status is amendments.AmendmentStatus.SUPERSEDED and subscription.tier == "premium"
    assert proposed.quoted_credit.amount_minor == -73600
    with pytest.raises(RuleViolation) as refused:
        amendments.accept_amendment(subscription, ME, first, designer, proposed_at)
    assert refused.value.rule == "R12"
    subscription.quantity = 3  # the quantity in force, as the seats service reported it
    changed = amendments.accept_amendment(subscription, ME, newer, designer, proposed_at)
    assert (changed.from_tier, changed.to_tier, changed.quantity) == ("premium", "standard", 3)
    assert (changed.previous_unit_price.amount_minor, changed.new_unit_price.amount_minor) == (73000, 36500)
    assert subscription.tier == "standard" and changed.term_end == subscription.term_end


def test_R12_same_tier_trials_and_pending_subscriptions_are_refused(active, ordered, designer):
    for subscription, tier in ((active(), "standard"), (ordered(), "premium")):
        with pytest.raises(RuleViolation) as refused:
            amendments.quote_tier_change(subscription, ME, tier, designer, ORDERED)
        assert refused.value.rule == "R12"


def test_R12_a_fixed_term_is_repriced_for_the_same_term_length(active, designer):
    subscription = active(billing_cycle=BillingCycle.TERM, term_ends_on=date(2027, 7, 31))
    quote = amendments.quote_tier_change(subscription, ME, "premium", designer, ORDERED)
    assert quote.new_unit_price.amount_minor == round(73000 * 546 / 365 * 0.9)
    assert quote.charge.amount_minor == 3 * quote.new_unit_price.amount_minor


def test_R13_an_upgrade_only_product_refuses_a_downgrade_amendment(active, printserver):
    subscription = active(
        offer=printserver, product="printserver", tier="premium", licence_type=LicenceType.NODE_LOCKED
    )
    with pytest.raises(RuleViolation) as refused:
        amendments.quote_tier_change(subscription, ME, "standard", printserver, ORDERED)
    assert refused.value.rule == "R13"
    assert amendments.quote_tier_change(subscription, ME, "premium_plus", printserver, ORDERED)


def test_R9_a_tier_change_to_enterprise_is_refused(active, designer):
    with pytest.raises(RuleViolation) as refused:
        amendments.quote_tier_change(active(), ME, "enterprise", designer, ORDERED)
    assert refused.value.rule == "R9"


def test_R16_monthly_to_annual_any_time_applied_by_the_renewal(active, designer):
    subscription = active(billing_cycle=BillingCycle.MONTHLY)
    scheduled = changes.schedule_cycle_change(subscription, ME, BillingCycle.ANNUAL, ORDERED + timedelta(days=1))
    assert scheduled.effective_at == subscription.term_end and subscription.billing_cycle is BillingCycle.MONTHLY
    renewed = lifecycle.end_term(subscription, subscription.term_end, designer)
    assert (renewed.billing_cycle, renewed.unit_price.amount_minor) == (BillingCycle.ANNUAL, 36500)
    assert renewed.term_end == datetime(2027, 2, 28, 12, tzinfo=UTC)


def test_R16_annual_to_monthly_only_in_the_last_month_and_never_for_a_fixed_term(active):
    subscription = active()
    with pytest.raises(RuleViolation) as refused:
        changes.schedule_cycle_change(subscription, ME, BillingCycle.MONTHLY, ORDERED + timedelta(days=300))
    assert refused.value.rule == "R16"
    assert changes.schedule_cycle_change(subscription, ME, BillingCycle.MONTHLY, ORDERED + timedelta(days=340))
    fixed = active(billing_cycle=BillingCycle.TERM, term_ends_on=date(2026, 12, 1))
    with pytest.raises(RuleViolation) as refused:
        changes.schedule_cycle_change(fixed, ME, BillingCycle.ANNUAL, ORDERED)
    assert refused.value.rule == "R16"


def test_R17_after_a_transfer_the_old_administrator_is_a_stranger(active):
    subscription = active()
    bob = Contact(person_id="p-bob", email="bob@example.com", name="Bob", locale="nl")
    event = changes.transfer_administrator(subscription, ME, bob, ORDERED)
    assert (event.previous_administrator.person_id, event.new_administrator) == ("p-admin", bob)
    with pytest.raises(RuleViolation) as refused:
        lifecycle.schedule_cancellation(subscription, ME, "mine", ORDERED + timedelta(days=340))
    assert refused.value.code == "subscription_not_found"
    assert changes.transfer_administrator(
        subscription, domain.Person("p-bob", "a-1"), Contact(person_id="p-admin", email="a@example.com"), ORDERED
    )


def test_R18_po_now_payment_method_from_the_next_renewal_and_never_a_card_number(active, designer):
    subscription = active(payment_method="Visa ending 4242")
    event = changes.change_purchase_details(subscription, ME, "PO-77", "SEPA mandate 12", ORDERED)
    assert (event.po_number, event.payment_method) == ("PO-77", "SEPA mandate 12")
    assert (subscription.po_number, subscription.payment_method) == ("PO-77", "Visa ending 4242")
    renewed = lifecycle.end_term(subscription, subscription.term_end, designer)
    assert (renewed.payment_method, renewed.po_number) == ("SEPA mandate 12", "PO-77")
    with pytest.raises(RuleViolation) as refused:
        changes.change_purchase_details(subscription, ME, None, "4111 1111 1111 1111", ORDERED)
    assert refused.value.rule == "R18"


def test_R20_an_add_on_needs_a_paid_base_licence_and_is_added_once(active, ordered, designer):
    with pytest.raises(RuleViolation) as refused:
        changes.add_addon(ordered(), ME, "cloud_storage", designer, ORDERED, unsettled_invoices=[])
    assert refused.value.rule == "R20"
    subscription = active()
    added = changes.add_addon(
        subscription, ME, "cloud_storage", designer, ORDERED + timedelta(days=10), unsettled_invoices=[]
    )
    assert (added.unit_price.amount_minor, added.term_end) == (16500, subscription.term_end)
    with pytest.raises(RuleViolation) as refused:
        changes.add_addon(subscription, ME, "cloud_storage", designer, ORDERED, unsettled_invoices=[])
    assert refused.value.rule == "R20"


def test_R20_issue15_an_add_on_is_refused_while_an_invoice_of_the_subscription_is_unpaid(active, designer):
    subscription = active()
    for unpaid, named in (
        (["BE-INV-2026-000001"], "invoice BE-INV-2026-000001 still has to be paid"),
        (["BE-INV-2026-000001", "BE-INV-2026-000007"], "invoices BE-INV-2026-000001 and BE-INV-2026-000007 still have"),
    ):
        with pytest.raises(RuleViolation) as refused:
            changes.add_addon(subscription, ME, "cloud_storage", designer, ORDERED, unsettled_invoices=unpaid)
        why = (refused.value.code, refused.value.rule, refused.value.refusal)
        assert why == ("base_not_paid", "R20", Refusal.CONFLICT)
        assert named in refused.value.message
    assert subscription.addons == []  # nothing changed by a refusal
    added = changes.add_addon(subscription, ME, "cloud_storage", designer, ORDERED, unsettled_invoices=[])
    assert added.addon == "cloud_storage" and subscription.addons == ["cloud_storage"]


def test_R20_issue15_only_paid_and_void_settle_an_invoice_a_write_off_does_not():
    states = ("open", "partially_paid", "paid", "overdue", "void", "uncollectible")
    assert [state for state in states if changes.invoice_settled(state)] == ["paid", "void"]
