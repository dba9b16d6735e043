"""Floating-seat leases (R26)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.errors import not_found
from seats.domain.leases import Lease
from seats.store.tables import leases
from servicekit.http.pagination import PageRequest, keyset


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
    )


def _live(at: datetime):
    return leases.c.released_at.is_(None), leases.c.expires_at > at


class LeaseRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def count_live(self, subscription_id: str, at: datetime) -> int:
        return (
            await self._conn.execute(
                select(func.count()).select_from(leases).where(leases.c.subscription_id == subscription_id, *_live(at))
            )
        ).scalar_one()

    async def get(self, lease_id: str, lock: bool = False) -> Lease:
        """`lock` when the lease will be changed (PostgreSQL `FOR UPDATE`)."""
        query = select(leases).where(leases.c.lease_id == lease_id)
        r = (await self._conn.execute(query.with_for_update() if lock else query)).first()
        if r is None:
            raise not_found("lease", lease_id)
        return _lease(r)

    async def add(self, lease: Lease) -> None:
        await self._conn.execute(insert(leases).values(**vars(lease)))

    async def save(self, lease: Lease) -> None:
        await self._conn.execute(update(leases).where(leases.c.lease_id == lease.lease_id).values(**vars(lease)))

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
        """Release every live lease of a subscription (R28) or of one person's session (sign-out)."""
        where = list(_live(at))
        if subscription_id is not None:
            where.append(leases.c.subscription_id == subscription_id)
        if person_id is not None:
            where += [leases.c.person_id == person_id, leases.c.session_id == session_id]
        result = await self._conn.execute(update(leases).where(*where).values(released_at=at))
        return result.rowcount
