"""Seat handlers: subscription events in, seat events out, one transaction each."""
from __future__ import annotations

import uuid
from datetime import datetime

from contracts.subscriptions import (
    ActivationExpired, CancellationScheduled, SubscriptionActivated, SubscriptionEnded,
    SubscriptionPurchased,
)
from seats.domain import Assignment, SeatPool
from seats.store import SeatPoolRepository
from servicekit.auth import Caller
from servicekit.scheduler import DueJob
from servicekit.uow import UnitOfWork

SEAT_DECREASE = "seat_decrease"


async def open_locked_pool(event: SubscriptionPurchased, uow: UnitOfWork) -> None:
    repo = SeatPoolRepository(uow.conn)
    if await repo.find(event.subscription_id) is None:
        await repo.add(SeatPool(subscription_id=event.subscription_id, account_id=event.account_id,
                                administrator=event.administrator, licence_type=event.licence_type,
                                quantity=event.quantity))


async def unlock_seats(event: SubscriptionActivated, uow: UnitOfWork) -> None:
    repo = SeatPoolRepository(uow.conn)
    pool = await repo.find(event.subscription_id)
    if pool is None:  # activation read before the purchase (e.g. a replay of one topic only)
        pool = SeatPool(subscription_id=event.subscription_id, account_id=event.account_id,
                        administrator=event.administrator, licence_type=event.licence_type,
                        quantity=event.quantity)
        await repo.add(pool)
    unlocked = pool.unlock(event.quantity, event.term_start, event.term_end, event.unit_price,
                           event.administrator, at=event.activated_at)
    await repo.save(pool)
    if unlocked:
        await uow.publish(unlocked)


async def close_lapsed_pool(event: ActivationExpired, uow: UnitOfWork) -> None:
    await _update(uow, event.subscription_id, lambda pool: pool.close())


async def schedule_deprovisioning(event: CancellationScheduled, uow: UnitOfWork) -> None:
    await _update(uow, event.subscription_id, lambda pool: pool.schedule_deprovisioning(event.effective_at))


async def deprovision(event: SubscriptionEnded, uow: UnitOfWork) -> None:
    repo = SeatPoolRepository(uow.conn)
    pool = await repo.get(event.subscription_id)
    if (deprovisioned := pool.deprovision(at=event.ended_at)) is not None:
        await repo.save(pool)
        await uow.publish(deprovisioned)
        await uow.cancel_job(f"{SEAT_DECREASE}:{pool.subscription_id}")


async def assign_seat(subscription_id: str, email: str, caller: Caller, uow: UnitOfWork) -> Assignment:
    repo = SeatPoolRepository(uow.conn)
    pool = await repo.get(subscription_id)
    pool.ensure_administered_by(caller.person_id)
    assignment = pool.assign(str(uuid.uuid4()), email, at=uow.now())
    await repo.save(pool)
    return assignment


async def change_quantity(subscription_id: str, quantity: int, caller: Caller, uow: UnitOfWork) -> SeatPool:
    repo = SeatPoolRepository(uow.conn)
    pool = await repo.get(subscription_id)
    pool.ensure_administered_by(caller.person_id)
    change = pool.change_quantity(quantity, at=uow.now())
    await repo.save(pool)
    await uow.publish(change)
    if pool.scheduled_quantity is not None:
        await uow.schedule(f"{SEAT_DECREASE}:{subscription_id}", SEAT_DECREASE, subscription_id,
                           pool.term_end, {"requested_at": uow.now().isoformat()})
    else:
        await uow.cancel_job(f"{SEAT_DECREASE}:{subscription_id}")
    return pool


async def apply_scheduled_decrease(job: DueJob, uow: UnitOfWork) -> None:
    repo = SeatPoolRepository(uow.conn)
    pool = await repo.get(job.subject)
    requested_at = datetime.fromisoformat(job.payload["requested_at"])
    if (changed := pool.apply_scheduled_decrease(requested_at, at=job.due_at)) is not None:
        await repo.save(pool)
        await uow.publish(changed)


async def _update(uow: UnitOfWork, subscription_id: str, change) -> None:
    repo = SeatPoolRepository(uow.conn)
    pool = await repo.get(subscription_id)
    change(pool)
    await repo.save(pool)
