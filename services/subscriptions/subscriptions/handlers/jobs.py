"""Due jobs of a subscription: their ids, scheduling, cancelling, and firing them."""

from __future__ import annotations

from collections.abc import Callable

from contracts.envelope import Event
from servicekit.scheduler import DueJob
from subscriptions import domain
from subscriptions.store.uow import SubscriptionsUnitOfWork

ACTIVATION_EXPIRY, TERM_END, GRACE_END, TRIAL_END = "activation_expiry", "term_end", "grace_end", "trial_end"

Transition = Callable[[domain.Subscription, DueJob], Event | list[Event] | None]


def term_end_job(s: domain.Subscription) -> str:
    """One job per term: a finished job's id is never reused, so each renewal needs its own."""
    assert s.term_end is not None
    return f"{TERM_END}:{s.id}:{s.term_end:%Y%m%dT%H%M%S}"


def grace_end_job(s: domain.Subscription) -> str:
    """The grace after one expired term (R15, R48); a later term has a grace of its own."""
    assert s.term_end is not None
    return f"{GRACE_END}:{s.id}:{s.term_end:%Y%m%dT%H%M%S}"


async def schedule_term_end(uow: SubscriptionsUnitOfWork, s: domain.Subscription) -> None:
    assert s.term_end is not None
    await uow.schedule(term_end_job(s), TERM_END, s.id, s.term_end)


async def schedule_activation_expiry(uow: SubscriptionsUnitOfWork, s: domain.Subscription) -> None:
    await uow.schedule(f"{ACTIVATION_EXPIRY}:{s.id}", ACTIVATION_EXPIRY, s.id, s.activation_deadline)


async def cancel_all(uow: SubscriptionsUnitOfWork, s: domain.Subscription) -> None:
    """Nothing is due any more for a subscription that ended at once."""
    for kind in (ACTIVATION_EXPIRY, TRIAL_END):
        await uow.cancel_job(f"{kind}:{s.id}")
    if s.term_end is not None:
        await uow.cancel_job(term_end_job(s))
        await uow.cancel_job(grace_end_job(s))


async def publish_all(uow: SubscriptionsUnitOfWork, events: Event | list[Event] | None) -> list[Event]:
    events = [] if events is None else events if isinstance(events, list) else [events]
    for event in events:
        await uow.publish(event)
    return events


async def fire(
    job: DueJob,
    uow: SubscriptionsUnitOfWork,
    transition: Transition,
) -> tuple[domain.Subscription | None, list[Event]]:
    """Jobs take effect at their due time (`job.due_at`), however late the scheduler runs them."""
    subscription = await uow.subscriptions.find(job.subject, lock=True)
    if subscription is None:
        return None, []
    events = await publish_all(uow, transition(subscription, job))
    if events:
        await uow.subscriptions.save(subscription)
    return subscription, events
