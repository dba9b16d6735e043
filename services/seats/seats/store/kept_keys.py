"""Node-locked keys kept for the users they were assigned to (R41): a column of
`activation_keys`, read and written here only, so that the key repository (`store/devices.py`)
and its `ActivationKey` need not know of it (its updates leave the column alone)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from seats.store.tables import activation_keys as keys


class KeptKeys:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def kept_for(self, subscription_id: str, user_id: str) -> str | None:
        """The key kept for this seat user, if any."""
        return (
            await self._conn.execute(
                select(keys.c.key_id).where(
                    keys.c.subscription_id == subscription_id, keys.c.kept_for_user_id == user_id
                )
            )
        ).scalar()

    async def kept_in(self, subscription_id: str) -> set[str]:
        """The ids of the subscription's keys kept for someone (a decrease retires others first)."""
        return set(
            (
                await self._conn.execute(
                    select(keys.c.key_id).where(
                        keys.c.subscription_id == subscription_id, keys.c.kept_for_user_id.is_not(None)
                    )
                )
            ).scalars()
        )

    async def keeper_of(self, subscription_id: str, key_id: str) -> str | None:
        """The seat user a key is kept for, if any."""
        return (
            await self._conn.execute(
                select(keys.c.kept_for_user_id).where(
                    keys.c.subscription_id == subscription_id, keys.c.key_id == key_id.upper()
                )
            )
        ).scalar()

    async def keep(self, subscription_id: str, user_ids: list[str]) -> dict[str, str]:
        """Reserves a key for each user who has none: the oldest keys kept for nobody and active
        on no device first. The caller holds the pool's lock, so no two assignments take the same
        key. A user left out (no key free: a person holding several keys, R27) gets none."""
        kept: dict[str, str] = {}
        wanting = []
        for user_id in dict.fromkeys(user_ids):
            if (key_id := await self.kept_for(subscription_id, user_id)) is not None:
                kept[user_id] = key_id
            else:
                wanting.append(user_id)
        if not wanting:
            return kept
        free = (
            await self._conn.execute(
                select(keys.c.key_id)
                .where(
                    keys.c.subscription_id == subscription_id,
                    keys.c.kept_for_user_id.is_(None),
                    keys.c.device_id.is_(None),
                )
                .order_by(keys.c.created_at, keys.c.key_id)
                .limit(len(wanting))
            )
        ).scalars()
        for user_id, key_id in zip(wanting, free, strict=False):
            await self._conn.execute(update(keys).where(keys.c.key_id == key_id).values(kept_for_user_id=user_id))
            kept[user_id] = key_id
        return kept

    async def free(self, subscription_id: str, user_ids: list[str] | None = None) -> None:
        """The keys kept for these users (every user, when None) are kept for nobody any more."""
        where = [keys.c.subscription_id == subscription_id, keys.c.kept_for_user_id.is_not(None)]
        if user_ids is not None:
            if not user_ids:
                return
            where.append(keys.c.kept_for_user_id.in_(user_ids))
        await self._conn.execute(update(keys).where(*where).values(kept_for_user_id=None))
