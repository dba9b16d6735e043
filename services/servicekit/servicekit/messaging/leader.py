"""Which replica of a service publishes its outbox: one at a time per service database.

On PostgreSQL the active relay holds a session-level advisory lock on a connection of its
own. The lock lives exactly as long as that session: a process that dies, or whose
connection the server or the network drops, loses it, and a standby's next try takes it.
No clock is involved (the service's may be a frozen test clock): the holder checks its
session each round, and a standby tries again every `poll_seconds` of the event loop's
monotonic time.

SQLite is one process's file: several processes on one file are not a deployment we
support, so there the relay always publishes, as before.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.store.db import Database

log = logging.getLogger("servicekit.messaging.leader")

# A session that does not answer within this is treated as lost: stop publishing first,
# find out later. The server keeps the lock until it notices the session is gone, so a
# wrong guess costs a pause, never two relays.
CHECK_TIMEOUT_SECONDS = 5.0


def lock_key(schema: str) -> int:
    """A signed 64-bit key for pg_try_advisory_lock; advisory locks are per database, and
    each service's schema in it gets its own key."""
    digest = hashlib.sha256(f"entitle.outbox-relay:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class SoleRelay:
    """SQLite: this process is the only one on its file, so it always publishes."""

    async def holds(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class AdvisoryLease:
    """PostgreSQL: the right to publish is a session advisory lock on a dedicated connection."""

    def __init__(self, db: Database, *, poll_seconds: float) -> None:
        self._db, self._poll_seconds = db, poll_seconds
        self.key = lock_key(db.schema)
        self._conn: AsyncConnection | None = None
        self._next_try = 0.0  # event-loop time of the next attempt while standing by
        self._standing_by = False

    async def holds(self) -> bool:
        """True while this process holds the lock; checks the session first, and tries to
        take the lock when it is time to."""
        now = asyncio.get_running_loop().time()
        if self._conn is not None:
            if await self._session_answers(self._conn):
                return True
            await self._drop()
            # Whatever ended the session may not be over: a standby, which tries every poll,
            # gets the first chance to take over.
            self._next_try = now + 2 * self._poll_seconds
        if now < self._next_try:
            return False
        self._next_try = now + self._poll_seconds
        return await self._try_acquire()

    async def release(self) -> None:
        """Closing the session releases the lock; a standby takes it on its next try."""
        if self._conn is not None:
            await self._drop()
            log.info("outbox relay of schema %s released its lock", self._db.schema)

    async def _session_answers(self, conn: AsyncConnection) -> bool:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):  # not wait_for: see servicekit.loops
                await conn.execute(text("SELECT 1"))
            return True
        except Exception as error:  # noqa: BLE001 - any failure means the lock may be gone
            log.warning(
                "outbox relay of schema %s lost its lock (%s: %s); standing by",
                self._db.schema,
                type(error).__name__,
                error,
            )
            return False

    async def _try_acquire(self) -> bool:
        conn = None
        try:
            conn = await self._db.engine.connect()
            # Autocommit: the session holds the lock, not a transaction, so it never sits
            # idle in a transaction.
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            taken = (await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})).scalar()
        except Exception as error:  # noqa: BLE001 - the database is away: try again later
            log.warning(
                "outbox relay of schema %s could not ask for its lock (%s: %s)",
                self._db.schema,
                type(error).__name__,
                error,
            )
            await _discard(conn)
            return False
        if not taken:
            await conn.close()  # back to the pool: this session holds no lock
            self._note_standing_by()
            return False
        self._conn, self._standing_by = conn, False
        log.info("outbox relay of schema %s took its lock: this process publishes", self._db.schema)
        return True

    def _note_standing_by(self) -> None:
        if not self._standing_by:
            log.info("outbox relay of schema %s stands by: another process holds its lock", self._db.schema)
        self._standing_by = True

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        await _discard(conn)


async def _discard(conn: AsyncConnection | None) -> None:
    """Invalidate rather than return it to the pool: a pooled session would keep the lock."""
    if conn is None:
        return
    try:
        await conn.invalidate()
        await conn.close()
    except Exception:  # noqa: BLE001 - a broken connection is closed either way
        pass


def leadership_for(db: Database, *, poll_seconds: float) -> SoleRelay | AdvisoryLease:
    return SoleRelay() if db.is_sqlite else AdvisoryLease(db, poll_seconds=poll_seconds)
