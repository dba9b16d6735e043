"""The agreements repository: each purchase's and amendment's agreement text (R36)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.errors import not_found
from servicekit.http.pagination import PageRequest, keyset
from subscriptions.domain.agreements import Agreement, AgreementKind, AgreementStatus
from subscriptions.store.tables import agreements

_PLAIN = (
    "subscription_id",
    "number",
    "amendment_id",
    "template_version",
    "content_hash",
    "text",
    "issued_at",
    "accepted_by",
    "accepted_by_name",
    "accepted_at",
)


def _row(a: Agreement) -> dict[str, Any]:
    return dict({name: getattr(a, name) for name in _PLAIN}, kind=a.kind.value, status=a.status.value)


def _agreement(r: Any) -> Agreement:
    return Agreement(
        **{name: getattr(r, name) for name in _PLAIN}, kind=AgreementKind(r.kind), status=AgreementStatus(r.status)
    )


class AgreementRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def page(self, subscription_id: str, page: PageRequest) -> list[Agreement]:
        """One page of a subscription's agreements, in the order they were issued: every
        proposed amendment adds one, so the list is paged like any other."""
        query = select(agreements).where(agreements.c.subscription_id == subscription_id)
        return [_agreement(r) for r in await self._conn.execute(keyset(query, (agreements.c.number,), page))]

    async def get(self, subscription_id: str, number: int) -> Agreement:
        row = (
            await self._conn.execute(
                select(agreements).where(agreements.c.subscription_id == subscription_id, agreements.c.number == number)
            )
        ).first()
        if row is None:
            raise not_found("agreement", str(number))
        return _agreement(row)

    async def purchase(self, subscription_id: str) -> Agreement | None:
        """The latest purchase agreement; none for an order placed before agreements were kept."""
        row = (
            await self._conn.execute(
                select(agreements)
                .where(
                    agreements.c.subscription_id == subscription_id,
                    agreements.c.kind == AgreementKind.PURCHASE.value,
                )
                .order_by(agreements.c.number.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else _agreement(row)

    async def next_number(self, subscription_id: str) -> int:
        """The caller holds the subscription's row lock: two issues cannot take one number."""
        found = await self._conn.execute(
            select(func.max(agreements.c.number)).where(agreements.c.subscription_id == subscription_id)
        )
        return int(found.scalar() or 0) + 1

    async def of_amendment(self, subscription_id: str, amendment_id: str) -> Agreement | None:
        row = (
            await self._conn.execute(
                select(agreements).where(
                    agreements.c.subscription_id == subscription_id, agreements.c.amendment_id == amendment_id
                )
            )
        ).first()
        return None if row is None else _agreement(row)

    async def add(self, agreement: Agreement) -> None:
        await self._conn.execute(insert(agreements).values(**_row(agreement)))

    async def save(self, agreement: Agreement) -> None:
        """Only its status and acceptance change; the text and its version never do."""
        await self._conn.execute(
            update(agreements)
            .where(agreements.c.subscription_id == agreement.subscription_id, agreements.c.number == agreement.number)
            .values(
                status=agreement.status.value,
                accepted_by=agreement.accepted_by,
                accepted_by_name=agreement.accepted_by_name,
                accepted_at=agreement.accepted_at,
            )
        )
