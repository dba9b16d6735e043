"""Sessions that ended at identity, as every other service learns of them.

Identity signs tokens and keeps its sessions; the other services verify tokens locally, so
without more a signed-out token would work there until it expires. Identity publishes
`identity.signed_out`; each consuming service records it in the kit table `ended_sessions`
(in the consumer's transaction, beside the service's own handler of that event, if any),
and its caller dependency refuses the tokens of an ended session.

The check costs a dictionary lookup on most requests: a session found open is trusted for
`RECHECK_SECONDS`, then looked up again by primary key; one found ended is remembered until
its tokens would have expired anyway. An event consumed by this process is known at once;
one consumed by another replica of the service is seen at the next look-up, so a signed-out
token is refused everywhere within the event's delivery plus `RECHECK_SECONDS`.

Rows matter only while a token of the session could still be valid: housekeeping forgets
them `TOKEN_TTL_SECONDS` after the session ended.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from contracts.identity import SignedOut
from servicekit.store.db import Database
from servicekit.store.tables import ended_sessions
from servicekit.store.uow import UnitOfWork

RECHECK_SECONDS = 1.0
# Sessions known open, remembered to spare a query; the least recently seen go first.
REMEMBERED_OPEN = 10_000


class EndedSessions:
    def __init__(
        self,
        db: Database,
        token_lifetime: timedelta,
        *,
        recheck_seconds: float = RECHECK_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db, self._lifetime = db, token_lifetime
        self._recheck, self._monotonic = recheck_seconds, monotonic
        self._ended: dict[str, datetime] = {}
        self._open: OrderedDict[str, float] = OrderedDict()
        self.lookups = 0  # database look-ups made: what the cache saves is measured by tests

    async def is_ended(self, session_id: str) -> bool:
        if session_id in self._ended:
            return True
        checked = self._open.get(session_id)
        if checked is not None and self._monotonic() - checked < self._recheck:
            return False
        self.lookups += 1
        async with self._db.connect() as conn:
            ended_at = (
                await conn.execute(select(ended_sessions.c.ended_at).where(ended_sessions.c.session_id == session_id))
            ).scalar()
        if ended_at is not None:
            self._remember_ended(session_id, ended_at)
            return True
        self._open[session_id] = self._monotonic()
        self._open.move_to_end(session_id)
        while len(self._open) > REMEMBERED_OPEN:
            self._open.popitem(last=False)
        return False

    async def record(self, event: SignedOut, uow: UnitOfWork) -> None:
        """The handler of `identity.signed_out`. A sign-out older than the longest token
        lifetime is skipped (a consumer reading identity's history from the start): every
        token of that session has expired already."""
        if event.signed_out_at <= uow.now() - self._lifetime:
            return
        dialect = sqlite if uow.conn.dialect.name == "sqlite" else postgresql
        await uow.conn.execute(
            dialect.insert(ended_sessions)
            .values(
                session_id=event.session_id,
                person_id=event.person_id,
                ended_at=event.signed_out_at,
            )
            .on_conflict_do_nothing(index_elements=[ended_sessions.c.session_id])
        )
        uow.after_commit(lambda: self._remember_ended(event.session_id, event.signed_out_at))

    def _remember_ended(self, session_id: str, ended_at: datetime) -> None:
        self._ended[session_id] = ended_at
        self._open.pop(session_id, None)

    async def prune(self, now: datetime) -> int:
        """Forget sessions whose every token has expired; returns how many rows went."""
        horizon = now - self._lifetime
        for session_id in [s for s, at in self._ended.items() if at < horizon]:
            del self._ended[session_id]
        async with self._db.engine.begin() as conn:
            result = await conn.execute(delete(ended_sessions).where(ended_sessions.c.ended_at < horizon))
        return result.rowcount or 0
