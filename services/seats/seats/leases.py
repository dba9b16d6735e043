"""Handlers for floating seats (R26): acquire, heartbeat, release, and release at sign-out, when
the holder loses their seat (R24) or at the end of the subscription (R28)."""
from __future__ import annotations

import uuid
from datetime import datetime

from contracts.errors import not_found
from contracts.identity import SignedOut
from seats.domain import SeatPool
from seats.domain import leases as rules
from seats.domain.leases import Lease
from seats.domain.users import SeatUser
from seats.lease_store import LeaseRepository
from seats.people_store import PeopleRepository
from seats.store import SeatPoolRepository
from servicekit.http.auth import Caller
from servicekit.http.pagination import PageRequest
from servicekit.store.uow import UnitOfWork


async def acquire(subscription_id: str, caller: Caller, session_id: str | None, uow: UnitOfWork) -> Lease:
    """The pool row is locked before the live leases are counted: concurrent acquirers queue
    (PostgreSQL FOR UPDATE; SQLite's BEGIN IMMEDIATE), so the count never goes stale."""
    pool = await SeatPoolRepository(uow.conn).get(subscription_id, lock=True)
    standing = await PeopleRepository(uow.conn).standing(pool, caller)
    repo, now = LeaseRepository(uow.conn), uow.now()
    lease = rules.acquire(pool, standing, await repo.count_live(subscription_id, now), lease_id=str(uuid.uuid4()),
                          person_id=caller.person_id, email=caller.email, session_id=session_id, at=now)
    await repo.add(lease)
    return lease


async def live_leases(subscription_id: str, caller: Caller, page: PageRequest, uow: UnitOfWork) -> list[Lease]:
    """R26: the administrator sees who holds the floating seats now."""
    pool = await SeatPoolRepository(uow.conn).get(subscription_id)
    pool.ensure_administered_by(caller.person_id, caller.account_id)
    return await LeaseRepository(uow.conn).page(subscription_id, uow.now(), page)


async def heartbeat(lease_id: str, caller: Caller, uow: UnitOfWork) -> Lease:
    """Only the holder keeps a lease alive."""
    repo = LeaseRepository(uow.conn)
    lease = await repo.get(lease_id, lock=True)  # a heartbeat must not revive a lease being released
    lease.ensure_held_by(caller.person_id)
    lease.heartbeat(uow.now())
    await repo.save(lease)
    return lease


async def release(lease_id: str, caller: Caller, uow: UnitOfWork) -> Lease:
    """The holder gives the seat back, or the subscription's administrator takes it back; to
    anyone else the lease answers as one that does not exist."""
    repo = LeaseRepository(uow.conn)
    lease = await repo.get(lease_id, lock=True)  # a heartbeat must not revive a lease being released
    if lease.person_id != caller.person_id:
        pool = await SeatPoolRepository(uow.conn).find(lease.subscription_id)
        if pool is None or not pool.is_administered_by(caller.person_id, caller.account_id):
            raise not_found("lease", lease_id)
    lease.release(uow.now())
    await repo.save(lease)
    return lease


async def release_session(event: SignedOut, uow: UnitOfWork) -> None:
    """R26: floating seats are released at sign-out, those of that session only."""
    await LeaseRepository(uow.conn).release_live(event.signed_out_at, person_id=event.person_id,
                                                 session_id=event.session_id)


async def release_all(subscription_id: str, uow: UnitOfWork, at: datetime) -> None:
    """R28: the subscription is over; no lease outlives it."""
    await LeaseRepository(uow.conn).release_live(at, subscription_id=subscription_id)


async def revoke_leases_of(pool: SeatPool, user: SeatUser, uow: UnitOfWork, at: datetime) -> None:
    """R24: a user who loses their seat loses the floating seats they hold, at once, each with
    its LeaseRevoked."""
    repo = LeaseRepository(uow.conn)
    for lease in await repo.live_of(pool.subscription_id, user.person_id, user.email, at, lock=True):
        await uow.publish(lease.revoke(pool.account_id, "unassigned", at))
        await repo.save(lease)
