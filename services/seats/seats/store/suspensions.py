"""The periods billing suspended for an overdue invoice (issue 15, item 6), mapped to
`domain.suspensions.PaymentSuspension`."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from seats.domain.suspensions import PaymentSuspension
from seats.store.tables import payment_suspensions as suspensions
from servicekit.store.types import UTCDateTime

_COLUMNS = (
    suspensions.c.invoice_id,
    suspensions.c.subscription_id,
    suspensions.c.starts_at,
    suspensions.c.ends_at,
    suspensions.c.suspended_at,
    suspensions.c.number,
    suspensions.c.reason,
)

# Built once with bound parameters, as the access query is: it runs with nearly every check.
_NOT_ENDED = select(*_COLUMNS).where(
    suspensions.c.subscription_id.in_(bindparam("subscription_ids", expanding=True)),
    suspensions.c.ends_at > bindparam("at", type_=UTCDateTime()),
)


class PaymentSuspensions:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, found: list[PaymentSuspension]) -> int:
        """Keeps the periods not kept yet (the same event told twice keeps them once); returns
        how many were new."""
        if not found:
            return 0
        keys = [(s.invoice_id, s.subscription_id, s.start) for s in found]
        kept = await self._conn.execute(
            select(suspensions.c.invoice_id, suspensions.c.subscription_id, suspensions.c.starts_at).where(
                suspensions.c.invoice_id.in_({s.invoice_id for s in found})
            )
        )
        known = set(kept.tuples())
        new = {key: s for key, s in zip(keys, found, strict=True) if key not in known}
        if new:
            await self._conn.execute(insert(suspensions), [_row(s) for s in new.values()])
        return len(new)

    async def lift(self, invoice_id: str) -> int:
        """Every period of that invoice; an invoice never suspended lifts nothing."""
        return (await self._conn.execute(delete(suspensions).where(suspensions.c.invoice_id == invoice_id))).rowcount

    async def not_ended(self, subscription_ids: Collection[str], at: datetime) -> list[PaymentSuspension]:
        """The suspensions of these subscriptions that cover `at` or come after it."""
        if not subscription_ids:
            return []
        rows = await self._conn.execute(_NOT_ENDED, {"subscription_ids": sorted(set(subscription_ids)), "at": at})
        return [PaymentSuspension(*row) for row in rows]

    async def of_invoice(self, invoice_id: str) -> list[PaymentSuspension]:
        rows = await self._conn.execute(
            select(*_COLUMNS)
            .where(suspensions.c.invoice_id == invoice_id)
            .order_by(suspensions.c.subscription_id, suspensions.c.starts_at)
        )
        return [PaymentSuspension(*row) for row in rows]


def _row(s: PaymentSuspension) -> dict[str, object]:
    return dict(
        invoice_id=s.invoice_id,
        subscription_id=s.subscription_id,
        starts_at=s.start,
        ends_at=s.end,
        suspended_at=s.suspended_at,
        number=s.number,
        reason=s.reason,
    )
