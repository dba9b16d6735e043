"""The amendments repository: tier changes proposed to an administrator (R12)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.errors import not_found
from contracts.values import Money
from subscriptions.domain.amendments import Amendment, AmendmentStatus
from subscriptions.store.tables import amendments


def _amendment_row(a: Amendment) -> dict[str, Any]:
    return dict(
        id=a.id,
        subscription_id=a.subscription_id,
        from_tier=a.from_tier,
        to_tier=a.to_tier,
        new_unit_price_minor=a.new_unit_price.amount_minor,
        currency=a.new_unit_price.currency,
        proposed_at=a.proposed_at,
        status=a.status.value,
        decided_at=a.decided_at,
    )


def _amendment(r: Any) -> Amendment:
    return Amendment(
        id=r.id,
        subscription_id=r.subscription_id,
        from_tier=r.from_tier,
        to_tier=r.to_tier,
        proposed_at=r.proposed_at,
        decided_at=r.decided_at,
        new_unit_price=Money(amount_minor=r.new_unit_price_minor, currency=r.currency),
        status=AmendmentStatus(r.status),
    )


class AmendmentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, amendment_id: str) -> Amendment:
        row = (await self._conn.execute(select(amendments).where(amendments.c.id == amendment_id))).first()
        if row is None:
            raise not_found("amendment", amendment_id)
        return _amendment(row)

    async def open_for(self, subscription_id: str) -> Amendment | None:
        row = (
            await self._conn.execute(
                select(amendments).where(
                    amendments.c.subscription_id == subscription_id, amendments.c.status == AmendmentStatus.OPEN.value
                )
            )
        ).first()
        return None if row is None else _amendment(row)

    async def add(self, amendment: Amendment) -> None:
        await self._conn.execute(insert(amendments).values(**_amendment_row(amendment)))

    async def save(self, amendment: Amendment) -> None:
        await self._conn.execute(
            update(amendments).where(amendments.c.id == amendment.id).values(**_amendment_row(amendment))
        )
