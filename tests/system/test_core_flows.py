"""The four core flows, end to end: five processes, the embedded broker, a real SMTP server."""

from __future__ import annotations

import pytest

from devkit.client import EntitleError, eventually
from devkit.mailbox import read_mailbox
from opskit.topicreader import events_of


def types_of(stack, topic: str, subject: str) -> list[str]:
    return [e["type"] for e in events_of(stack.config.bootstrap, topic, subject)]


def mails_for(stack, subscription_id: str, template: str):
    return [
        m
        for m in read_mailbox(stack.config.mail_dir)
        if m.template == template and m.subscription_id == subscription_id
    ]


def test_R7_purchase_emails_the_agreement_and_acceptance_activates(stack, customer):
    subscription = customer.purchase(quantity=3)
    assert subscription["status"] == "pending_activation"
    sid = subscription["id"]

    mail = eventually(lambda: mails_for(stack, sid, "agreement"), what="agreement e-mail")[0]
    assert f"/subscriptions/{sid}/agreement" in mail.text
    assert mail.html and "<a href=" in mail.html

    assert customer.accept(sid)["status"] == "active"
    eventually(
        lambda: "subscription.activated" in types_of(stack, "subscriptions.events.v1", sid),
        what="subscription.activated published",
    )


def test_R21_seats_stay_locked_until_activation_then_unlock(stack, customer):
    sid = customer.purchase(quantity=2)["id"]
    eventually(lambda: customer.seats(sid)["status"] == "locked", what="locked pool")
    with pytest.raises(EntitleError) as refused:
        customer.assign(sid, "early@example.com")
    assert (refused.value.status, refused.value.rule) == (409, "R21")

    customer.accept(sid)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="unlocked pool")
    assert customer.assign(sid, "user@example.com")["email"] == "user@example.com"
    assert "seats.unlocked" in types_of(stack, "seats.events.v1", sid)


def test_R8_unaccepted_order_lapses_after_90_days(stack, api, customer):
    sid = customer.purchase(quantity=1)["id"]
    api.advance_clock(days=91)
    eventually(lambda: customer.subscription(sid)["status"] == "activation_expired", what="lapse")
    assert "subscription.activation_expired" in types_of(stack, "subscriptions.events.v1", sid)
    with pytest.raises(EntitleError) as refused:
        customer.accept(sid)
    assert (refused.value.code, refused.value.rule) == ("activation_window_closed", "R8")  # issue 11, item 21


def test_R25_R29_seat_increase_is_prorated_on_the_next_invoice(stack, api, customer):
    sid = customer.purchase(quantity=2)["id"]
    customer.accept(sid)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="unlocked")
    api.advance_clock(days=73)  # 292 of 365 days left in the annual term

    assert customer.change_quantity(sid, 5)["quantity"] == 5
    lines = eventually(lambda: customer.invoice_lines(sid)["lines"], what="invoice line")
    assert len(lines) == 1
    line = lines[0]
    assert (line["quantity_delta"], line["days_remaining"], line["days_in_term"]) == (3, 292, 365)
    assert line["amount"] == {"amount_minor": round(3 * 36500 * 292 / 365), "currency": "EUR"}
    assert "billing.invoice_adjusted" in types_of(stack, "billing.events.v1", sid)


def test_R25_seat_decrease_waits_for_the_end_of_the_term(stack, api, customer):
    sid = customer.purchase(quantity=4)["id"]
    customer.accept(sid)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="unlocked")
    pool = customer.change_quantity(sid, 2)
    assert (pool["quantity"], pool["scheduled_quantity"]) == (4, 2)

    api.advance_clock(days=366)
    eventually(lambda: customer.seats(sid)["quantity"] == 2, what="decrease applied at term end")
    assert customer.invoice_lines(sid)["lines"] == []  # nothing left of the term to credit


def test_R14_R28_cancellation_ends_the_term_revokes_seats_and_tells_the_administrator(stack, api, customer):
    sid = customer.purchase(quantity=2)["id"]
    customer.accept(sid)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="unlocked")
    customer.assign(sid, "alice@example.com")

    with pytest.raises(EntitleError) as too_early:
        customer.cancel(sid, "too expensive")
    assert too_early.value.rule == "R14"  # annual: only in the last month of the term

    api.advance_clock(days=340)
    cancelled = customer.cancel(sid, "too expensive")
    assert cancelled["status"] == "active" and cancelled["cancels_at"] == cancelled["term_end"]
    eventually(lambda: mails_for(stack, sid, "cancellation_confirmed"), what="confirmation e-mail")
    assert customer.seats(sid)["assigned"] == 1  # access continues until the term end

    api.advance_clock(days=30)  # past the term end: R28 revokes at once; R48 leaves 10 days to renew
    eventually(lambda: customer.seats(sid)["status"] == "suspended", what="seats revoked at the term end")
    assert customer.seats(sid)["assignments"] == []
    assert customer.subscription(sid)["status"] == "grace"
    eventually(lambda: mails_for(stack, sid, "deprovisioned") or None, what="deprovisioning e-mail")
    assert types_of(stack, "seats.events.v1", sid)[-1] == "seats.deprovisioned"

    api.advance_clock(days=10)  # the grace is over, unrenewed
    eventually(lambda: customer.subscription(sid)["status"] == "ended", what="ended after the grace")
    eventually(lambda: customer.seats(sid)["status"] == "deprovisioned", what="deprovisioned")
    assert len(mails_for(stack, sid, "deprovisioned")) == 1


def test_R6_another_account_cannot_see_or_manage_the_subscription(stack, api, customer):
    sid = customer.purchase(quantity=1)["id"]
    stranger = api.new_customer("Eve Other")
    for attempt in (
        lambda: stranger.subscription(sid),
        lambda: stranger.accept(sid),
        lambda: stranger.cancel(sid, "mine now"),
    ):
        with pytest.raises(EntitleError) as refused:
            attempt()
        assert refused.value.status == 404
    with pytest.raises(EntitleError) as anonymous:
        api.purchase(quantity=1)
    assert anonymous.value.status == 401
