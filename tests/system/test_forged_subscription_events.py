"""Forged events published straight onto the real broker, as anyone able to write a topic could
(issue 11, item 1): billing and subscriptions check each event against what they know of its
subscription, dead-letter the one that contradicts it with the reason `inconsistent`, and
apply nothing of it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import jwt
import pytest

from contracts.envelope import Envelope
from contracts.seats import SeatQuantityChanged
from contracts.subscriptions import AdministratorTransferred, SubscriptionActivated
from contracts.values import BillingCycle, Contact, LicenceType, Money
from devkit.client import EntitleClient, EntitleError, eventually
from opskit.topicreader import produce, read_topic

SUBSCRIPTION_EVENTS, SEAT_EVENTS = "subscriptions.events.v1", "seats.events.v1"


def claims_of(client: EntitleClient) -> dict:
    return jwt.decode(client.token, options={"verify_signature": False})


def contact_of(client: EntitleClient) -> Contact:
    claims = claims_of(client)
    return Contact(person_id=claims["sub"], email=claims["email"], name=claims.get("name", ""))


def publish(stack, topic: str, event) -> str:
    """As a forger with access to the topic would: a well-formed envelope, a fresh id."""
    envelope = Envelope.wrap(event, source="subscriptions", time=datetime.now(UTC))
    produce(stack.config.bootstrap, topic, [(event.subject().encode(), envelope.to_json())])
    return envelope.id


def dead_letter(stack, group: str, event_id: str):
    """The record `group` dead-lettered for that event, once it has."""

    def found():
        return next((r for r in read_topic(stack.config.bootstrap, f"{group}.dlq") if r.event_id == event_id), None)

    return eventually(found, timeout=30, what=f"{group} dead-lettered {event_id}")


def active_and_invoiced(customer: EntitleClient) -> tuple[str, dict]:
    sid = customer.purchase(quantity=2)["id"]
    customer.accept(sid)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="unlocked")
    [invoice] = eventually(lambda: customer.invoices(), what="the activation's invoice")
    return sid, invoice


def test_a_forged_administrator_transfer_to_another_account_is_dead_lettered_by_billing_and_moves_nothing(
    stack, api, customer
):
    sid, invoice = active_and_invoiced(customer)
    mallory = api.new_customer("Mallory Forger")
    forged = AdministratorTransferred(
        subscription_id=sid,
        account_id=claims_of(mallory)["acct"],
        previous_administrator=contact_of(customer),
        new_administrator=contact_of(mallory),
        transferred_at=datetime.now(UTC),
    )
    event_id = publish(stack, SUBSCRIPTION_EVENTS, forged)

    dead = dead_letter(stack, "billing", event_id)
    assert (dead.headers["dlq.reason"], dead.headers["dlq.topic"]) == ("inconsistent", SUBSCRIPTION_EVENTS)
    assert "belongs to account" in dead.headers["dlq.error"]
    # Billing's view still names the real account and administrator.
    assert customer.invoice_lines(sid)["subscription_id"] == sid
    assert [i["invoice_id"] for i in customer.invoices()] == [invoice["invoice_id"]]
    assert customer.invoice(invoice["invoice_id"])["account_id"] == claims_of(customer)["acct"]
    for attempt in (lambda: mallory.invoice_lines(sid), lambda: mallory.invoice(invoice["invoice_id"])):
        with pytest.raises(EntitleError) as refused:
            attempt()
        assert refused.value.status == 404
    with pytest.raises(EntitleError) as refused:
        mallory.invoices()
    assert refused.value.status == 403  # Mallory administers nothing of her own account either


def test_a_forged_activation_of_a_subscription_never_bought_is_dead_lettered_by_billing(stack, customer):
    sid, at = str(uuid.uuid4()), datetime.now(UTC)
    forged = SubscriptionActivated(
        subscription_id=sid,
        account_id=claims_of(customer)["acct"],
        administrator=contact_of(customer),
        licence_type=LicenceType.NAMED_USER,
        billing_cycle=BillingCycle.ANNUAL,
        quantity=500,
        unit_price=Money(amount_minor=36500, currency="EUR"),
        activated_at=at,
        term_start=at,
        term_end=at.replace(year=at.year + 1),
        product="designer",
        tier="enterprise",
    )
    dead = dead_letter(stack, "billing", publish(stack, SUBSCRIPTION_EVENTS, forged))
    assert dead.headers["dlq.reason"] == "inconsistent" and "never saw bought" in dead.headers["dlq.error"]
    with pytest.raises(EntitleError) as refused:
        customer.invoice_lines(sid)
    assert refused.value.status == 404


def test_a_forged_seat_quantity_naming_another_account_is_dead_lettered_and_changes_no_quantity(stack, api, customer):
    sid, _ = active_and_invoiced(customer)
    subscription = customer.subscription(sid)
    forged = SeatQuantityChanged(
        subscription_id=sid,
        account_id=f"a-{uuid.uuid4().hex[:8]}",
        previous_quantity=2,
        new_quantity=900,
        requested_at=datetime.now(UTC),
        effective_at=datetime.now(UTC),
        term_start=datetime.fromisoformat(subscription["term_start"]),
        term_end=datetime.fromisoformat(subscription["term_end"]),
        unit_price=Money(amount_minor=1, currency="EUR"),
    )
    event_id = publish(stack, SEAT_EVENTS, forged)
    for group in ("subscriptions", "billing"):
        assert dead_letter(stack, group, event_id).headers["dlq.reason"] == "inconsistent"
    assert customer.subscription(sid)["quantity"] == 2
    assert customer.invoice_lines(sid)["lines"] == []  # nothing prorated was billed
