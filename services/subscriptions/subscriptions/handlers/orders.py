"""Handlers of orders: purchase (R7) or reseller order (R19), the approver's decision,
agreement acceptance and its deadline (R8), trials and their conversion (R10)."""

from __future__ import annotations

from datetime import datetime

from contracts.envelope import Event
from contracts.errors import Refusal, RuleViolation
from contracts.subscriptions import PurchaseSubscription, SubscriptionActivated
from contracts.values import Contact, LicenceType
from servicekit.http.auth import Caller
from servicekit.http.fields import email_address, single_line
from servicekit.scheduler import DueJob
from subscriptions import domain
from subscriptions.adapters.catalogue import Catalogue
from subscriptions.domain import agreements, orders
from subscriptions.handlers.jobs import (
    ACTIVATION_EXPIRY,
    TRIAL_END,
    fire,
    publish_all,
    schedule_activation_expiry,
    schedule_term_end,
)
from subscriptions.store.uow import SubscriptionsUnitOfWork

LOCALES = ("en", "fr", "nl", "de")


def agreement_url(portal_url: str, subscription_id: str) -> str:
    return f"{portal_url}/subscriptions/{subscription_id}/agreement"


def contact_of(caller: Caller) -> Contact:
    """The signed-in caller as the administrator of what they buy (R6)."""
    return Contact(person_id=caller.person_id, email=caller.email, name=caller.name, locale=caller.locale)


async def purchase(
    command: PurchaseSubscription, uow: SubscriptionsUnitOfWork, *, catalogue: Catalogue, portal_url: str
) -> None:
    """The purchase command of `subscriptions.commands.v1`."""
    fields = command.model_dump(include=set(domain.Order.__dataclass_fields__))
    order = domain.Order(**{**fields, "administrator": _checked(command.administrator)})
    await place_order(order, uow, catalogue=catalogue, portal_url=portal_url)


def _checked(administrator: Contact) -> Contact:
    """A command is a request too: its text reaches e-mail headers and logs, so it passes the
    checks of the HTTP edge (one line, one address). A bad one is refused, and so
    dead-lettered, instead of poisoning every e-mail that names it."""
    try:
        if administrator.locale not in LOCALES:
            raise ValueError(f"locale must be one of {', '.join(LOCALES)}")
        return administrator.model_copy(
            update=dict(
                email=email_address(administrator.email),
                name=single_line(administrator.name),
                person_id=single_line(administrator.person_id),
            )
        )
    except ValueError as error:
        raise RuleViolation(
            "invalid_administrator", f"The purchase command's administrator {error}.", refusal=Refusal.INVALID
        ) from error


async def place_order(
    order: domain.Order, uow: SubscriptionsUnitOfWork, *, catalogue: Catalogue, portal_url: str
) -> domain.Subscription:
    if (existing := await uow.subscriptions.find(order.subscription_id)) is not None:
        if existing.account_id != order.account_id:
            raise RuleViolation("subscription_id_taken", "That subscription id is already in use.")
        return existing  # the same order delivered again: it was placed once
    s, event = orders.place_order(
        order,
        catalogue.product(order.product),
        uow.now(),
        agreement_url(portal_url, order.subscription_id),
        project_busy=await uow.subscriptions.project_busy(order.project_id),
    )
    await uow.subscriptions.add(s)
    await uow.publish(event)
    if s.status is domain.Status.PENDING_ACTIVATION:
        await issue_purchase_agreement(uow, s)
        await schedule_activation_expiry(uow, s)
    return s


async def issue_purchase_agreement(uow: SubscriptionsUnitOfWork, s: domain.Subscription) -> agreements.Agreement:
    """R36: the agreement is fixed when the order is offered for acceptance."""
    agreement = agreements.for_purchase(s, await uow.agreements.next_number(s.id), uow.now())
    await uow.agreements.add(agreement)
    return agreement


async def decide_order(
    subscription_id: str, approved: bool, uow: SubscriptionsUnitOfWork, *, catalogue: Catalogue, portal_url: str
) -> domain.Subscription:
    s = await uow.subscriptions.get(subscription_id, lock=True)
    await publish_all(
        uow, orders.decide_order(s, approved, catalogue.product(s.product), uow.now(), agreement_url(portal_url, s.id))
    )
    await uow.subscriptions.save(s)
    if approved:
        await issue_purchase_agreement(uow, s)
        await schedule_activation_expiry(uow, s)
    return s


async def accept_agreement(
    subscription_id: str, caller: Caller, uow: SubscriptionsUnitOfWork, *, catalogue: Catalogue
) -> domain.Subscription:
    s = await uow.subscriptions.get(subscription_id, lock=True)
    # The order's expiry job keeps the purchase's correlation id: the activation and all it
    # causes join the purchase's trace (`entitle trace`), not a trace of their own.
    await uow.continue_story_of_job(f"{ACTIVATION_EXPIRY}:{s.id}")
    agreement = await uow.agreements.purchase(s.id)
    await uow.publish(
        agreements.accepted(agreement, s, uow.now(), s.activate(caller, uow.now(), catalogue.product(s.product)))
    )
    await uow.subscriptions.save(s)
    if agreement is not None:
        await uow.agreements.save(agreement)
    await uow.cancel_job(f"{ACTIVATION_EXPIRY}:{s.id}")
    await schedule_term_end(uow, s)
    return s


async def expire_activation(job: DueJob, uow: SubscriptionsUnitOfWork) -> None:
    await fire(job, uow, lambda s, j: s.expire_activation(j.due_at))


async def start_trial(
    subscription_id: str,
    caller: Caller,
    product: str,
    licence_type: LicenceType,
    uow: SubscriptionsUnitOfWork,
    *,
    catalogue: Catalogue,
) -> domain.Subscription:
    s, started = orders.start_trial(
        subscription_id,
        caller.account_id,
        contact_of(caller),
        catalogue.product(product),
        licence_type,
        uow.now(),
        had_trial=await uow.subscriptions.had_trial(caller.account_id, product),
    )
    await uow.subscriptions.add(s)
    await uow.publish(started)
    assert s.trial_ends_at is not None
    await uow.schedule(f"{TRIAL_END}:{s.id}", TRIAL_END, s.id, s.trial_ends_at)
    return s


async def convert_trial(
    subscription_id: str,
    caller: Caller,
    order: domain.Order,
    uow: SubscriptionsUnitOfWork,
    *,
    catalogue: Catalogue,
    portal_url: str,
) -> domain.Subscription:
    """Purchase, activation and the trial's end, in one transaction."""
    s = await uow.subscriptions.get(subscription_id, lock=True)
    events = orders.convert_trial(
        s, caller, order, catalogue.product(s.product), uow.now(), agreement_url(portal_url, s.id)
    )
    # Converting is accepting (R10): the purchase's agreement is issued and accepted at once.
    agreement = agreements.for_purchase(s, await uow.agreements.next_number(s.id), uow.now())
    await publish_all(uow, [_accepting(agreement, s, uow.now(), e) for e in events])
    await uow.agreements.add(agreement)
    await uow.subscriptions.save(s)
    await uow.cancel_job(f"{TRIAL_END}:{s.id}")
    await schedule_term_end(uow, s)
    return s


async def end_trial(job: DueJob, uow: SubscriptionsUnitOfWork, *, catalogue: Catalogue) -> None:
    await fire(
        job, uow, lambda s, j: orders.end_trial(s, j.due_at, catalogue.product(s.product).trial_offer().fallback_tier)
    )


def _accepting(agreement: agreements.Agreement, s: domain.Subscription, at: datetime, event: Event) -> Event:
    return agreements.accepted(agreement, s, at, event) if isinstance(event, SubscriptionActivated) else event
