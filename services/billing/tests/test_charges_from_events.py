"""What each event charges or credits (R10, R12, R25, R29, R30), in either order of arrival."""

from datetime import timedelta

from billing.domain.lines import LineKind
from billing.domain.subscriptions import SubscriptionView
from contracts.values import BillingCycle


def view(sid="s-1") -> SubscriptionView:
    return SubscriptionView(sid, "a-1")


def amounts(lines) -> list[int]:
    return [line.amount.amount_minor for line in lines]


def test_R30_activation_charges_the_whole_first_term(events):
    subscription = view()
    [line] = subscription.activate(events.activated(quantity=3), "ev-act")
    assert (line.kind, line.amount.amount_minor, line.quantity_delta) == (LineKind.TERM, 3 * 36500, 3)
    assert (line.period_start, line.period_end) == (events.START, events.YEAR_END)
    assert line.description == "designer standard: 3 × 365.00 EUR for the term 2026-01-05 to 2027-01-05"
    assert subscription.invoiced_at_once and subscription.administrator == events.ADA


def test_R30_renewal_charges_the_new_term_for_the_quantity_in_force(events):
    subscription = view()
    subscription.activate(events.activated(quantity=2), "ev-act")
    subscription.change_quantity(events.seats_changed(2, 5, events.START + timedelta(days=10)), "ev-seats")
    [line] = subscription.renew(events.renewed(price=40000), "ev-renew")
    assert (line.kind, line.quantity_delta, line.amount.amount_minor) == (LineKind.TERM, 5, 5 * 40000)
    assert line.period_start == events.YEAR_END


def test_R20_R30_add_ons_renew_with_their_subscription_in_one_line_for_the_new_term(events):
    subscription = view()
    subscription.activate(events.activated(quantity=2), "ev-act")
    term, addons = subscription.renew(
        events.renewed(addons=[("cloud_storage", 16500), ("render_farm", 30000)]), "ev-renew"
    )
    assert (addons.kind, addons.amount.amount_minor) == (LineKind.ADDON_TERM, 46500)
    assert "cloud_storage 165.00 EUR" in addons.description and "render_farm 300.00 EUR" in addons.description
    assert addons.line_id != term.line_id and not addons.prorated


def test_R10_a_trial_is_free(events):
    subscription = view()
    assert subscription.start_trial(events.trial_started()) is None
    assert subscription.administrator == events.ADA and subscription.tier == "premium"


def test_R29_seat_increase_is_prorated_for_the_rest_of_the_term(events):
    subscription = view()
    subscription.activate(events.activated(), "ev-act")
    [line] = subscription.change_quantity(events.seats_changed(2, 5, events.START + timedelta(days=73)), "ev")
    assert (line.kind, line.days_remaining, line.days_in_term) == (LineKind.SEATS, 292, 365)
    assert line.amount.amount_minor == 3 * 36500 * 292 // 365
    assert subscription.quantity == 5


def test_R25_R30_a_scheduled_decrease_is_charged_by_the_renewal_when_the_seat_event_comes_later(events):
    subscription = view()
    subscription.activate(events.activated(quantity=4), "ev-act")
    subscription.schedule_decrease(events.decrease_scheduled(4, 2, events.START + timedelta(days=30)))
    [renewal] = subscription.renew(events.renewed(), "ev-renew")
    assert renewal.quantity_delta == 2
    late = events.seats_changed(4, 2, events.YEAR_END)  # carries the term that ended
    assert subscription.change_quantity(late, "ev-decrease") == []
    assert subscription.quantity == 2


def test_R25_R30_a_decrease_seen_before_the_renewal_is_not_credited_twice(events):
    subscription = view()
    subscription.activate(events.activated(quantity=4), "ev-act")
    subscription.schedule_decrease(events.decrease_scheduled(4, 2, events.START + timedelta(days=30)))
    next_end = events.YEAR_END + timedelta(days=365)
    opening = events.seats_changed(4, 2, events.YEAR_END, start=events.YEAR_END, end=next_end)
    assert subscription.change_quantity(opening, "ev-decrease") == []  # the new term's first day
    [renewal] = subscription.renew(events.renewed(), "ev-renew")
    assert renewal.quantity_delta == 2


def test_R25_an_increase_withdraws_a_scheduled_decrease(events):
    subscription = view()
    subscription.activate(events.activated(quantity=4), "ev-act")
    subscription.schedule_decrease(events.decrease_scheduled(4, 2, events.START + timedelta(days=30)))
    subscription.change_quantity(events.seats_changed(4, 6, events.START + timedelta(days=40)), "ev-up")
    assert subscription.renew(events.renewed(), "ev-renew")[0].quantity_delta == 6


def test_R29_R30_an_increase_seen_after_the_renewal_of_its_term_also_corrects_that_renewal(events):
    subscription = view()
    subscription.activate(events.activated(quantity=2), "ev-act")
    subscription.renew(events.renewed(), "ev-renew")  # did not know of the increase
    lines = subscription.change_quantity(events.seats_changed(2, 3, events.START + timedelta(days=100)), "ev")
    assert [l.kind for l in lines] == [LineKind.SEATS, LineKind.TERM_CORRECTION]
    assert lines[1].amount.amount_minor == 36500 and lines[1].period_start == events.YEAR_END
    assert subscription.quantity == 3


def test_R29_seats_seen_before_the_activation_are_charged_and_not_overwritten(events):
    subscription = view()
    [line] = subscription.change_quantity(events.seats_changed(2, 5, events.START + timedelta(days=73)), "ev")
    assert line.cycle is None  # billing does not know the cycle yet
    subscription.activate(events.activated(quantity=2), "ev-act")
    assert subscription.quantity == 5 and subscription.invoiced_at_once


def test_R12_R29_tier_change_credits_the_old_tier_and_charges_the_new_one(events):
    """The worked example of docs/lifecycle.md: 184 of 365 days left, 2 seats."""
    subscription = view()
    subscription.activate(events.activated(price=73000), "ev-act")
    at = events.START + timedelta(days=181)  # 2026-07-05
    credit, charge = subscription.change_tier(events.tier_changed(at), "ev-tier")
    assert (credit.kind, credit.amount.amount_minor, credit.quantity_delta) == (LineKind.TIER_CREDIT, -73600, -2)
    assert (charge.kind, charge.amount.amount_minor) == (LineKind.TIER_CHARGE, 110400)
    assert "credited" in credit.description and "184 of 365 days" in charge.description
    assert (subscription.tier, subscription.unit_price.amount_minor) == ("premium_plus", 109500)


def test_R29_an_addon_is_prorated_for_the_rest_of_the_term(events):
    subscription = view()
    subscription.activate(events.activated(), "ev-act")
    [line] = subscription.add_addon(events.addon_added(events.START + timedelta(days=73)), "ev-addon")
    assert (line.kind, line.amount.amount_minor) == (LineKind.ADDON, 12000 * 292 // 365)
    assert line.description.startswith("Add-on render-farm for 292 of 365 days")


def test_R31_the_po_number_in_force_follows_purchase_activation_and_changes(events):
    subscription = view()
    subscription.record_purchase(events.purchased(po="PO-1"))
    assert subscription.po_number == "PO-1"
    subscription.activate(events.activated(), "ev-act")
    assert subscription.po_number == "PO-1"  # the activation named none
    subscription.change_purchase_details(events.po_changed("PO-2", events.START + timedelta(days=3)))
    assert (subscription.po_number, subscription.payment_method) == ("PO-2", None)  # paid so from renewal


def test_R17_the_new_administrator_receives_the_invoices(events):
    subscription = view()
    subscription.activate(events.activated(), "ev-act")
    subscription.transfer_administrator(events.transferred(events.START + timedelta(days=3)))
    assert subscription.administrator == events.BOB


def test_R30_monthly_subscriptions_are_not_invoiced_at_once(events):
    subscription = view()
    subscription.activate(events.activated(cycle=BillingCycle.MONTHLY), "ev-act")
    assert not subscription.invoiced_at_once
