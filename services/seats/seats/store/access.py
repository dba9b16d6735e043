"""The grants that answer the access query (R21–R28): read from seats' own tables in one
indexed query, a union of one arm per way a seat grants access."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    and_,
    bindparam,
    cast,
    literal,
    null,
    select,
    union_all,
)
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
        who = "user_id" if user_id else "email" if email else None
        statement = _grants_statement(who, device_id is not None)
        values = {"product": product, "at": at, "about_asker": about_asker, "asker_id": asker_id}
        values |= {"who": user_id or email, "device_id": device_id}
        rows = await self._conn.execute(statement, values)
        return [Grant(*row) for row in rows]

    async def lease_grant(self, lease_id: str, at: datetime) -> Grant | None:
        """The grant of one live lease of an unlocked pool, for the entitlement its holder gets
        with each lease answer (issue 14); None once it no longer grants anything."""
        row = (await self._conn.execute(_LEASE_GRANT, {"lease_id": lease_id, "at": at, "about_asker": True})).first()
        return Grant(*row) if row is not None else None


@functools.cache
def _grants_statement(who: str | None, by_device: bool) -> CompoundSelect:
    """The union for one shape of question (by person id, by e-mail, by device, or both), built
    once with bound parameters: building and hashing a fresh statement for every check cost
    more than running it (issue 14's access bench)."""
    arms = []
    if who is not None:
        arms += [_named(who), _floating(who)]
    if by_device:
        arms.append(_node_locked())
    in_force = and_(pools.c.product == bindparam("product"), pools.c.status == PoolStatus.UNLOCKED.value)
    return union_all(*[arm.where(in_force) for arm in arms])


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


_WHO = bindparam("who", type_=String())
_AT = bindparam("at", type_=UTCDateTime())
_ABOUT_ASKER = bindparam("about_asker", type_=Boolean())


def _named(by: str) -> Select[Any]:
    """R22, R24: a named seat of the user, found by their person id (`by` "user_id") or e-mail."""
    who = (users.c.person_id if by == "user_id" else users.c.email) == _WHO
    joined = users.join(
        assignments,
        and_(assignments.c.subscription_id == users.c.subscription_id, assignments.c.user_id == users.c.user_id),
    ).join(pools, pools.c.subscription_id == users.c.subscription_id)
    # In a floating or node-locked pool an assignment is the right to take a lease or activate a
    # key, which is what grants access there; only a named seat grants it by itself.
    return (
        select(*_columns("named seat assigned", _ABOUT_ASKER, person_id=users.c.person_id, email=users.c.email))
        .select_from(joined)
        .where(who, pools.c.licence_type == LicenceType.NAMED_USER.value)
    )


def _floating(by: str) -> Select[Any]:
    """R26: a live lease; an expired one never counts."""
    return _lease_arm((leases.c.person_id if by == "user_id" else leases.c.email) == _WHO)


def _lease_arm(which: ColumnElement[bool]) -> Select[Any]:
    joined = leases.join(pools, pools.c.subscription_id == leases.c.subscription_id)
    return (
        select(
            *_columns(
                "floating lease held",
                _ABOUT_ASKER,
                person_id=leases.c.person_id,
                email=leases.c.email,
                lease_id=leases.c.lease_id,
                lease_ends_at=leases.c.expires_at,
            )
        )
        .select_from(joined)
        .where(which, leases.c.released_at.is_(None), leases.c.expires_at > _AT)
    )


def _node_locked() -> Select[Any]:
    """R27: a key active on this device; it is the asker's own when they activated it."""
    joined = keys.join(pools, pools.c.subscription_id == keys.c.subscription_id)
    return (
        select(
            *_columns(
                "activation key active on this device",
                keys.c.person_id == bindparam("asker_id"),
                person_id=keys.c.person_id,
                email=keys.c.email,
                key_id=keys.c.key_id,
                device_id=keys.c.device_id,
            )
        )
        .select_from(joined)
        .where(keys.c.device_id == bindparam("device_id"))
    )


_LEASE_GRANT = _lease_arm(leases.c.lease_id == bindparam("lease_id")).where(pools.c.status == PoolStatus.UNLOCKED.value)
