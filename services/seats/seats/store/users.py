"""Users of subscriptions, people known to be registered, and who ever had a trial seat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.errors import not_found
from seats.domain.leases import Standing
from seats.domain.pools import SeatPool
from seats.domain.users import SeatUser, UserStatus
from seats.store.tables import registered_people, seat_users, trial_seat_holders
from servicekit.http.auth import Caller
from servicekit.http.pagination import PageRequest, keyset


def _escape_like(text: str) -> str:
    """A filter is text, not a pattern: `%` and `_` match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _user(r) -> SeatUser:
    return SeatUser(
        user_id=r.user_id,
        subscription_id=r.subscription_id,
        email=r.email,
        first_name=r.first_name,
        last_name=r.last_name,
        status=UserStatus(r.status),
        added_at=r.added_at,
        locale=r.locale,
        person_id=r.person_id,
        invited_at=r.invited_at,
    )


def _row(u: SeatUser) -> dict:
    return dict(
        user_id=u.user_id,
        subscription_id=u.subscription_id,
        email=u.email,
        first_name=u.first_name,
        last_name=u.last_name,
        locale=u.locale,
        status=u.status.value,
        person_id=u.person_id,
        added_at=u.added_at,
        invited_at=u.invited_at,
    )


class SeatUserRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def users_of(self, subscription_id: str, lock: bool = False) -> list[SeatUser]:
        return await self._users(
            select(seat_users)
            .where(seat_users.c.subscription_id == subscription_id)
            .order_by(seat_users.c.added_at, seat_users.c.email),
            lock,
        )

    async def listed_emails(self, subscription_id: str) -> set[str]:
        rows = await self._conn.execute(
            select(seat_users.c.email).where(seat_users.c.subscription_id == subscription_id)
        )
        return {email for (email,) in rows}

    async def find_by_email(self, subscription_id: str, email: str) -> SeatUser | None:
        r = (
            await self._conn.execute(
                select(seat_users).where(seat_users.c.subscription_id == subscription_id, seat_users.c.email == email)
            )
        ).first()
        return _user(r) if r else None

    async def get(self, subscription_id: str, user_id: str) -> SeatUser:
        r = (
            await self._conn.execute(
                select(seat_users).where(
                    seat_users.c.subscription_id == subscription_id, seat_users.c.user_id == user_id
                )
            )
        ).first()
        if r is None:
            raise not_found("user", user_id)
        return _user(r)

    async def add_all(self, users: list[SeatUser]) -> None:
        if users:
            await self._conn.execute(insert(seat_users), [_row(u) for u in users])

    async def save(self, user: SeatUser) -> None:
        await self._conn.execute(update(seat_users).where(seat_users.c.user_id == user.user_id).values(**_row(user)))

    async def user_ids_of(self, subscription_id: str, person_id: str, email: str) -> set[str]:
        """The seat users the signed-in person is in this subscription (by person id or e-mail):
        none for a stranger, usually one."""
        rows = await self._conn.execute(
            select(seat_users.c.user_id).where(
                seat_users.c.subscription_id == subscription_id,
                (seat_users.c.person_id == person_id) | (seat_users.c.email == email.lower()),
            )
        )
        return {user_id for (user_id,) in rows}

    async def standing(self, pool: SeatPool, caller: Caller) -> Standing:
        """Administrator, listed user, assigned user (R24, R26, R27)."""
        user_ids = await self.user_ids_of(pool.subscription_id, caller.person_id, caller.email)
        return Standing(
            is_administrator=pool.is_administered_by(caller.person_id, caller.account_id),
            is_listed=bool(user_ids),
            is_assigned=pool.assignment_of(user_ids) is not None,
        )

    async def page(
        self, subscription_id: str, page: PageRequest, *, status: UserStatus | None = None, text: str | None = None
    ) -> list[SeatUser]:
        """A page of the users, in the order they were added, optionally filtered."""
        query = select(seat_users).where(seat_users.c.subscription_id == subscription_id)
        if status is not None:
            query = query.where(seat_users.c.status == status.value)
        if text:
            needle = f"%{_escape_like(text.strip().lower())}%"
            query = query.where(
                or_(
                    *(
                        func.lower(c).like(needle, escape="\\")
                        for c in (seat_users.c.email, seat_users.c.first_name, seat_users.c.last_name)
                    )
                )
            )
        return await self._users(keyset(query, [seat_users.c.added_at, seat_users.c.user_id], page), lock=False)

    async def registered_person(self, email: str) -> str | None:
        rows = await self._conn.execute(select(registered_people.c.person_id).where(registered_people.c.email == email))
        return rows.scalar()

    async def registered_among(self, emails: list[str]) -> dict[str, str]:
        """E-mail → person id of those already registered, in one query per thousand."""
        found: dict[str, str] = {}
        for start in range(0, len(emails), 1000):
            rows = await self._conn.execute(
                select(registered_people.c.email, registered_people.c.person_id).where(
                    registered_people.c.email.in_(emails[start : start + 1000])
                )
            )
            found.update({email: person_id for email, person_id in rows})
        return found

    async def remember_registration(self, email: str, person_id: str, at: datetime) -> None:
        if await self.registered_person(email) is None:
            await self._conn.execute(
                insert(registered_people).values(email=email, person_id=person_id, registered_at=at)
            )

    async def invited_with_email(self, email: str, lock: bool = False) -> list[SeatUser]:
        return await self._users(
            select(seat_users).where(seat_users.c.email == email, seat_users.c.status == UserStatus.INVITED.value), lock
        )

    async def _users(self, query, lock: bool) -> list[SeatUser]:
        """`lock` when the users will be saved (PostgreSQL `FOR UPDATE`): commands on one
        subscription already queue on its pool row, but registration (an event about a
        person) changes users of several subscriptions and locks just those rows."""
        return [_user(r) for r in await self._conn.execute(query.with_for_update() if lock else query)]

    async def had_trial_seat(self, email: str) -> bool:
        rows = await self._conn.execute(select(trial_seat_holders.c.email).where(trial_seat_holders.c.email == email))
        return rows.first() is not None

    async def remember_trial_seat(self, email: str, at: datetime) -> None:
        if not await self.had_trial_seat(email):
            await self._conn.execute(insert(trial_seat_holders).values(email=email, first_assigned_at=at))
