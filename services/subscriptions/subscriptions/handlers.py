"""Command and job handlers: load, apply the domain rule, save and publish in one transaction."""
from __future__ import annotations

from contracts.errors import RuleViolation
from contracts.subscriptions import PurchaseSubscription
from servicekit.auth import Caller
from servicekit.scheduler import DueJob
from servicekit.uow import UnitOfWork
from subscriptions import domain
from subscriptions.catalogue import plan_for
from subscriptions.store import SubscriptionRepository

ACTIVATION_EXPIRY, TERM_END = "activation_expiry", "term_end"


async def purchase(command: PurchaseSubscription, uow: UnitOfWork, *, portal_url: str) -> domain.Subscription:
    repo = SubscriptionRepository(uow.conn)
    if (existing := await repo.find(command.subscription_id)) is not None:
        if existing.account_id != command.account_id:
            raise RuleViolation("subscription_id_taken", "That subscription id is already in use.")
        return existing  # the same order delivered again: it was placed once
    plan = plan_for(command.product, command.tier)
    subscription, purchased = domain.purchase(
        command.subscription_id, command.account_id, command.administrator, command.product,
        command.tier, command.licence_type, command.billing_cycle, command.quantity,
        plan.price_per_seat[command.billing_cycle], uow.now(),
        agreement_url=f"{portal_url}/subscriptions/{command.subscription_id}/agreement")
    await repo.add(subscription)
    await uow.publish(purchased)
    await uow.schedule(f"{ACTIVATION_EXPIRY}:{subscription.id}", ACTIVATION_EXPIRY,
                       subscription.id, subscription.activation_deadline)
    return subscription


async def accept_agreement(subscription_id: str, caller: Caller, uow: UnitOfWork) -> domain.Subscription:
    repo = SubscriptionRepository(uow.conn)
    subscription = await repo.get(subscription_id)
    activated = subscription.activate(by=caller.person_id, at=uow.now())
    await repo.save(subscription)
    await uow.publish(activated)
    await uow.cancel_job(f"{ACTIVATION_EXPIRY}:{subscription.id}")
    return subscription


async def cancel(subscription_id: str, caller: Caller, reason: str, uow: UnitOfWork) -> domain.Subscription:
    repo = SubscriptionRepository(uow.conn)
    subscription = await repo.get(subscription_id)
    scheduled = subscription.schedule_cancellation(by=caller.person_id, reason=reason, at=uow.now())
    await repo.save(subscription)
    await uow.publish(scheduled)
    await uow.schedule(f"{TERM_END}:{subscription.id}", TERM_END, subscription.id, scheduled.effective_at)
    return subscription


async def expire_activation(job: DueJob, uow: UnitOfWork) -> None:
    await _fire(job, uow, domain.Subscription.expire_activation)


async def end_term(job: DueJob, uow: UnitOfWork) -> None:
    await _fire(job, uow, domain.Subscription.end_term)


async def _fire(job: DueJob, uow: UnitOfWork, transition) -> None:
    """Jobs take effect at their due time, however late the scheduler runs them."""
    repo = SubscriptionRepository(uow.conn)
    subscription = await repo.get(job.subject)
    if (event := transition(subscription, job.due_at)) is not None:
        await repo.save(subscription)
        await uow.publish(event)
