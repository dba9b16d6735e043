"""Handlers for floating seats (R26): acquire, heartbeat, release, and release at sign-out, when
the holder loses their seat (R24) or at the end of the subscription (R28)."""

from __future__ import annotations

import uuid
from datetime import datetime

from contracts.errors import not_found
from contracts.identity import SignedOut
from seats.domain import leases as rules
from seats.domain.leases import Lease
from seats.domain.pools import SeatPool
from seats.domain.users import SeatUser
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.auth import Caller
from servicekit.http.pagination import PageRequest


async def acquire(subscription_id: str, caller: Caller, session_id: str | None, uow: SeatsUnitOfWork) -> Lease:
    """The pool row is locked before the live leases are counted: concurrent acquirers queue
    (PostgreSQL FOR UPDATE; SQLite's BEGIN IMMEDIATE), so the count never goes stale."""
    pool = await uow.pools.get(subscription_id, lock=True)
    standing = await uow.users.standing(pool, caller)
    now = uow.now()
    lease = rules.acquire(
        pool,
        standing,
        await uow.leases.count_live(subscription_id, now),
        lease_id=str(uuid.uuid4()),
        person_id=caller.person_id,
        email=caller.email,
        session_id=session_id,
        at=now,
    )
    await uow.leases.add(lease)
    return lease


async def live_leases(subscription_id: str, caller: Caller, page: PageRequest, uow: SeatsUnitOfWork) -> list[Lease]:
    """R26: the administrator sees who holds the floating seats now."""
    pool = await uow.pools.get(subscription_id)
    pool.ensure_administered_by(caller.person_id, caller.account_id)
    return await uow.leases.page(subscription_id, uow.now(), page)


async def heartbeat(lease_id: str, caller: Caller, uow: SeatsUnitOfWork) -> Lease:
    """Only the holder keeps a lease alive."""
    lease = await uow.leases.get(lease_id, lock=True)  # a heartbeat must not revive a lease being released
    lease.ensure_held_by(caller.person_id)
    lease.heartbeat(uow.now())
    await uow.leases.save(lease)
    return lease


async def release(lease_id: str, caller: Caller, uow: SeatsUnitOfWork) -> Lease:
    """The holder gives the seat back, or the subscription's administrator takes it back; to
    anyone else the lease answers as one that does not exist."""
    lease = await uow.leases.get(lease_id, lock=True)  # a heartbeat must not revive a lease being released
    if lease.person_id != caller.person_id:
        pool = await uow.pools.find(lease.subscription_id)
        if pool is None or not pool.is_administered_by(caller.person_id, caller.account_id):
            raise not_found("lease", lease_id)
    lease.release(uow.now())
    await uow.leases.save(lease)
    return lease


async def release_session(event: SignedOut, uow: SeatsUnitOfWork) -> None:
    """R26: floating seats are released at sign-out, those of that session only."""
    await uow.leases.release_live(event.signed_out_at, person_id=event.person_id, session_id=event.session_id)


async def release_all(subscription_id: str, uow: SeatsUnitOfWork, at: datetime) -> None:
    """R28: the subscription is over; no lease outlives it."""
    await uow.leases.release_live(at, subscription_id=subscription_id)


async def revoke_leases_of(pool: SeatPool, user: SeatUser, uow: SeatsUnitOfWork, at: datetime) -> None:
    """R24: a user who loses their seat loses the floating seats they hold, at once, each with
    its LeaseRevoked."""
    for lease in await uow.leases.live_of(pool.subscription_id, user.person_id, user.email, at, lock=True):
        await uow.publish(lease.revoke(pool.account_id, "unassigned", at))
        await uow.leases.save(lease)
