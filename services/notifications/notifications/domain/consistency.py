"""Whether an event agrees with what notifications already knows of its subscription. Pure.

Any well-formed event on a topic notifications reads used to be believed: a forged
`subscription.administrator_transferred` re-pointed who may read a subscription's e-mails,
and any event naming an administrator made notifications write to whoever it named. The
broker's ACLs are the first defence (only the owner writes `<owner>.*`); this is the second.
An event that contradicts what earlier events said is refused with `InconsistentEvent`: the
consumer dead-letters it (reason `inconsistent`), applies nothing and sends no e-mail.

What is checked, per subscription:
- it must be known: a subscription starts with its purchase, its trial or its reseller order
  (`OPENING_EVENTS`); any other event about one never seen started is refused;
- the account must be the one that owns it;
- on `subscriptions.events.v1` (one partition per subscription, so in order with every
  transfer) the administrator an event names must be the one in force, and a transfer must
  come from them;
- on the other topics (seats, billing: written by services that may not have applied a
  transfer yet) the administrator named must be one who administered it at some point.

Identity's account and person events, and the verification e-mails, legitimately come first
for their subject: they are not checked against anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from contracts import topics
from contracts.billing import InvoiceIssued
from contracts.envelope import Event
from contracts.errors import InconsistentEvent
from contracts.registry import topic_for
from contracts.seats import UserInvited
from contracts.subscriptions import (
    AdministratorTransferred,
    OrderAwaitingApproval,
    SubscriptionPurchased,
    TrialStarted,
)
from contracts.values import Contact

OPENING_EVENTS: tuple[type[Event], ...] = (SubscriptionPurchased, TrialStarted, OrderAwaitingApproval)
"""The events a subscription's history starts with: an order straight to the agreement, a free
trial, or a reseller order awaiting approval (R7, R10, R19)."""


@dataclass(frozen=True)
class KnownSubscription:
    """A subscription as the events applied so far described it."""

    subscription_id: str
    account_id: str
    administrator_id: str  # in force
    # Everyone who administered it, the one in force included: person id -> e-mail address
    # (None for an administrator recorded before addresses were kept).
    administrators: Mapping[str, str | None] = field(default_factory=dict)

    def in_force(self, contact: Contact) -> bool:
        known_email = self.administrators.get(self.administrator_id)
        return contact.person_id == self.administrator_id and (
            known_email is None or known_email == contact.email.lower()
        )

    def ever_administered_by(self, person_id: str) -> bool:
        return person_id == self.administrator_id or person_id in self.administrators


def subscriptions_concerned(event: Event) -> set[str]:
    """The subscriptions whose known facts an event must agree with."""
    if isinstance(event, InvoiceIssued):
        return {line.subscription_id for line in event.lines}
    if event.key_field == "subscription_id":
        return {event.subject()}
    return set()


def from_subscriptions_service(event: Event) -> bool:
    """On `subscriptions.events.v1`: keyed by subscription, so in order with its purchase and
    its transfers. Only such an event says who administers a subscription now."""
    return topic_for(event) is topics.SUBSCRIPTIONS_EVENTS


def claimed_administrator(event: Event) -> Contact | None:
    """Whom the event presents as the subscription's administrator when it happened."""
    if isinstance(event, AdministratorTransferred):
        return event.previous_administrator
    if isinstance(event, OrderAwaitingApproval):
        return event.reseller  # the reseller placed the order and administers it (R19)
    if isinstance(event, UserInvited):
        return event.invited_by
    return getattr(event, "administrator", None)


def check_agrees(event: Event, known: Mapping[str, KnownSubscription]) -> None:
    """Raises InconsistentEvent when `event` contradicts `known` (subscription id -> what is
    known of it, for the subscriptions the event concerns)."""
    if isinstance(event, InvoiceIssued):
        _check_invoice(event, known)
        return
    if event.key_field != "subscription_id":
        return
    subscription_id = event.subject()
    subscription = known.get(subscription_id)
    if subscription is None:
        if isinstance(event, OPENING_EVENTS):
            return
        raise InconsistentEvent(
            f"{event.type} is about subscription {subscription_id}, which notifications never saw "
            "purchased, started as a trial or ordered: not applied, no e-mail sent."
        )
    _check_account(event, getattr(event, "account_id", ""), subscription)  # every such event names it
    named = claimed_administrator(event)
    if named is None:
        return
    if from_subscriptions_service(event):
        if not subscription.in_force(named):
            raise InconsistentEvent(
                f"{event.type} names person {named.person_id} as the administrator of subscription "
                f"{subscription_id}, whose administrator is person {subscription.administrator_id}"
                + (" (at another address)" if named.person_id == subscription.administrator_id else "")
                + ": not applied, no e-mail sent."
            )
    elif not subscription.ever_administered_by(named.person_id):
        raise InconsistentEvent(
            f"{event.type} names person {named.person_id}, who never administered subscription "
            f"{subscription_id}, as its administrator: not applied, no e-mail sent."
        )


def _check_invoice(event: InvoiceIssued, known: Mapping[str, KnownSubscription]) -> None:
    """An invoice is about an account; its lines name the subscriptions billed, which must be
    that account's, and it goes to someone who administered one of them."""
    billed = []
    for subscription_id in sorted(subscriptions_concerned(event)):
        subscription = known.get(subscription_id)
        if subscription is None:
            raise InconsistentEvent(
                f"{event.type} {event.number} bills subscription {subscription_id}, which notifications "
                "never saw purchased, started as a trial or ordered: not applied, no e-mail sent."
            )
        _check_account(event, getattr(event, "account_id", ""), subscription)  # every such event names it
        billed.append(subscription)
    if billed and not any(s.ever_administered_by(event.administrator.person_id) for s in billed):
        raise InconsistentEvent(
            f"{event.type} {event.number} goes to person {event.administrator.person_id}, who never "
            "administered a subscription it bills: not applied, no e-mail sent."
        )


def _check_account(event: Event, account_id: str, subscription: KnownSubscription) -> None:
    if account_id != subscription.account_id:
        raise InconsistentEvent(
            f"{event.type} says subscription {subscription.subscription_id} belongs to account "
            f"{account_id}; it belongs to account {subscription.account_id}: not applied, no e-mail sent."
        )
