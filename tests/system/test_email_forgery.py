"""A forged event on the broker cannot make notifications mail someone else or re-point who
reads a subscription's e-mails (issue 11, item 1), over the real broker and stack.

The events are published straight onto `subscriptions.events.v1`, as anyone who can write to
the broker could (the embedded broker has no ACLs). Notifications checks each against what
earlier events said and dead-letters a contradiction with reason `inconsistent`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from contracts.envelope import Envelope
from contracts.subscriptions import AdministratorTransferred, SubscriptionActivated
from contracts.values import BillingCycle, Contact, LicenceType, Money
from devkit.client import EntitleClient, eventually
from devkit.mailbox import read_mailbox
from opskit.topicreader import produce, read_topic

MALLORY = Contact(person_id="p-mallory", email="mallory@evil.example", name="Mallory", locale="en")
NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


def claims_of(client: EntitleClient) -> dict:
    return jwt.decode(client.token, options={"verify_signature": False})


def publish(stack, event) -> str:
    envelope = Envelope.wrap(event, source="subscriptions", time=NOW)
    produce(stack.config.bootstrap, "subscriptions.events.v1", [(event.subject().encode(), envelope.to_json())])
    return envelope.id


def dead_letter_of(stack, event_id: str) -> dict | None:
    """The headers of notifications' dead letter of that event, once there."""
    for record in read_topic(stack.config.bootstrap, "notifications.dlq"):
        if record.event_id == event_id:
            return record.headers
    return None


def test_item1_an_activation_of_a_subscription_never_purchased_is_dead_lettered_and_mails_nobody(stack, customer):
    claims, sid = claims_of(customer), str(uuid.uuid4())
    forged = SubscriptionActivated(
        subscription_id=sid,
        account_id=claims["acct"],
        administrator=Contact(person_id=claims["sub"], email=claims["email"], name="Ada", locale="en"),
        licence_type=LicenceType.NAMED_USER,
        billing_cycle=BillingCycle.ANNUAL,
        quantity=500,
        unit_price=Money(amount_minor=0, currency="EUR"),
        activated_at=NOW,
        term_start=NOW,
        term_end=NOW + timedelta(days=365),
    )
    event_id = publish(stack, forged)

    letter = eventually(lambda: dead_letter_of(stack, event_id), what="notifications' dead letter")
    assert letter["dlq.reason"] == "inconsistent" and "never saw" in letter["dlq.error"]
    assert customer.call("notifications", "GET", f"/deliveries?caused_by={event_id}") == []
    assert not [m for m in read_mailbox(stack.config.mail_dir) if m.subscription_id == sid]


def test_item1_a_forged_transfer_neither_mails_the_forger_nor_takes_the_log_from_the_administrator(stack, customer):
    claims = claims_of(customer)
    answer = customer.purchase(quantity=1)
    sid, purchase_id = answer["id"], answer["event_ids"][0]
    eventually(
        lambda: [
            e
            for e in customer.call("notifications", "GET", f"/deliveries?caused_by={purchase_id}")
            if e["status"] == "sent"
        ],
        what="the agreement e-mail sent",
    )

    forged = AdministratorTransferred(
        subscription_id=sid,
        account_id=claims["acct"],
        previous_administrator=MALLORY,
        new_administrator=MALLORY,
        transferred_at=NOW,
    )
    event_id = publish(stack, forged)

    letter = eventually(lambda: dead_letter_of(stack, event_id), what="notifications' dead letter")
    assert letter["dlq.reason"] == "inconsistent" and f"administrator is person {claims['sub']}" in letter["dlq.error"]
    assert not [m for m in read_mailbox(stack.config.mail_dir) if "mallory" in m.to]
    [entry] = customer.call("notifications", "GET", f"/deliveries?caused_by={purchase_id}")
    assert (entry["template"], entry["subscription_id"]) == ("agreement", sid)  # still theirs to read
