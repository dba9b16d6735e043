"""Sessions: those a sign-in started (until their tokens would have expired), and those ended
by signing out (kept until their last token would have expired anyway); the refresh tokens of
sign-ins kept for 30 days (R42).

Housekeeping forgets a sign-in `ENDED_KEPT` after it ended (expired, or signed out), then its
refresh tokens and its sign-out (`SessionRepository.forget_ended`). A spent refresh token stays
as long as its sign-in: presented again it must still be recognised as reuse (R42)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, delete, exists, insert, or_, select, update

from identity.domain.sign_ins import RefreshToken, SignInRecord
from identity.store.rows import Rows
from identity.store.tables import refresh_tokens, revoked_sessions, sign_in_sessions
from servicekit.http.pagination import PageRequest, keyset

ENDED_KEPT = timedelta(days=30)
# Rows of each table one housekeeping round deletes at most: its transaction stays short.
FORGET_BATCH = 5_000


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
        self,
        session_id: str,
        person_id: str,
        account_id: str,
        at: datetime,
        expires_at: datetime,
        device_name: str | None = None,
    ) -> None:
        await self._conn.execute(
            insert(sign_in_sessions).values(
                session_id=session_id,
                person_id=person_id,
                account_id=account_id,
                started_at=at,
                expires_at=expires_at,
                device_name=device_name,
                last_used_at=at,
            )
        )

    @staticmethod
    def _open(person_id: str, now: datetime) -> tuple[ColumnElement[bool], ...]:
        return (
            sign_in_sessions.c.person_id == person_id,
            sign_in_sessions.c.expires_at > now,
            sign_in_sessions.c.session_id.not_in(select(revoked_sessions.c.session_id)),
        )

    async def open_of(self, person_id: str, now: datetime) -> list[tuple[str, str]]:
        """(session id, account id) of the person's sessions whose tokens may still be valid and
        that have not signed out."""
        rows = await self._conn.execute(
            select(sign_in_sessions.c.session_id, sign_in_sessions.c.account_id)
            .where(*self._open(person_id, now))
            .order_by(sign_in_sessions.c.started_at, sign_in_sessions.c.session_id)
        )
        return [(row.session_id, row.account_id) for row in rows]

    async def sign_ins_of(self, person_id: str, now: datetime, page: PageRequest) -> list[SignInRecord]:
        """R42: a page of the person's open sign-ins, oldest first."""
        query = keyset(
            select(sign_in_sessions).where(*self._open(person_id, now)),
            [sign_in_sessions.c.started_at, sign_in_sessions.c.session_id],
            page,
        )
        return [SignInRecord(**row._mapping) for row in await self._conn.execute(query)]

    async def open_sign_in(self, session_id: str, person_id: str, now: datetime) -> SignInRecord | None:
        """The person's own sign-in, while open; None for anyone else's (R42)."""
        row = (
            await self._conn.execute(
                select(sign_in_sessions).where(sign_in_sessions.c.session_id == session_id, *self._open(person_id, now))
            )
        ).first()
        return SignInRecord(**row._mapping) if row else None

    async def sign_in(self, session_id: str) -> SignInRecord | None:
        row = await self._one(sign_in_sessions, sign_in_sessions.c.session_id == session_id)
        return SignInRecord(**row._mapping) if row else None

    async def extend(self, session_id: str, expires_at: datetime, used_at: datetime | None = None) -> None:
        """A newer token of the session (an account switch, a refresh) lives until `expires_at`:
        the session lasts at least that long (a kept sign-in's 30 days are never shortened)."""
        await self._conn.execute(
            update(sign_in_sessions)
            .where(sign_in_sessions.c.session_id == session_id, sign_in_sessions.c.expires_at < expires_at)
            .values(expires_at=expires_at)
        )
        if used_at is not None:
            await self._conn.execute(
                update(sign_in_sessions).where(sign_in_sessions.c.session_id == session_id).values(last_used_at=used_at)
            )

    async def forget_ended(self, now: datetime, kept: timedelta = ENDED_KEPT, batch: int = FORGET_BATCH) -> int:
        """Delete up to `batch` rows of each table; returns how many went. In this order:
        - sign-ins that ended (expired, or signed out) more than `kept` ago;
        - refresh tokens whose sign-in is gone, and unspent ones expired more than `kept` ago
          (refused as invalid with or without their row). A spent one whose sign-in lives stays:
          presented again, it ends that sign-in (R42 reuse detection);
        - sign-outs older than `kept` whose sign-in is gone: every token of the session expired
          long ago (an access token lives a day at most, a refresh token of a signed-out
          sign-in is refused while the sign-in's row exists, and was issued before it ended)."""
        horizon = now - kept
        signed_out_long_ago = select(revoked_sessions.c.session_id).where(revoked_sessions.c.signed_out_at < horizon)
        sign_ins = await self._delete_some(
            sign_in_sessions,
            sign_in_sessions.c.session_id,
            batch,
            or_(sign_in_sessions.c.expires_at < horizon, sign_in_sessions.c.session_id.in_(signed_out_long_ago)),
        )
        sign_in_gone = ~exists().where(sign_in_sessions.c.session_id == refresh_tokens.c.session_id)
        unspent_expired = (refresh_tokens.c.spent_at.is_(None)) & (refresh_tokens.c.expires_at < horizon)
        tokens = await self._delete_some(
            refresh_tokens, refresh_tokens.c.token_hash, batch, or_(sign_in_gone, unspent_expired)
        )
        sign_outs = await self._delete_some(
            revoked_sessions,
            revoked_sessions.c.session_id,
            batch,
            revoked_sessions.c.signed_out_at < horizon,
            ~exists().where(sign_in_sessions.c.session_id == revoked_sessions.c.session_id),
        )
        return sign_ins + tokens + sign_outs

    async def _delete_some(self, table: Table, key: ColumnElement[str], batch: int, *where: ColumnElement[bool]) -> int:
        doomed = select(key).where(*where).limit(batch)
        return (await self._conn.execute(delete(table).where(key.in_(doomed)))).rowcount or 0


class RefreshTokenRepository(Rows):
    """R42: refresh tokens by the SHA-256 of the token."""

    async def get(self, token_hash: str, lock: bool = False) -> RefreshToken | None:
        """`lock`: two refreshes with one token at once spend it once; the other finds it
        spent (reuse) once the first commits."""
        row = await self._one(refresh_tokens, refresh_tokens.c.token_hash == token_hash, lock=lock)
        return RefreshToken(**row._mapping) if row else None

    async def save(self, token: RefreshToken) -> None:
        await self._save(refresh_tokens, "token_hash", token)
