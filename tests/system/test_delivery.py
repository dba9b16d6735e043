"""Delivery promises over the real broker: redelivery, dead letters, crashes."""

from __future__ import annotations

import json
import uuid

import httpx

from devkit.client import eventually
from devkit.mailbox import read_mailbox
from opskit.topicreader import produce, read_topic

SUBSCRIPTION_EVENTS, SEAT_EVENTS = "subscriptions.events.v1", "seats.events.v1"


def stats(stack, service: str) -> dict:
    return httpx.get(f"{stack.config.url(service)}/ops/stats", timeout=5).json()["consumers"][service]


def mails(stack, sid: str, template: str) -> list:
    return [m for m in read_mailbox(stack.config.mail_dir) if m.subscription_id == sid and m.template == template]


def active_subscription_with_increase(stack, customer) -> str:
    sid = customer.purchase(quantity=2)["id"]
    eventually(lambda: mails(stack, sid, "agreement"), what="agreement e-mail")
    customer.accept(sid)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="unlocked")
    customer.change_quantity(sid, 3)
    eventually(lambda: customer.invoice_lines(sid)["lines"], what="invoice line")
    return sid


def test_replayed_events_send_no_second_email_and_add_no_second_invoice_line(stack, customer):
    sid = active_subscription_with_increase(stack, customer)
    records = [
        r
        for topic in (SUBSCRIPTION_EVENTS, SEAT_EVENTS)
        for r in read_topic(stack.config.bootstrap, topic)
        if r.key == sid
    ]
    skipped_before = {s: stats(stack, s)["skipped_duplicates"] for s in ("notifications", "billing")}

    for record in records:  # the same bytes, the same event ids, a second time
        produce(stack.config.bootstrap, record.topic, [(sid.encode(), record.value)])

    handled_by_billing = sum(r.json()["type"] in ("subscription.activated", "seats.quantity_changed") for r in records)
    eventually(
        lambda: stats(stack, "billing")["skipped_duplicates"] >= skipped_before["billing"] + handled_by_billing,
        what="billing skipped the copies",
    )
    eventually(
        lambda: stats(stack, "notifications")["skipped_duplicates"] >= skipped_before["notifications"] + 2,
        what="notifications skipped the copies",
    )
    assert len(mails(stack, sid, "agreement")) == 1
    assert len(mails(stack, sid, "activated")) == 1
    assert len(customer.invoice_lines(sid)["lines"]) == 1


def test_malformed_and_schema_invalid_messages_are_dead_lettered_and_the_partition_moves_on(stack, customer):
    sid = customer.purchase(quantity=1)["id"]
    customer.accept(sid)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="unlocked")
    invalid = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": "seats.quantity_changed",
        "source": "/test",
        "subject": sid,
        "time": "2026-01-05T09:00:00Z",
        "dataschema": "entitle:seats.quantity_changed:v1",
        "correlationid": "poison",
        "data": {"subscription_id": sid, "new_quantity": "many"},
    }
    # Same key as the subscription: same partition, so the next good event waits behind them.
    produce(
        stack.config.bootstrap,
        SEAT_EVENTS,
        [(sid.encode(), b"{not json"), (sid.encode(), json.dumps(invalid).encode())],
    )
    customer.change_quantity(sid, 2)

    eventually(lambda: customer.invoice_lines(sid)["lines"], what="the next good event billed")
    dead = eventually(
        lambda: [r for r in read_topic(stack.config.bootstrap, "billing.dlq") if r.key == sid] or None,
        what="dead letters",
    )
    assert [r.headers["dlq.reason"] for r in dead] == ["malformed", "schema_invalid"]
    assert all(r.headers["dlq.topic"] == SEAT_EVENTS and r.headers["dlq.offset"].isdigit() for r in dead)
    assert json.loads(dead[1].value)["id"] == invalid["id"]  # the original message, unchanged


def test_billing_killed_mid_flow_bills_each_change_once_after_restart(stack, api):
    customers = [api.new_customer(f"Kill Test {i}") for i in range(3)]
    sids = []
    for customer in customers:
        sid = customer.purchase(quantity=1)["id"]
        customer.accept(sid)
        sids.append(sid)
    for customer, sid in zip(customers, sids, strict=True):
        eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="unlocked")

    stack.kill("billing")  # SIGKILL: no shutdown code runs
    for customer, sid in zip(customers, sids, strict=True):
        customer.change_quantity(sid, 2)
        customer.change_quantity(sid, 4)
    stack.start_service("billing")

    for customer, sid in zip(customers, sids, strict=True):
        lines = eventually(
            lambda: len(customer.invoice_lines(sid)["lines"]) == 2 and customer.invoice_lines(sid)["lines"],
            timeout=60,
            what="both lines",
        )
        assert sorted(line["quantity_delta"] for line in lines) == [1, 2]


def test_subscriptions_killed_after_commit_before_publish_sends_the_event_on_restart(stack, api):
    customer = api.new_customer("Crash Before Relay")
    stack.terminate("subscriptions")
    stack.start_service("subscriptions", SUBSCRIPTIONS_RELAY_ENABLED="false")
    sid = customer.purchase(quantity=1)["id"]  # committed with its outbox row, never published
    stack.kill("subscriptions")
    assert not [r for r in read_topic(stack.config.bootstrap, SUBSCRIPTION_EVENTS) if r.key == sid]

    stack.start_service("subscriptions")
    eventually(lambda: mails(stack, sid, "agreement"), timeout=60, what="agreement e-mail after restart")
    eventually(lambda: customer.seats(sid)["status"] == "locked", what="seats saw the purchase")
    published = [r for r in read_topic(stack.config.bootstrap, SUBSCRIPTION_EVENTS) if r.key == sid]
    assert [r.json()["type"] for r in published] == ["subscription.purchased"]
    assert len(mails(stack, sid, "agreement")) == 1
