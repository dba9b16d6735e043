"""Sessions ended by signing out; kept until their last token would have expired anyway."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from identity.store.rows import Rows
from identity.store.tables import revoked_sessions


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
