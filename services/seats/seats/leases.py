"""Handlers for floating seats (R26): acquire, heartbeat, release, and release at sign-out or
at the end of the subscription (R28)."""
from __future__ import annotations

import uuid
from datetime import datetime

from contracts.identity import SignedOut
from seats.domain import leases as rules
from seats.domain.leases import Lease
from seats.lease_store import LeaseRepository
from seats.people_store import PeopleRepository
from seats.store import SeatPoolRepository
from servicekit.auth import Caller
from servicekit.uow import UnitOfWork


async def acquire(subscription_id: str, caller: Caller, session_id: str | None, uow: UnitOfWork) -> Lease:
    """The pool row is locked before the live leases are counted: concurrent acquirers queue
    (PostgreSQL FOR UPDATE; SQLite's BEGIN IMMEDIATE), so the count never goes stale."""
    pool = await SeatPoolRepository(uow.conn).get(subscription_id, lock=True)
    listed = await PeopleRepository(uow.conn).is_listed(subscription_id, caller.person_id, caller.email)
    rules.ensure_may_use(pool, caller.person_id, caller.account_id, listed, rule="R26")
    repo, now = LeaseRepository(uow.conn), uow.now()
    lease = rules.acquire(pool, await repo.count_live(subscription_id, now), lease_id=str(uuid.uuid4()),
                          person_id=caller.person_id, email=caller.email, session_id=session_id, at=now)
    await repo.add(lease)
    return lease


async def heartbeat(lease_id: str, caller: Caller, uow: UnitOfWork) -> Lease:
    return await _change(lease_id, caller, uow, lambda lease, now: lease.heartbeat(now))


async def release(lease_id: str, caller: Caller, uow: UnitOfWork) -> Lease:
    return await _change(lease_id, caller, uow, lambda lease, now: lease.release(now))


async def release_session(event: SignedOut, uow: UnitOfWork) -> None:
    """R26: floating seats are released at sign-out, those of that session only."""
    await LeaseRepository(uow.conn).release_live(event.signed_out_at, person_id=event.person_id,
                                                 session_id=event.session_id)


async def release_all(subscription_id: str, uow: UnitOfWork, at: datetime) -> None:
    """R28: the subscription is over; no lease outlives it."""
    await LeaseRepository(uow.conn).release_live(at, subscription_id=subscription_id)


async def _change(lease_id: str, caller: Caller, uow: UnitOfWork, change) -> Lease:
    repo = LeaseRepository(uow.conn)
    lease = await repo.get(lease_id, lock=True)  # a heartbeat must not revive a lease being released
    lease.ensure_held_by(caller.person_id)
    change(lease, uow.now())
    await repo.save(lease)
    return lease
