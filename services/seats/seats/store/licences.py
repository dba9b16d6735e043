"""The company-wide licence view (R39), read across pools: the pools one administrator holds
in one account, and their users with their seat, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from seats.store.tables import assignments, pools, seat_users
from servicekit.http.pagination import PageRequest, keyset


@dataclass(frozen=True)
class LicenceSummary:
    subscription_id: str
    product: str
    tier: str
    licence_type: str
    status: str
    quantity: int
    assigned: int


@dataclass(frozen=True)
class LicenceUser:
    subscription_id: str
    user_id: str
    email: str
    first_name: str
    last_name: str
    status: str
    seat_assigned: bool


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class LicenceQueries:
    """Reads only: two queries whatever the number of pools or users (no query per pool)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def administered(self, person_id: str, account_id: str) -> list[LicenceSummary]:
        """R6, R39: the pools this person administers for the account they act for, nothing else."""
        held = (
            select(assignments.c.subscription_id, func.count().label("assigned"))
            .group_by(assignments.c.subscription_id)
            .subquery()
        )
        rows = await self._conn.execute(
            select(
                pools.c.subscription_id,
                pools.c.product,
                pools.c.tier,
                pools.c.licence_type,
                pools.c.status,
                pools.c.quantity,
                func.coalesce(held.c.assigned, 0).label("assigned"),
            )
            .outerjoin(held, held.c.subscription_id == pools.c.subscription_id)
            .where(pools.c.admin_person_id == person_id, pools.c.account_id == account_id)
            .order_by(pools.c.product, pools.c.tier, pools.c.subscription_id)
        )
        return [LicenceSummary(**r._mapping) for r in rows]

    async def users(self, subscription_ids: list[str], page: PageRequest, text: str | None = None) -> list[LicenceUser]:
        """The users of those pools ordered by e-mail (one person's licences side by side), with
        whether each holds a seat; `text` finds an e-mail or a name."""
        query = (
            select(
                seat_users.c.subscription_id,
                seat_users.c.user_id,
                seat_users.c.email,
                seat_users.c.first_name,
                seat_users.c.last_name,
                seat_users.c.status,
                assignments.c.user_id.is_not(None).label("seat_assigned"),
            )
            .outerjoin(
                assignments,
                and_(
                    assignments.c.subscription_id == seat_users.c.subscription_id,
                    assignments.c.user_id == seat_users.c.user_id,
                ),
            )
            .where(seat_users.c.subscription_id.in_(subscription_ids))
        )
        if text and text.strip():
            needle = f"%{_escape_like(text.strip().lower())}%"
            query = query.where(
                or_(
                    *(
                        func.lower(c).like(needle, escape="\\")
                        for c in (seat_users.c.email, seat_users.c.first_name, seat_users.c.last_name)
                    )
                )
            )
        rows = await self._conn.execute(keyset(query, [seat_users.c.email, seat_users.c.user_id], page))
        return [LicenceUser(**{**r._mapping, "seat_assigned": bool(r.seat_assigned)}) for r in rows]
