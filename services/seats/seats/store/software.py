"""What one person may use now ("My software", R40): read from seats' own tables, three
indexed queries (their assignments in unlocked pools with the key kept for them, their live
leases, their active keys)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.values import Software
from seats.domain.pools import PoolStatus
from seats.store.tables import activation_keys as keys
from seats.store.tables import assignments, leases, pools
from seats.store.tables import seat_users as users

MAX_SEATS = 500  # one person's seats: far more than anyone holds, a bound on the answer


@dataclass(frozen=True)
class HeldLease:
    lease_id: str
    acquired_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class HeldKey:
    key_id: str
    device_id: str
    device_name: str | None
    activated_at: datetime | None


@dataclass
class Usable:
    """One subscription whose seat the person may use now, and what they hold of it."""

    subscription_id: str
    product: str
    tier: str
    licence_type: str
    trial_ends_at: datetime | None
    software: Software | None = None  # how the product is used (start, download), if known
    add_ons: list[str] = field(default_factory=list)
    assigned: bool = False
    kept_key: str | None = None  # node-locked: the key kept for them (R41)
    leases: list[HeldLease] = field(default_factory=list)
    keys: list[HeldKey] = field(default_factory=list)


class SoftwareQuery:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def usable_by(self, person_id: str, email: str, at: datetime) -> list[Usable]:
        """R40: every unlocked pool where the person (by person id or by the e-mail they were
        invited at) holds an assignment (R22, R24), a live lease (R26) or an active key (R27);
        a locked, closed or deprovisioned pool grants nothing (R21, R28)."""
        email = email.strip().lower()
        unlocked = pools.c.status == PoolStatus.UNLOCKED.value
        pool_columns = (
            pools.c.subscription_id,
            pools.c.product,
            pools.c.tier,
            pools.c.licence_type,
            pools.c.trial_ends_at,
            pools.c.software,
            pools.c.add_ons,
        )
        found: dict[str, Usable] = {}

        def usable(row) -> Usable:
            return found.setdefault(
                row.subscription_id,
                Usable(
                    row.subscription_id,
                    row.product,
                    row.tier,
                    row.licence_type,
                    row.trial_ends_at,
                    software=Software.model_validate(row.software) if row.software else None,
                    add_ons=list(row.add_ons or []),
                ),
            )

        assigned = await self._conn.execute(
            select(*pool_columns, keys.c.key_id.label("kept_key"))
            .select_from(
                users.join(
                    assignments,
                    and_(
                        assignments.c.subscription_id == users.c.subscription_id,
                        assignments.c.user_id == users.c.user_id,
                    ),
                )
                .join(pools, pools.c.subscription_id == users.c.subscription_id)
                .outerjoin(
                    keys,
                    and_(keys.c.subscription_id == users.c.subscription_id, keys.c.kept_for_user_id == users.c.user_id),
                )
            )
            .where(or_(users.c.person_id == person_id, users.c.email == email), unlocked)
            .order_by(pools.c.subscription_id, keys.c.key_id)
            .limit(MAX_SEATS)
        )
        for row in assigned:
            found_usable = usable(row)
            found_usable.assigned = True
            found_usable.kept_key = found_usable.kept_key or row.kept_key

        live = await self._conn.execute(
            select(*pool_columns, leases.c.lease_id, leases.c.acquired_at, leases.c.expires_at)
            .select_from(leases.join(pools, pools.c.subscription_id == leases.c.subscription_id))
            .where(leases.c.person_id == person_id, leases.c.released_at.is_(None), leases.c.expires_at > at, unlocked)
            .order_by(leases.c.acquired_at, leases.c.lease_id)
            .limit(MAX_SEATS)
        )
        for row in live:
            usable(row).leases.append(HeldLease(row.lease_id, row.acquired_at, row.expires_at))

        active = await self._conn.execute(
            select(*pool_columns, keys.c.key_id, keys.c.device_id, keys.c.device_name, keys.c.activated_at)
            .select_from(keys.join(pools, pools.c.subscription_id == keys.c.subscription_id))
            .where(keys.c.person_id == person_id, keys.c.device_id.is_not(None), unlocked)
            .order_by(keys.c.activated_at, keys.c.key_id)
            .limit(MAX_SEATS)
        )
        for row in active:
            usable(row).keys.append(HeldKey(row.key_id, row.device_id, row.device_name, row.activated_at))

        return sorted(found.values(), key=lambda u: (u.product, u.subscription_id))[:MAX_SEATS]
