"""Seat pools and their assignments, mapped to `domain.pools.SeatPool`."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.errors import not_found
from contracts.values import Contact, LicenceType, Money, Software
from seats.domain.pools import Assignment, PoolStatus, SeatPool
from seats.store.tables import assignments, pools


def _pool_row(p: SeatPool) -> dict:
    return dict(
        subscription_id=p.subscription_id,
        account_id=p.account_id,
        admin_person_id=p.administrator.person_id,
        admin_email=p.administrator.email,
        admin_name=p.administrator.name,
        admin_locale=p.administrator.locale,
        licence_type=p.licence_type.value,
        quantity=p.quantity,
        status=p.status.value,
        term_start=p.term_start,
        term_end=p.term_end,
        unit_price_minor=p.unit_price.amount_minor if p.unit_price else None,
        currency=p.unit_price.currency if p.unit_price else None,
        scheduled_quantity=p.scheduled_quantity,
        deprovision_at=p.deprovision_at,
        decrease_requested_at=p.decrease_requested_at,
        trial_ends_at=p.trial_ends_at,
        product=p.product,
        tier=p.tier,
        keys_per_person=p.keys_per_person,
        ordered_quantity=p.ordered_quantity,
        software=p.software.model_dump(mode="json") if p.software else None,
        add_ons=list(p.add_ons),
    )


class PoolRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def find(self, subscription_id: str, lock: bool = False) -> SeatPool | None:
        """`lock` when the caller will change anything of this subscription: the pool row is
        its lock, held until the transaction ends (PostgreSQL `FOR UPDATE`). Concurrent
        commands and events on one subscription queue behind it and read what the previous
        one wrote, and the events they publish keep their order (servicekit/outboxgaps.py).
        SQLite's BEGIN IMMEDIATE already serialises writers."""
        query = select(pools).where(pools.c.subscription_id == subscription_id)
        r = (await self._conn.execute(query.with_for_update() if lock else query)).first()
        if r is None:
            return None
        rows = await self._conn.execute(
            select(assignments)
            .where(assignments.c.subscription_id == subscription_id)
            .order_by(assignments.c.assigned_at)
        )
        return SeatPool(
            subscription_id=r.subscription_id,
            account_id=r.account_id,
            administrator=Contact(
                person_id=r.admin_person_id, email=r.admin_email, name=r.admin_name, locale=r.admin_locale
            ),
            licence_type=LicenceType(r.licence_type),
            quantity=r.quantity,
            status=PoolStatus(r.status),
            term_start=r.term_start,
            term_end=r.term_end,
            unit_price=Money(amount_minor=r.unit_price_minor, currency=r.currency) if r.currency else None,
            scheduled_quantity=r.scheduled_quantity,
            deprovision_at=r.deprovision_at,
            assignments=[Assignment(a.user_id, a.email, a.assigned_at) for a in rows],
            decrease_requested_at=r.decrease_requested_at,
            trial_ends_at=r.trial_ends_at,
            product=r.product,
            tier=r.tier,
            keys_per_person=r.keys_per_person,
            ordered_quantity=r.ordered_quantity,
            software=Software.model_validate(r.software) if r.software else None,
            add_ons=list(r.add_ons or []),
        )

    async def get(self, subscription_id: str, lock: bool = False) -> SeatPool:
        pool = await self.find(subscription_id, lock)
        if pool is None:
            raise not_found("subscription", subscription_id)
        return pool

    async def add(self, pool: SeatPool) -> None:
        await self._conn.execute(insert(pools).values(**_pool_row(pool)))

    async def save(self, pool: SeatPool) -> None:
        """Writes the pool and replaces its assignments with the ones it holds now."""
        await self._conn.execute(
            update(pools).where(pools.c.subscription_id == pool.subscription_id).values(**_pool_row(pool))
        )
        await self._conn.execute(delete(assignments).where(assignments.c.subscription_id == pool.subscription_id))
        if pool.assignments:
            await self._conn.execute(
                insert(assignments),
                [
                    dict(
                        subscription_id=pool.subscription_id,
                        user_id=a.user_id,
                        email=a.email,
                        assigned_at=a.assigned_at,
                    )
                    for a in pool.assignments
                ],
            )
