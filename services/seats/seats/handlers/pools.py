"""Seat handlers: subscription events in, seat events out, one transaction each.

Only a purchase (or a trial) opens a pool. Subscriptions publishes every event of a
subscription on one topic with the subscription id as key, so seats reads the purchase (or
the trial) before anything else of that subscription, in a replay too. An event about a
pool seats never opened, or one that contradicts what seats knows of it (another owner
account, an administrator it does not have, an activation that is not of the purchase it
saw), is therefore forged or corrupt: it raises `InconsistentEvent`, so the consumer applies
nothing and dead-letters it with the reason `inconsistent` (issue 11: a forged activation
once opened 500 unlocked seats). The one exception is a transfer of administration of an
order still awaiting approval (R19), which comes before its purchase: it is ignored, and the
purchase names the new administrator.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from contracts.errors import InconsistentEvent
from contracts.seats import SeatsDeprovisioned
from contracts.subscriptions import (
    ActivationExpired,
    AddonAdded,
    AdministratorTransferred,
    CancellationScheduled,
    CancellationWithdrawn,
    GraceStarted,
    SubscriptionActivated,
    SubscriptionEnded,
    SubscriptionPurchased,
    SubscriptionRenewed,
    TierChanged,
    TrialStarted,
)
from contracts.values import Contact
from seats.domain.pools import Assignment, PoolStatus, SeatPool
from seats.handlers import devices, leases, users
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.auth import Caller
from servicekit.scheduler import DueJob
from servicekit.settings import TEST_STACK_PORTAL

log = logging.getLogger("seats.handlers")

SEAT_DECREASE = "seat_decrease"
DEFAULT_INVITATIONS = users.Invitations(TEST_STACK_PORTAL)

# The events about a pool seats must already know (a purchase or a trial opened it).
_AboutAPool = (
    SubscriptionActivated
    | SubscriptionRenewed
    | TierChanged
    | AddonAdded
    | ActivationExpired
    | CancellationScheduled
    | CancellationWithdrawn
    | SubscriptionEnded
    | GraceStarted
)


def same_person(a: Contact, b: Contact) -> bool:
    return a.person_id == b.person_id or a.email.strip().lower() == b.email.strip().lower()


def decrease_job_id(subscription_id: str, term_end: datetime) -> str:
    """One job per term: the done job of an earlier term must not stop this term's."""
    return f"{SEAT_DECREASE}:{subscription_id}:{term_end:%Y%m%dT%H%M%S}"


async def open_locked_pool(event: SubscriptionPurchased, uow: SeatsUnitOfWork) -> None:
    pool = await uow.pools.find(event.subscription_id, lock=True)
    if pool is None:
        await uow.pools.add(
            SeatPool(
                subscription_id=event.subscription_id,
                account_id=event.account_id,
                administrator=event.administrator,
                licence_type=event.licence_type,
                quantity=event.quantity,
                product=event.product,
                tier=event.tier,
                ordered_quantity=event.quantity,
            )
        )
        return
    pool.ensure_owned_by(event.account_id, event.type)
    if event.converts_trial and pool.is_trial:  # a converted trial keeps its pool (R10)
        pool.ensure_administered_now_by(event.administrator.person_id, event.type)
        pool.record_conversion(event.quantity)
        await uow.pools.save(pool)


async def open_trial_pool(event: TrialStarted, uow: SeatsUnitOfWork) -> None:
    if (known := await uow.pools.find(event.subscription_id)) is not None:
        known.ensure_owned_by(event.account_id, event.type)  # the same trial, published again
        return
    pool = SeatPool.for_trial(
        event.subscription_id,
        event.account_id,
        event.administrator,
        event.licence_type,
        event.started_at,
        event.ends_at,
    )
    pool.describe_plan(event.product, event.tier, event.software)
    await uow.pools.add(pool)
    await devices.provide_keys(pool, uow)  # a node-locked trial seat has its key (R10, R27)


async def unlock_seats(event: SubscriptionActivated, uow: SeatsUnitOfWork) -> None:
    """R21: the purchase seats saw unlocks; an activation alone never opens a pool."""
    pool = await _known(uow, event)
    pool.ensure_activation_agrees(
        event.account_id, event.administrator.person_id, event.licence_type, event.product, event.quantity
    )
    pool.describe_plan(event.product, event.tier, event.software)
    unlocked = pool.unlock(
        event.quantity, event.term_start, event.term_end, event.unit_price, event.administrator, at=event.activated_at
    )
    await uow.pools.save(pool)
    if unlocked:
        await uow.publish(unlocked)
        await devices.provide_keys(pool, uow)


async def follow_renewal(event: SubscriptionRenewed, uow: SeatsUnitOfWork) -> None:
    """R11, R25: the new term and price; a decrease due at the old term end applies first."""
    pool = await _known(uow, event)
    previous_term_end = pool.term_end
    applied = pool.renew(event.term_start, event.term_end, event.unit_price)
    if pool.term_end == previous_term_end:
        return  # a closed pool, or a term already in force
    pool.describe_plan(event.product, event.tier)
    await uow.pools.save(pool)
    if applied is not None:
        await uow.publish(applied)
        await devices.provide_keys(pool, uow)
    if previous_term_end is not None:
        await uow.cancel_job(decrease_job_id(pool.subscription_id, previous_term_end))
    if pool.scheduled_quantity is not None:  # the term was extended before it ended
        await _schedule_decrease(pool, uow)


async def follow_tier_change(event: TierChanged, uow: SeatsUnitOfWork) -> None:
    await _update(uow, event, lambda pool: pool.change_price(event.new_unit_price, event.to_tier, event.software))


async def add_addon(event: AddonAdded, uow: SeatsUnitOfWork) -> None:
    """R20: the add-on is part of what the subscription's users may use (entitlements, R40)."""
    pool = await _known(uow, event)
    if pool.add_addon(event.addon):
        await uow.pools.save(pool)


async def transfer_administration(event: AdministratorTransferred, uow: SeatsUnitOfWork) -> None:
    """R17: only from the administrator seats knows, within the account that owns the pool.
    R38: the previous administrator also loses at once any seat, floating seat and key they
    held in this subscription (unless they are the new one); the new one may assign them again."""
    pool = await uow.pools.find(event.subscription_id, lock=True)
    if pool is None:  # an order awaiting approval (R19): its purchase will name the new administrator
        log.info("%s for %s before its purchase ignored", event.type, event.subscription_id)
        return
    pool.ensure_owned_by(event.account_id, event.type)
    pool.ensure_administered_now_by(event.previous_administrator.person_id, event.type)
    pool.transfer_administration(event.new_administrator)
    await uow.pools.save(pool)
    if not same_person(event.previous_administrator, event.new_administrator):
        await users.remove_previous_administrator(pool, event.previous_administrator, uow)


async def close_lapsed_pool(event: ActivationExpired, uow: SeatsUnitOfWork) -> None:
    await _update(uow, event, lambda pool: pool.close())


async def schedule_deprovisioning(event: CancellationScheduled, uow: SeatsUnitOfWork) -> None:
    await _update(uow, event, lambda pool: pool.schedule_deprovisioning(event.effective_at))


async def withdraw_deprovisioning(event: CancellationWithdrawn, uow: SeatsUnitOfWork) -> None:
    await _update(uow, event, lambda pool: pool.withdraw_deprovisioning())


async def deprovision(event: SubscriptionEnded, uow: SeatsUnitOfWork) -> None:
    """R28, whatever the reason: cancelled, lapsed, terminated (maybe mid-term) or trial_ended."""
    pool = await _known(uow, event)
    was_suspended = pool.status is PoolStatus.SUSPENDED
    await _revoke_everything(pool, pool.deprovision(at=event.ended_at), event.ended_at, uow)
    if was_suspended:
        await uow.pools.save(pool)  # revoked at the term end already; now over for good


async def suspend_cancelled_term(event: GraceStarted, uow: SeatsUnitOfWork) -> None:
    """R28: at the end of a cancelled term every assignment, lease and activation is revoked at
    once, not after the grace; R48: a renewal within the grace unlocks the seats again. An
    unrenewed term that was not cancelled keeps its seats through the grace."""
    if not event.cancelled:
        return
    pool = await _known(uow, event)
    await _revoke_everything(pool, pool.suspend(at=event.term_end), event.term_end, uow)


async def _revoke_everything(
    pool: SeatPool, revoked: SeatsDeprovisioned | None, at: datetime, uow: SeatsUnitOfWork
) -> None:
    if revoked is None:
        return
    term_end = pool.term_end
    await uow.pools.save(pool)
    await uow.publish(revoked)
    await leases.release_all(pool.subscription_id, uow, at=at)
    await devices.deactivate_all(pool, uow, at=at)
    await uow.kept_keys.free(pool.subscription_id)  # R41: nobody's seat any more
    if term_end is not None:
        await uow.cancel_job(decrease_job_id(pool.subscription_id, term_end))


async def assign_seat(
    subscription_id: str,
    email: str,
    caller: Caller,
    uow: SeatsUnitOfWork,
    invitations: users.Invitations = DEFAULT_INVITATIONS,
) -> Assignment:
    """The first assignment route: lists the user (invited if new, R22) and gives them a seat."""
    return await users.add_and_assign_one(subscription_id, email, invitations, caller, uow)


async def change_quantity(subscription_id: str, quantity: int, caller: Caller, uow: SeatsUnitOfWork) -> SeatPool:
    pool = await uow.pools.get(subscription_id, lock=True)
    pool.ensure_administered_by(caller.person_id, caller.account_id)
    change = pool.change_quantity(quantity, at=uow.now())
    await uow.pools.save(pool)
    await uow.publish(change)
    await devices.provide_keys(pool, uow)
    if pool.scheduled_quantity is not None:
        await _schedule_decrease(pool, uow)
    else:
        await uow.cancel_job(decrease_job_id(subscription_id, _term_end(pool)))
    return pool


async def set_policy(subscription_id: str, keys_per_person: int, caller: Caller, uow: SeatsUnitOfWork) -> SeatPool:
    pool = await uow.pools.get(subscription_id, lock=True)
    pool.ensure_administered_by(caller.person_id, caller.account_id)
    pool.set_keys_per_person(keys_per_person)
    await uow.pools.save(pool)
    return pool


async def apply_scheduled_decrease(job: DueJob, uow: SeatsUnitOfWork) -> None:
    if (pool := await uow.pools.find(job.subject, lock=True)) is None:
        return
    requested_at = datetime.fromisoformat(job.payload["requested_at"])
    if (changed := pool.apply_scheduled_decrease(requested_at, at=job.due_at)) is not None:
        await uow.pools.save(pool)
        await uow.publish(changed)
        await devices.provide_keys(pool, uow)


async def _schedule_decrease(pool: SeatPool, uow: SeatsUnitOfWork) -> None:
    requested_at, term_end = pool.decrease_requested_at or uow.now(), _term_end(pool)
    await uow.schedule(
        decrease_job_id(pool.subscription_id, term_end),
        SEAT_DECREASE,
        pool.subscription_id,
        term_end,
        {"requested_at": requested_at.isoformat()},
    )


def _term_end(pool: SeatPool) -> datetime:
    """The end of the term of a pool whose quantity changes: it is unlocked, and unlocking (or
    a trial) gave it its term."""
    if pool.term_end is None:
        raise RuntimeError(f"the pool of {pool.subscription_id} has no term")
    return pool.term_end


async def _known(uow: SeatsUnitOfWork, event: _AboutAPool) -> SeatPool:
    """The pool the event is about, locked, owned by the account the event names."""
    pool = await uow.pools.find(event.subscription_id, lock=True)
    if pool is None:
        raise InconsistentEvent(
            f"{event.type} for subscription {event.subscription_id}, which seats never "
            "saw bought: only a purchase or a trial opens a pool."
        )
    pool.ensure_owned_by(event.account_id, event.type)
    return pool


async def _update(uow: SeatsUnitOfWork, event: _AboutAPool, change: Callable[[SeatPool], None]) -> None:
    pool = await _known(uow, event)
    change(pool)
    await uow.pools.save(pool)
