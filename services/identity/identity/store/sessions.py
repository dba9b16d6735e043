"""Sessions: those a sign-in started (until their tokens would have expired), and those ended
by signing out (kept until their last token would have expired anyway)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from identity.store.rows import Rows
from identity.store.tables import revoked_sessions, sign_in_sessions


class SessionRepository(Rows):
    async def revoke(self, session_id: str, person_id: str, at: datetime) -> bool:
        """False when the session had already ended."""
        if await self.revoked(session_id):
            return False
        await self._conn.execute(
            insert(revoked_sessions).values(session_id=session_id, person_id=person_id, signed_out_at=at)
        )
        return True

    async def revoked(self, session_id: str) -> bool:
        return await self._one(revoked_sessions, revoked_sessions.c.session_id == session_id) is not None

    async def started(
        self, session_id: str, person_id: str, account_id: str, at: datetime, expires_at: datetime
    ) -> None:
        await self._conn.execute(
            insert(sign_in_sessions).values(
                session_id=session_id, person_id=person_id, account_id=account_id, started_at=at, expires_at=expires_at
            )
        )

    async def open_of(self, person_id: str, now: datetime) -> list[tuple[str, str]]:
        """(session id, account id) of the person's sessions whose tokens may still be valid and
        that have not signed out."""
        rows = await self._conn.execute(
            select(sign_in_sessions.c.session_id, sign_in_sessions.c.account_id)
            .where(
                sign_in_sessions.c.person_id == person_id,
                sign_in_sessions.c.expires_at > now,
                sign_in_sessions.c.session_id.not_in(select(revoked_sessions.c.session_id)),
            )
            .order_by(sign_in_sessions.c.started_at, sign_in_sessions.c.session_id)
        )
        return [(row.session_id, row.account_id) for row in rows]

    async def extend(self, session_id: str, expires_at: datetime) -> None:
        """A newer token of the session (an account switch) lives until `expires_at`."""
        await self._conn.execute(
            update(sign_in_sessions).where(sign_in_sessions.c.session_id == session_id).values(expires_at=expires_at)
        )
