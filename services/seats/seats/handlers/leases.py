"""Handlers for floating seats (R26): acquire (of a subscription, or of a product at sign-in),
heartbeat (reviving a lapsed lease within its window), borrow for offline work, release, and
release at sign-out, when the holder loses their seat (R24) or at the end of the subscription
(R28). A due job per lease tells when it lapses and when it is over for good (issue 14)."""

from __future__ import annotations

import uuid
from datetime import datetime

from contracts.errors import not_found
from contracts.identity import SignedOut
from seats.domain import leases as rules
from seats.domain.leases import DEFAULT_POLICY, Lease, LeasePolicy, Offer, Standing
from seats.domain.pools import SeatPool
from seats.domain.suspensions import covering, ensure_not_suspended
from seats.domain.users import SeatUser
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.auth import Caller
from servicekit.http.pagination import PageRequest
from servicekit.scheduler import DueJob

LEASE_WATCH = "lease_watch"


def watch_job_id(lease: Lease, due: datetime) -> str:
    """One job per look at a lease: a done job of an earlier look must not stop the next."""
    return f"{LEASE_WATCH}:{lease.lease_id}:{due:%Y%m%dT%H%M%S%f}"


async def acquire(
    subscription_id: str,
    caller: Caller,
    session_id: str | None,
    uow: SeatsUnitOfWork,
    policy: LeasePolicy = DEFAULT_POLICY,
) -> Lease:
    """The pool row is locked before the live leases are counted: concurrent acquirers queue
    (PostgreSQL FOR UPDATE; SQLite's BEGIN IMMEDIATE), so the count never goes stale."""
    pool = await uow.pools.get(subscription_id, lock=True)
    standing = await uow.users.standing(pool, caller)
    now = uow.now()
    live = await uow.leases.count_live(subscription_id, now)
    return await _take(pool, standing, live, caller, session_id, uow, policy)


async def acquire_for_product(
    product: str,
    caller: Caller,
    session_id: str | None,
    uow: SeatsUnitOfWork,
    policy: LeasePolicy = DEFAULT_POLICY,
) -> Lease:
    """Issue 14, the desktop sign-in: a seat of a product, from whichever floating pool the
    person is assigned to has one free (the best tier, then the most free seats). Every
    candidate pool is locked, in subscription id order, before any is counted: two people
    taking the last seat queue on the same rows in the same order, so one gets it and the
    other is refused, and nobody deadlocks."""
    offers = []
    now = uow.now()
    candidates = await uow.leases.floating_pools_of(product, caller.person_id, caller.email)
    suspended = await uow.payment_suspensions.not_ended(candidates, now)  # issue 15
    for subscription_id in candidates:
        pool = await uow.pools.get(subscription_id, lock=True)
        standing = await uow.users.standing(pool, caller)
        live = await uow.leases.count_live(subscription_id, now)
        offers.append(Offer(pool, standing, live, covering(suspended, subscription_id, now)))
    best = rules.best_offer(offers, product)
    return await _take(best.pool, best.standing, best.live_leases, caller, session_id, uow, policy)


async def _take(
    pool: SeatPool,
    standing: Standing,
    live_leases: int,
    caller: Caller,
    session_id: str | None,
    uow: SeatsUnitOfWork,
    policy: LeasePolicy,
) -> Lease:
    """R26: a seat of `pool` for the caller, bound to their sign-in, if one is free and the
    pool's period in force is not suspended for an overdue invoice (issue 15)."""
    at = uow.now()
    lease = rules.acquire(
        pool,
        standing,
        live_leases,
        lease_id=str(uuid.uuid4()),
        person_id=caller.person_id,
        email=caller.email,
        session_id=session_id,
        at=at,
        policy=policy,
        suspensions=await uow.payment_suspensions.not_ended([pool.subscription_id], at),
    )
    return await _taken(lease, uow)


async def _taken(lease: Lease, uow: SeatsUnitOfWork) -> Lease:
    await uow.leases.add(lease)
    await uow.publish(lease.taken())
    await uow.schedule(
        watch_job_id(lease, lease.expires_at),
        LEASE_WATCH,
        lease.subscription_id,
        lease.expires_at,
        {"lease_id": lease.lease_id},
    )
    return lease


async def live_leases(subscription_id: str, caller: Caller, page: PageRequest, uow: SeatsUnitOfWork) -> list[Lease]:
    """R26: the administrator sees who holds the floating seats now."""
    pool = await uow.pools.get(subscription_id)
    pool.ensure_administered_by(caller.person_id, caller.account_id)
    return await uow.leases.page(subscription_id, uow.now(), page)


async def heartbeat(lease_id: str, caller: Caller, uow: SeatsUnitOfWork, policy: LeasePolicy = DEFAULT_POLICY) -> Lease:
    """Only the holder keeps a lease alive. A live lease is extended with its own row locked
    (one read, one write: no event, the pool untouched). A lapsed one is revived on the terms
    of taking a seat, so its pool is locked first, as `acquire` does, and the lease after it
    (the order every writer of a subscription's leases takes). While billing suspends the pool's
    period in force for an overdue invoice, no heartbeat keeps or revives a lease (issue 15):
    the lease is not revoked, it lapses, and a heartbeat after the invoice is paid revives it."""
    now = uow.now()
    lease = await uow.leases.get(lease_id, lock=True)  # a heartbeat must not revive a lease being released
    lease.ensure_held_by(caller.person_id)
    suspended = await uow.payment_suspensions.not_ended([lease.subscription_id], now)
    if lease.is_live(now) or lease.is_over(now):
        if lease.is_live(now):
            ensure_not_suspended(suspended, lease.subscription_id, now)
        lease.heartbeat(now, policy)  # refuses one that is over
        await uow.leases.save(lease)
        return lease
    pool = await uow.pools.get(lease.subscription_id, lock=True)
    lease = await uow.leases.get(lease_id, lock=True)  # as it is now that the pool is ours
    if lease.is_live(now):  # another heartbeat of the holder revived it meanwhile
        ensure_not_suspended(suspended, lease.subscription_id, now)
        lease.heartbeat(now, policy)
    else:
        standing = await uow.users.standing(pool, caller)
        live = await uow.leases.count_live(lease.subscription_id, now)
        await uow.publish(lease.revive(pool, standing, live, now, policy, suspended))
    await uow.leases.save(lease)
    return lease


async def borrow(
    lease_id: str, until: datetime, caller: Caller, uow: SeatsUnitOfWork, policy: LeasePolicy = DEFAULT_POLICY
) -> Lease:
    """Issue 14: the holder takes their floating seat offline until `until` (at most the
    policy's maximum, never past the term end). The pool is locked first (its term end is the
    bound), then the lease. To anyone but the holder the lease does not exist. None while the
    pool's period in force is suspended for an overdue invoice (issue 15)."""
    found = await uow.leases.get(lease_id)
    found.ensure_held_by(caller.person_id)
    pool = await uow.pools.get(found.subscription_id, lock=True)
    lease = await uow.leases.get(lease_id, lock=True)
    pool.ensure_unlocked()
    now = uow.now()
    suspended = await uow.payment_suspensions.not_ended([pool.subscription_id], now)
    ensure_not_suspended(suspended, pool.subscription_id, now)
    await uow.publish(lease.borrow(until, pool.term_end, now, policy))
    await uow.leases.save(lease)
    return lease


async def release(lease_id: str, caller: Caller, uow: SeatsUnitOfWork) -> Lease:
    """The holder gives the seat back (a borrowed one too, early), or the subscription's
    administrator takes it back; to anyone else the lease answers as one that does not exist."""
    lease = await uow.leases.get(lease_id, lock=True)  # a heartbeat must not revive a lease being released
    if lease.person_id != caller.person_id:
        pool = await uow.pools.find(lease.subscription_id)
        if pool is None or not pool.is_administered_by(caller.person_id, caller.account_id):
            raise not_found("lease", lease_id)
    await uow.publish(lease.release(uow.now()))
    await uow.leases.save(lease)
    return lease


async def release_session(event: SignedOut, uow: SeatsUnitOfWork) -> None:
    """R26: floating seats are released at sign-out, those of that session only, each with its
    LeaseReleased (`signed_out`); a lapsed one too, so that it is not revived. A borrowed lease
    is NOT released: its holder signed out to go offline on purpose, and the seat stays theirs
    until the borrow ends or they return it (DELETE /leases/{id}, from any sign-in)."""
    at = event.signed_out_at
    for lease in await uow.leases.of_session(event.person_id, event.session_id, at):
        await uow.publish(lease.release(at, reason="signed_out"))
        await uow.leases.save(lease)


async def release_all(subscription_id: str, uow: SeatsUnitOfWork, at: datetime) -> None:
    """R28: the subscription is over; no lease outlives it, a borrowed one neither."""
    await uow.leases.release_live(at, subscription_id=subscription_id)


async def revoke_leases_of(pool: SeatPool, user: SeatUser, uow: SeatsUnitOfWork, at: datetime) -> None:
    """R24: a user who loses their seat loses the floating seats they hold, at once, each with
    its LeaseRevoked."""
    for lease in await uow.leases.live_of(pool.subscription_id, user.person_id, user.email, at, lock=True):
        await uow.publish(lease.revoke(pool.account_id, "unassigned", at))
        await uow.leases.save(lease)


async def watch(job: DueJob, uow: SeatsUnitOfWork) -> None:
    """Issue 14: a lease reached its expiry or its revive deadline. One lease per job, its row
    locked: LeaseHeartbeatMissed when it lapsed, LeaseExpired when its revive window passed,
    each once (the lease records what was told); a lease extended since is looked at again at
    its new expiry, a released one never."""
    lease = await uow.leases.find(job.payload["lease_id"], lock=True)
    if lease is None:
        return
    events, again = lease.watch(uow.now())
    for event in events:
        await uow.publish(event)
    if events:
        await uow.leases.save(lease)
    if again is not None:
        await uow.schedule(
            watch_job_id(lease, again), LEASE_WATCH, lease.subscription_id, again, {"lease_id": lease.lease_id}
        )
