"""Portal sessions (SQLAlchemy Core): one row per browser, found by its cookie's value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from portal.store.tables import portal_sessions


@dataclass(frozen=True)
class PortalSession:
    id: str
    csrf_token: str
    locale: str
    created_at: datetime
    expires_at: datetime
    access_token: str | None = None
    person_id: str | None = None
    account_id: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.access_token is not None

    def __repr__(self) -> str:  # never the cookie's value nor the token in a log line
        return f"PortalSession(person_id={self.person_id!r}, account_id={self.account_id!r}, locale={self.locale!r})"


class SessionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, session: PortalSession) -> None:
        await self._conn.execute(
            insert(portal_sessions).values(
                id=session.id,
                access_token=session.access_token,
                person_id=session.person_id,
                account_id=session.account_id,
                csrf_token=session.csrf_token,
                locale=session.locale,
                created_at=session.created_at,
                expires_at=session.expires_at,
            )
        )

    async def get(self, session_id: str, now: datetime) -> PortalSession | None:
        """The session, unless it is unknown or has expired."""
        row = (
            await self._conn.execute(
                select(portal_sessions).where(portal_sessions.c.id == session_id, portal_sessions.c.expires_at > now)
            )
        ).first()
        if row is None:
            return None
        return PortalSession(
            id=row.id,
            csrf_token=row.csrf_token,
            locale=row.locale,
            created_at=row.created_at,
            expires_at=row.expires_at,
            access_token=row.access_token,
            person_id=row.person_id,
            account_id=row.account_id,
        )

    async def set_locale(self, session_id: str, locale: str) -> None:
        await self._conn.execute(
            update(portal_sessions).where(portal_sessions.c.id == session_id).values(locale=locale)
        )

    async def remove(self, session_id: str) -> None:
        await self._conn.execute(delete(portal_sessions).where(portal_sessions.c.id == session_id))

    async def prune(self, now: datetime) -> int:
        """Forget expired sessions; returns how many."""
        result = await self._conn.execute(delete(portal_sessions).where(portal_sessions.c.expires_at <= now))
        return result.rowcount or 0
