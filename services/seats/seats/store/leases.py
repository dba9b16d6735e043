"""Floating-seat leases (R26)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.errors import not_found
from contracts.values import LicenceType
from seats.domain.leases import Lease
from seats.domain.pools import PoolStatus
from seats.store.tables import assignments, leases, pools, seat_users
from servicekit.http.pagination import PageRequest, keyset

# The floating pools of one product a person is assigned to: a handful, bounded all the same
# (each is locked while a seat of the product is taken).
MAX_POOLS_PER_PRODUCT = 50


def _lease(r) -> Lease:
    return Lease(
        lease_id=r.lease_id,
        subscription_id=r.subscription_id,
        person_id=r.person_id,
        email=r.email,
        session_id=r.session_id,
        acquired_at=r.acquired_at,
        expires_at=r.expires_at,
        released_at=r.released_at,
        account_id=r.account_id,
        product=r.product,
        revivable_until=r.revivable_until,
        borrowed_until=r.borrowed_until,
        missed_at=r.missed_at,
        ended_at=r.ended_at,
    )


def _live(at: datetime):
    return leases.c.released_at.is_(None), leases.c.expires_at > at


def _not_over(at: datetime):
    """Live, or lapsed within its revive window (the holder may still revive it)."""
    return (
        leases.c.released_at.is_(None),
        leases.c.ended_at.is_(None),
        func.coalesce(leases.c.revivable_until, leases.c.expires_at) > at,
    )


class LeaseRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def count_live(self, subscription_id: str, at: datetime) -> int:
        return (
            await self._conn.execute(
                select(func.count()).select_from(leases).where(leases.c.subscription_id == subscription_id, *_live(at))
            )
        ).scalar_one()

    async def find(self, lease_id: str, lock: bool = False) -> Lease | None:
        r = (await self._conn.execute(_FIND_LOCKED if lock else _FIND, {"lease_id": lease_id})).first()
        return None if r is None else _lease(r)

    async def get(self, lease_id: str, lock: bool = False) -> Lease:
        """`lock` when the lease will be changed (PostgreSQL `FOR UPDATE`)."""
        lease = await self.find(lease_id, lock)
        if lease is None:
            raise not_found("lease", lease_id)
        return lease

    async def add(self, lease: Lease) -> None:
        await self._conn.execute(insert(leases).values(**vars(lease)))

    async def save(self, lease: Lease) -> None:
        await self._conn.execute(_SAVE, {**vars(lease), "the_lease": lease.lease_id})

    async def live_of(
        self, subscription_id: str, person_id: str | None, email: str | None, at: datetime, lock: bool = False
    ) -> list[Lease]:
        """One person's live leases of a subscription, by person id or e-mail."""
        who = [leases.c.person_id == person_id] if person_id else []
        who += [leases.c.email == email.lower()] if email else []
        if not who:
            return []
        query = (
            select(leases)
            .where(leases.c.subscription_id == subscription_id, *_live(at), or_(*who))
            .order_by(leases.c.acquired_at, leases.c.lease_id)
        )
        return [_lease(r) for r in await self._conn.execute(query.with_for_update() if lock else query)]

    async def of_session(self, person_id: str, session_id: str | None, at: datetime) -> list[Lease]:
        """The leases of one sign-in not over yet and not borrowed, locked: what its sign-out
        gives back. A borrowed lease stays (its holder went offline on purpose)."""
        query = (
            select(leases)
            .where(
                leases.c.person_id == person_id,
                leases.c.session_id == session_id,
                *_not_over(at),
                or_(leases.c.borrowed_until.is_(None), leases.c.borrowed_until <= at),
            )
            .order_by(leases.c.acquired_at, leases.c.lease_id)
            .with_for_update()
        )
        return [_lease(r) for r in await self._conn.execute(query)]

    async def page(self, subscription_id: str, at: datetime, page: PageRequest) -> list[Lease]:
        """The live leases of a subscription, a page at a time (the administrator's view)."""
        query = select(leases).where(leases.c.subscription_id == subscription_id, *_live(at))
        return [
            _lease(r) for r in await self._conn.execute(keyset(query, [leases.c.acquired_at, leases.c.lease_id], page))
        ]

    async def release_live(
        self,
        at: datetime,
        *,
        subscription_id: str | None = None,
        person_id: str | None = None,
        session_id: str | None = None,
    ) -> int:
        """Release every lease not over yet of a subscription (R28: borrowed and lapsed ones
        too, so that none is revived) or of one person's session."""
        where = list(_not_over(at))
        if subscription_id is not None:
            where.append(leases.c.subscription_id == subscription_id)
        if person_id is not None:
            where += [leases.c.person_id == person_id, leases.c.session_id == session_id]
        result = await self._conn.execute(update(leases).where(*where).values(released_at=at))
        return result.rowcount

    async def floating_pools_of(self, product: str, person_id: str, email: str) -> list[str]:
        """The unlocked floating pools of `product` where the person (by person id or the e-mail
        they were listed at) holds an assignment, in subscription id order: the order they are
        locked in, the same for everyone, so that two people taking seats never deadlock."""
        joined = seat_users.join(
            assignments,
            and_(
                assignments.c.subscription_id == seat_users.c.subscription_id,
                assignments.c.user_id == seat_users.c.user_id,
            ),
        ).join(pools, pools.c.subscription_id == seat_users.c.subscription_id)
        rows = await self._conn.execute(
            select(pools.c.subscription_id)
            .select_from(joined)
            .where(
                or_(seat_users.c.person_id == person_id, seat_users.c.email == email.strip().lower()),
                pools.c.product == product,
                pools.c.licence_type == LicenceType.FLOATING.value,
                pools.c.status == PoolStatus.UNLOCKED.value,
            )
            .distinct()
            .order_by(pools.c.subscription_id)
            .limit(MAX_POOLS_PER_PRODUCT)
        )
        return [subscription_id for (subscription_id,) in rows]


# Built once with bound parameters: a heartbeat is one read and one write of the lease, and
# building and hashing a fresh statement each time cost more than sending it.
_FIND = select(leases).where(leases.c.lease_id == bindparam("lease_id"))
_FIND_LOCKED = _FIND.with_for_update()
_SAVE = update(leases).where(leases.c.lease_id == bindparam("the_lease"))
