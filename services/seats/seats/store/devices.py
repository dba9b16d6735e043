"""Node-locked activation keys and the device each is bound to (R27)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.errors import not_found
from seats.domain.devices import ActivationKey
from seats.store.tables import activation_keys, device_resets
from servicekit.http.pagination import PageRequest, keyset


def _key(r) -> ActivationKey:
    return ActivationKey(
        key_id=r.key_id,
        subscription_id=r.subscription_id,
        account_id=r.account_id,
        created_at=r.created_at,
        device_id=r.device_id,
        device_name=r.device_name,
        activated_at=r.activated_at,
        person_id=r.person_id,
        email=r.email,
    )


class KeyRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def keys_of(self, subscription_id: str) -> list[ActivationKey]:
        rows = await self._conn.execute(
            select(activation_keys)
            .where(activation_keys.c.subscription_id == subscription_id)
            .order_by(activation_keys.c.created_at, activation_keys.c.key_id)
        )
        return [_key(r) for r in rows]

    async def page(self, subscription_id: str, page: PageRequest) -> list[ActivationKey]:
        query = select(activation_keys).where(activation_keys.c.subscription_id == subscription_id)
        order = [activation_keys.c.created_at, activation_keys.c.key_id]
        return [_key(r) for r in await self._conn.execute(keyset(query, order, page))]

    async def held_by(self, subscription_id: str, person_id: str | None, email: str | None) -> list[ActivationKey]:
        """The keys active for this person (by person id, or by e-mail for keys of the same person)."""
        who = [activation_keys.c.person_id == person_id] if person_id else []
        who += [activation_keys.c.email == email.lower()] if email else []
        if not who:
            return []
        rows = await self._conn.execute(
            select(activation_keys)
            .where(
                activation_keys.c.subscription_id == subscription_id,
                activation_keys.c.device_id.is_not(None),
                or_(*who),
            )
            .order_by(activation_keys.c.key_id)
        )
        return [_key(r) for r in rows]

    async def get(self, subscription_id: str, key_id: str) -> ActivationKey:
        r = (
            await self._conn.execute(
                select(activation_keys).where(
                    activation_keys.c.subscription_id == subscription_id, activation_keys.c.key_id == key_id.upper()
                )
            )
        ).first()
        if r is None:
            raise not_found("activation key", key_id)
        return _key(r)

    async def subscription_of(self, key_id: str) -> str | None:
        """The subscription of a key known only by its text (a licence file's request, issue 14)."""
        return (
            await self._conn.execute(
                select(activation_keys.c.subscription_id).where(activation_keys.c.key_id == key_id.upper())
            )
        ).scalar()

    async def add_all(self, keys: list[ActivationKey]) -> None:
        if keys:
            await self._conn.execute(insert(activation_keys), [vars(k) for k in keys])

    async def save(self, key: ActivationKey) -> None:
        await self._conn.execute(
            update(activation_keys).where(activation_keys.c.key_id == key.key_id).values(**vars(key))
        )

    async def remove(self, keys: list[ActivationKey]) -> None:
        if keys:
            await self._conn.execute(
                delete(activation_keys).where(activation_keys.c.key_id.in_([k.key_id for k in keys]))
            )

    async def resets_since(self, person_id: str, since: datetime) -> list[datetime]:
        """When this person deactivated their own keys (device resets) since then, oldest first."""
        rows = await self._conn.execute(
            select(device_resets.c.reset_at)
            .where(device_resets.c.person_id == person_id, device_resets.c.reset_at > since)
            .order_by(device_resets.c.reset_at)
        )
        return [reset_at for (reset_at,) in rows]

    async def record_reset(self, person_id: str, key: ActivationKey, at: datetime, forget_before: datetime) -> None:
        """Count one more device reset of this person, and forget theirs that no longer count."""
        await self._conn.execute(
            delete(device_resets).where(
                device_resets.c.person_id == person_id, device_resets.c.reset_at <= forget_before
            )
        )
        await self._conn.execute(
            insert(device_resets).values(
                reset_id=str(uuid.uuid4()),
                person_id=person_id,
                subscription_id=key.subscription_id,
                key_id=key.key_id,
                reset_at=at,
            )
        )
