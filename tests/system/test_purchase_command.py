"""A purchase can also arrive as a command on `subscriptions.commands.v1` (e.g. from a shop)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from contracts.envelope import Envelope
from contracts.subscriptions import PurchaseSubscription
from contracts.values import BillingCycle, Contact, LicenceType
from devkit.client import eventually
from devkit.mailbox import read_mailbox
from opskit.topicreader import events_of, produce


def test_R7_a_purchase_command_delivered_twice_orders_once_and_emails_the_agreement_once(stack):
    sid = str(uuid.uuid4())
    command = PurchaseSubscription(
        subscription_id=sid,
        account_id="shop-account",
        administrator=Contact(person_id=str(uuid.uuid4()), email="buyer@example.com", name="Bo", locale="nl"),
        product="designer",
        tier="premium",
        licence_type=LicenceType.FLOATING,
        billing_cycle=BillingCycle.MONTHLY,
        quantity=10,
    )
    envelope = Envelope.wrap(command, source="shop", time=datetime(2026, 1, 5, tzinfo=UTC)).to_json()
    produce(stack.config.bootstrap, "subscriptions.commands.v1", [(sid.encode(), envelope)] * 2)

    mail = eventually(
        lambda: [m for m in read_mailbox(stack.config.mail_dir) if m.subscription_id == sid], what="agreement e-mail"
    )[0]
    assert mail.language == "nl" and "10 licentie(s)" in mail.text
    purchased = eventually(
        lambda: events_of(stack.config.bootstrap, "subscriptions.events.v1", sid), what="subscription.purchased"
    )
    assert [e["type"] for e in purchased] == ["subscription.purchased"]
    assert purchased[0]["data"]["unit_price"] == {"amount_minor": 6500, "currency": "EUR"}
    assert len([m for m in read_mailbox(stack.config.mail_dir) if m.subscription_id == sid]) == 1
