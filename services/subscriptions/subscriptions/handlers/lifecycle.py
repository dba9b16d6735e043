"""Handlers of the end of a term: cancellation and withdrawal (R14), termination, renewal
at the term end and within the grace of any cycle (R11, R15, R48), and the grace end."""

from __future__ import annotations

from datetime import date

from contracts.subscriptions import GraceStarted, SubscriptionRenewed
from servicekit.http.auth import Caller
from servicekit.scheduler import DueJob
from subscriptions import domain
from subscriptions.adapters.catalogue import Catalogue
from subscriptions.domain import lifecycle
from subscriptions.handlers.jobs import GRACE_END, cancel_all, fire, grace_end_job, schedule_term_end
from subscriptions.store.uow import SubscriptionsUnitOfWork


async def cancel(
    subscription_id: str, caller: Caller, reason: str, uow: SubscriptionsUnitOfWork
) -> domain.Subscription:
    s = await uow.subscriptions.get(subscription_id, lock=True)
    await uow.publish(lifecycle.schedule_cancellation(s, caller, reason, uow.now()))
    await uow.subscriptions.save(s)
    await schedule_term_end(uow, s)  # already there since activation; kept for older rows
    return s


async def withdraw_cancellation(
    subscription_id: str, caller: Caller, uow: SubscriptionsUnitOfWork
) -> domain.Subscription:
    s = await uow.subscriptions.get(subscription_id, lock=True)
    await uow.publish(lifecycle.withdraw_cancellation(s, caller, uow.now()))
    await uow.subscriptions.save(s)
    return s


async def terminate(subscription_id: str, reason: str, uow: SubscriptionsUnitOfWork) -> domain.Subscription:
    """Operator action: ends at once, and nothing stays due."""
    s = await uow.subscriptions.get(subscription_id, lock=True)
    await uow.publish(lifecycle.terminate(s, reason, uow.now()))
    await uow.subscriptions.save(s)
    await cancel_all(uow, s)
    return s


async def renew_in_grace(
    subscription_id: str,
    caller: Caller,
    term_ends_on: date | None,
    uow: SubscriptionsUnitOfWork,
    *,
    catalogue: Catalogue,
) -> domain.Subscription:
    s = await uow.subscriptions.get(subscription_id, lock=True)
    # Named before the renewal moves the term end; the domain refuses anything not in grace.
    grace_job = grace_end_job(s) if s.status is domain.Status.GRACE else ""
    offer = catalogue.product(s.product)
    await uow.publish(lifecycle.renew_in_grace(s, caller, term_ends_on, offer, uow.now()))
    await uow.subscriptions.save(s)
    await uow.cancel_job(grace_job)
    await schedule_term_end(uow, s)
    return s


async def end_term(job: DueJob, uow: SubscriptionsUnitOfWork, *, catalogue: Catalogue) -> None:
    """Renew (and schedule the next term end), or start the grace of an expired or cancelled
    term (R15, R48)."""
    s, events = await fire(job, uow, lambda s, j: lifecycle.end_term(s, j.due_at, catalogue.product(s.product)))
    if s is None:  # gone: nothing fired
        return
    for event in events:
        if isinstance(event, SubscriptionRenewed):
            await schedule_term_end(uow, s)
        elif isinstance(event, GraceStarted):
            await uow.schedule(grace_end_job(s), GRACE_END, s.id, event.grace_ends_at)


async def end_grace(job: DueJob, uow: SubscriptionsUnitOfWork) -> None:
    await fire(job, uow, lambda s, j: lifecycle.end_grace(s, j.due_at))
