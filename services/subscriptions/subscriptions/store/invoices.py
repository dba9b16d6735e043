"""The invoices not settled yet, per subscription (R20, issue 15), as subscriptions learnt them
from billing's `billing.invoice_state_changed` (see `store.tables.unsettled_invoices`)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from subscriptions.store.tables import unsettled_invoices

T = unsettled_invoices


class UnsettledInvoices:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def keep(self, subscription_id: str, invoice_id: str, number: str, account_id: str, state: str) -> None:
        """Unsettled in `state`: added, or its state updated (an upsert, so a repeat does nothing new)."""
        key = (T.c.subscription_id == subscription_id, T.c.invoice_id == invoice_id)
        values = dict(invoice_number=number, account_id=account_id, state=state)
        if (await self._conn.execute(select(T.c.state).where(*key))).first() is None:
            await self._conn.execute(insert(T).values(subscription_id=subscription_id, invoice_id=invoice_id, **values))
        else:
            await self._conn.execute(update(T).where(*key).values(**values))

    async def settle(self, subscription_id: str, invoice_id: str) -> None:
        """Paid or void: it no longer holds anything back."""
        await self._conn.execute(delete(T).where(T.c.subscription_id == subscription_id, T.c.invoice_id == invoice_id))

    async def numbers_of(self, subscription_id: str) -> list[str]:
        """The numbers of the subscription's unsettled invoices, in number order."""
        rows = await self._conn.execute(
            select(T.c.invoice_number).where(T.c.subscription_id == subscription_id).order_by(T.c.invoice_number)
        )
        return [number for (number,) in rows]
