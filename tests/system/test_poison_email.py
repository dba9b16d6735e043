"""One customer's bad data cannot stall every tenant's e-mail (issue 11, item 2), over the real
broker, notifications process and SMTP sink.

Once, an administrator address or a product name with CR/LF made composing the e-mail raise;
the sender took that for an unreachable server and backed the whole queue off (up to 30 s a
round, the poison e-mail first each time), so other customers' agreements waited minutes.
The HTTP edges now refuse such text, so the poison is published straight onto the broker, as
old data or a forged producer would. Each poison e-mail must be `rejected` with a reason and
never retried; the other customers' e-mails must arrive promptly meanwhile.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from contracts.envelope import Envelope
from contracts.subscriptions import SubscriptionPurchased
from contracts.values import BillingCycle, Contact, LicenceType, Money
from devkit.client import EntitleClient, eventually
from devkit.mailbox import read_mailbox
from opskit.topicreader import events_of, produce

LINE_BREAK = "\r\nBcc: everyone@example.com"
ORDERED_AT = datetime(2026, 1, 5, 9, tzinfo=UTC)  # the shared stack's starting time
PROMPTLY = 15.0  # seconds: a stalled queue backs off 30 s a round; a free one sends in well under 1 s


def claims_of(client: EntitleClient) -> dict:
    return jwt.decode(client.token, options={"verify_signature": False})


def poison_purchase(victim: dict, **poison) -> tuple[str, bytes]:
    """A purchase for the victim's account and person, with a line break where `poison` says."""
    sid = str(uuid.uuid4())
    administrator = Contact(person_id=victim["sub"], email=victim["email"], name="Vic Victim", locale="en")
    event = SubscriptionPurchased(
        subscription_id=sid,
        account_id=victim["acct"],
        administrator=administrator.model_copy(update=poison.pop("administrator", {})),
        product="designer",
        tier="standard",
        licence_type=LicenceType.NAMED_USER,
        billing_cycle=BillingCycle.ANNUAL,
        quantity=1,
        unit_price=Money(amount_minor=6500, currency="EUR"),
        ordered_at=ORDERED_AT,
        activation_deadline=ORDERED_AT + timedelta(days=90),
        agreement_url=f"http://127.0.0.1/subscriptions/{sid}/agreement",
    ).model_copy(update=poison)
    return sid, Envelope.wrap(event, source="subscriptions", time=ORDERED_AT).to_json()


def entry_of(client: EntitleClient, caused_by: str) -> dict | None:
    """The poison e-mail's log entry, once it is settled (the victim is its recipient)."""
    entries = client.call("notifications", "GET", f"/deliveries?caused_by={caused_by}")
    return entries[0] if entries and entries[0]["status"] != "pending" else None


def test_item2_a_poison_email_is_rejected_alone_and_other_customers_mail_arrives_promptly(stack, api):
    victim = api.new_customer("Vic Victim")
    claims = claims_of(victim)
    poisons = [
        poison_purchase(claims, administrator={"email": claims["email"] + LINE_BREAK}),
        poison_purchase(claims, product="designer" + LINE_BREAK),
    ]
    produce(stack.config.bootstrap, "subscriptions.events.v1", [(sid.encode(), body) for sid, body in poisons])
    poison_ids = [Envelope.model_validate_json(body).id for _, body in poisons]

    others = [api.new_customer(f"Other {n}") for n in range(2)]
    purchases = [(other, other.purchase(quantity=1)) for other in others]
    for _other, answer in purchases:
        eventually(
            lambda: [
                m
                for m in read_mailbox(stack.config.mail_dir)
                if m.subscription_id == answer["id"] and m.template == "agreement"
            ],
            timeout=PROMPTLY,
            what="another customer's agreement e-mail, promptly",
        )

    for poison_id in poison_ids:
        entry = eventually(lambda: entry_of(victim, poison_id), what="the poison e-mail settled")
        assert (entry["status"], entry["attempts"], entry["sent_at"]) == ("rejected", 0, None)
        assert "line break" in entry["last_error"] and "everyone@" not in entry["last_error"]
    assert not [
        m
        for m in read_mailbox(stack.config.mail_dir)
        if "everyone@" in m.to or m.subscription_id in {sid for sid, _ in poisons}
    ]

    # reported once, and never retried: later rounds leave it as it was
    for sid, _ in poisons:
        rejected = eventually(
            lambda: [
                e
                for e in events_of(stack.config.bootstrap, "notifications.events.v1", sid)
                if e["type"] == "notifications.email_rejected"
            ],
            what="email_rejected",
        )
        assert len(rejected) == 1 and "everyone@" not in str(rejected)
    later = api.new_customer("Later").purchase(quantity=1)["id"]
    eventually(
        lambda: [m for m in read_mailbox(stack.config.mail_dir) if m.subscription_id == later],
        timeout=PROMPTLY,
        what="a later agreement e-mail",
    )
    assert [entry_of(victim, poison_id)["attempts"] for poison_id in poison_ids] == [0, 0]
