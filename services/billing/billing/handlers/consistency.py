"""Whether an event agrees with what billing knows of its subscription (issue 11, item 1).

Pure: it compares an event with billing's view and answers; the handler acts on the answer.

Anyone able to write to a topic could once make billing charge, credit or re-address a
subscription: a forged `subscription.administrator_transferred` moved a subscription's
invoices to another account's person. The broker's ACLs keep strangers off the topics; this is
the second line, for a producer that is wrong or was broken into:

- A subscription exists for billing from its purchase (or trial) on; every other
  subscription event about one it never saw bought is refused.
- Every event names the account the view has, and starts from the state the view is in: an
  activation agrees with the purchase, a transfer names the administrator billing knows as
  the previous one, a renewal starts where the current term ends, a tier change and an
  add-on fall in the current term.
- Seat events come on another topic, so they may legitimately be read before the purchase or
  the activation they follow. Until the subscription runs they WAIT (the handler parks them)
  instead of being refused; they are applied when it starts.

A refusal raises `InconsistentEvent`: the consumer dead-letters the record with the reason
`inconsistent` and applies nothing of it.
"""

from __future__ import annotations

from enum import Enum
from typing import NoReturn

from billing.domain.subscriptions import ACTIVE, PURCHASED, TRIALING, BilledEvent, SubscriptionView
from contracts.errors import InconsistentEvent
from contracts.seats import SeatDecreaseScheduled, SeatQuantityChanged
from contracts.subscriptions import (
    AddonAdded,
    AdministratorTransferred,
    SubscriptionActivated,
    SubscriptionPurchased,
    SubscriptionRenewed,
    TierChanged,
    TrialStarted,
)

SEAT_EVENTS = (SeatQuantityChanged, SeatDecreaseScheduled)


class Verdict(str, Enum):
    APPLY = "apply"
    WAIT = "wait"  # a seat event seen before its subscription runs: parked until it does


def verdict(view: SubscriptionView | None, event: BilledEvent) -> Verdict:
    """APPLY or WAIT; raises `InconsistentEvent` for an event that contradicts the view."""
    sid = event.subscription_id
    stage = view.stage if view is not None else None  # None: never seen bought
    if view is not None and event.account_id != view.account_id:
        _refuse(event, f"names account {event.account_id}, but subscription {sid} belongs to account {view.account_id}")
    if isinstance(event, SEAT_EVENTS):
        return Verdict.APPLY if view is not None and view.started else Verdict.WAIT
    if isinstance(event, (SubscriptionPurchased, TrialStarted)):
        if stage is not None and not (
            isinstance(event, SubscriptionPurchased) and event.converts_trial and stage == TRIALING
        ):
            _refuse(event, f"starts subscription {sid} again; billing already saw it {stage}")
        return Verdict.APPLY
    if view is None or view.stage is None:
        _refuse(event, f"is about subscription {sid}, which billing never saw bought or trial-started")
    _agrees_with_the_view(view, event)
    return Verdict.APPLY


def _agrees_with_the_view(view: SubscriptionView, event: BilledEvent) -> None:
    if isinstance(event, SubscriptionActivated):
        _activation_agrees_with_the_purchase(view, event)
    elif isinstance(event, AdministratorTransferred):
        known = view.administrator.person_id if view.administrator else None
        if event.previous_administrator.person_id != known:
            _refuse(
                event,
                f"names {event.previous_administrator.person_id} as the previous administrator; billing knows {known}",
            )
    elif isinstance(event, SubscriptionRenewed):
        _needs_stage(view, event, ACTIVE)
        _same_administrator(view, event)
        if event.term_start != view.term_end:
            _refuse(
                event,
                f"starts a term at {event.term_start:%Y-%m-%d %H:%M}; the current term "
                f"ends at {view.term_end:%Y-%m-%d %H:%M}",
            )
    elif isinstance(event, (TierChanged, AddonAdded)):
        _needs_stage(view, event, ACTIVE)
        if (event.term_start, event.term_end) != (view.term_start, view.term_end):
            _refuse(event, "falls in another term than the current one")
        if isinstance(event, TierChanged) and view.tier and event.from_tier != view.tier:
            _refuse(event, f"changes from tier {event.from_tier}; the tier in force is {view.tier}")


def _activation_agrees_with_the_purchase(view: SubscriptionView, event: SubscriptionActivated) -> None:
    """R7: the activation starts what was bought, as it was bought, once."""
    _needs_stage(view, event, PURCHASED)
    _same_administrator(view, event)
    bought: dict[str, object] = {
        "product": view.product,
        "tier": view.tier,
        "billing cycle": view.billing_cycle,
        "unit price": view.unit_price,
    }
    # A quantity billing took from a seat event (older data) is not the purchase's.
    if view.quantity_at is None:
        bought["quantity"] = view.quantity
    activated = {
        "product": event.product,
        "tier": event.tier,
        "billing cycle": event.billing_cycle,
        "unit price": event.unit_price,
        "quantity": event.quantity,
    }
    differing = [name for name, value in bought.items() if value and activated[name] != value]
    if differing:
        _refuse(event, f"does not agree with the purchase ({', '.join(differing)})")


def _needs_stage(view: SubscriptionView, event: BilledEvent, stage: str) -> None:
    if view.stage != stage:
        _refuse(event, f"needs subscription {event.subscription_id} {stage}; billing saw it {view.stage}")


def _same_administrator(view: SubscriptionView, event: SubscriptionActivated | SubscriptionRenewed) -> None:
    named, known = event.administrator.person_id, view.administrator.person_id if view.administrator else None
    if named != known:
        _refuse(event, f"names administrator {named}; billing knows {known}")


def _refuse(event: BilledEvent, why: str) -> NoReturn:
    raise InconsistentEvent(f"{event.type} {why}")
