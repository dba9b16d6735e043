"""The grants that answer the access query (R21–R28): read from seats' own tables in one
indexed query, a union of one arm per way a seat grants access."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, cast, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.values import LicenceType
from seats.domain.access import Grant
from seats.domain.pools import PoolStatus
from seats.store.tables import activation_keys as keys
from seats.store.tables import assignments, leases, pools
from seats.store.tables import seat_users as users
from servicekit.store.types import UTCDateTime


class AccessRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def grants(
        self,
        product: str,
        at: datetime,
        *,
        user_id: str | None,
        email: str | None,
        device_id: str | None,
        about_asker: bool,
        asker_id: str,
    ) -> list[Grant]:
        """Every seat in force of `product` that grants this person (by person id or e-mail) or
        this device access; at least one of them is given."""
        arms = [
            a
            for a in (
                _named(user_id, email, about_asker),
                _floating(user_id, email, at, about_asker),
                _node_locked(device_id, asker_id),
            )
            if a is not None
        ]
        in_force = and_(pools.c.product == product, pools.c.status == PoolStatus.UNLOCKED.value)
        rows = await self._conn.execute(union_all(*[arm.where(in_force) for arm in arms]))
        return [Grant(*row) for row in rows]

    async def lease_grant(self, lease_id: str, at: datetime) -> Grant | None:
        """The grant of one live lease of an unlocked pool, for the entitlement its holder gets
        with each lease answer (issue 14); None once it no longer grants anything."""
        arm = _lease_arm(leases.c.lease_id == lease_id, at, about_asker=True)
        row = (await self._conn.execute(arm.where(pools.c.status == PoolStatus.UNLOCKED.value))).first()
        return Grant(*row) if row is not None else None


def _columns(how: str, about_asker: ColumnElement[Any], **seat: ColumnElement[Any]) -> tuple[Any, ...]:
    """The columns of a `Grant`, in its order; `seat`: what this arm knows of the holder, the
    lease or the key (NULL of the right type elsewhere, so that every arm unites)."""
    return (
        pools.c.subscription_id,
        pools.c.tier,
        pools.c.licence_type,
        literal(how),
        pools.c.account_id,
        pools.c.admin_person_id,
        about_asker,
        pools.c.term_end,
        pools.c.software,
        pools.c.add_ons,
        *(seat.get(name, cast(null(), type_)) for name, type_ in _SEAT_COLUMNS),
    )


_SEAT_COLUMNS = (
    ("person_id", String(64)),
    ("email", String(320)),
    ("lease_id", String(64)),
    ("lease_ends_at", UTCDateTime()),
    ("key_id", String(32)),
    ("device_id", String(200)),
)


def _named(user_id: str | None, email: str | None, about_asker: bool) -> Select[Any] | None:
    """R22, R24: a named seat of the user, found by their person id or e-mail."""
    if not (user_id or email):
        return None
    who = users.c.person_id == user_id if user_id else users.c.email == email
    joined = users.join(
        assignments,
        and_(assignments.c.subscription_id == users.c.subscription_id, assignments.c.user_id == users.c.user_id),
    ).join(pools, pools.c.subscription_id == users.c.subscription_id)
    # In a floating or node-locked pool an assignment is the right to take a lease or activate a
    # key, which is what grants access there; only a named seat grants it by itself.
    return (
        select(*_columns("named seat assigned", literal(about_asker), person_id=users.c.person_id, email=users.c.email))
        .select_from(joined)
        .where(who, pools.c.licence_type == LicenceType.NAMED_USER.value)
    )


def _floating(user_id: str | None, email: str | None, at: datetime, about_asker: bool) -> Select[Any] | None:
    """R26: a live lease; an expired one never counts."""
    if not (user_id or email):
        return None
    who = leases.c.person_id == user_id if user_id else leases.c.email == email
    return _lease_arm(who, at, about_asker)


def _lease_arm(which: ColumnElement[bool], at: datetime, about_asker: bool) -> Select[Any]:
    joined = leases.join(pools, pools.c.subscription_id == leases.c.subscription_id)
    return (
        select(
            *_columns(
                "floating lease held",
                literal(about_asker),
                person_id=leases.c.person_id,
                email=leases.c.email,
                lease_id=leases.c.lease_id,
                lease_ends_at=leases.c.expires_at,
            )
        )
        .select_from(joined)
        .where(which, leases.c.released_at.is_(None), leases.c.expires_at > at)
    )


def _node_locked(device_id: str | None, asker_id: str) -> Select[Any] | None:
    """R27: a key active on this device; it is the asker's own when they activated it."""
    if not device_id:
        return None
    joined = keys.join(pools, pools.c.subscription_id == keys.c.subscription_id)
    return (
        select(
            *_columns(
                "activation key active on this device",
                keys.c.person_id == asker_id,
                person_id=keys.c.person_id,
                email=keys.c.email,
                key_id=keys.c.key_id,
                device_id=keys.c.device_id,
            )
        )
        .select_from(joined)
        .where(keys.c.device_id == device_id)
    )
