"""The buyer of each account: identity's billing details, or an order's until identity speaks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from billing.store.tables import buyers
from contracts.parties import AccountBillingDetails


class BuyerRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def details_of(self, account_id: str) -> AccountBillingDetails | None:
        text = (
            await self._conn.execute(select(buyers.c.details).where(buyers.c.account_id == account_id))
        ).scalar_one_or_none()
        return None if text is None else AccountBillingDetails.model_validate_json(text)

    async def record(self, account_id: str, details: AccountBillingDetails, at: datetime, *, from_order: bool) -> bool:
        """Identity's details replace whatever billing had; an order's are taken only while
        billing has none (identity adopts them too, and publishes them back). False when
        nothing changed."""
        found = (
            await self._conn.execute(select(buyers.c.source).where(buyers.c.account_id == account_id))
        ).scalar_one_or_none()
        row = dict(details=details.model_dump_json(), source="order" if from_order else "identity", changed_at=at)
        if found is None:
            await self._conn.execute(insert(buyers).values(account_id=account_id, **row))
            return True
        if from_order:
            return False
        await self._conn.execute(update(buyers).where(buyers.c.account_id == account_id).values(**row))
        return True
