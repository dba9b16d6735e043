"""How often something may be done: fixed-window counters in the service's own database.

A `RateLimit` says "at most `limit` per `window`" for one kind of action (failed sign-ins per
client address, e-mails an account sends, ...), counted per key (the address, the account).
The counts live in the `rate_counters` kit table, so every replica of a service counts
against the same limit and a restart forgets nothing. Counting happens in the caller's
transaction: an action that rolls back is not counted.

A fixed window lets a burst of twice the limit straddle a window boundary; for limits meant
to slow down guessing or bulk mail that is good enough, and it costs one upsert per action.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.errors import TooManyRequests
from servicekit.store.tables import rate_counters

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LONGEST_WINDOW = timedelta(days=1)
# Windows are kept this long after they start, then `prune` forgets them.
KEPT = 2 * LONGEST_WINDOW


@dataclass(frozen=True)
class RateLimit:
    name: str  # what is limited, e.g. "sign_in_failures_per_client"; names the counters
    limit: int  # at most this many...
    window: timedelta  # ...in each window of this length
    message: str  # said to the person refused, before "try again in N seconds"
    rule: str | None = None

    def __post_init__(self) -> None:
        if not timedelta(0) < self.window <= LONGEST_WINDOW or self.limit < 1:
            raise ValueError(f"{self.name}: a limit of at least 1 per window of up to a day")

    def window_of(self, now: datetime) -> tuple[datetime, datetime]:
        size = self.window.total_seconds()
        start = EPOCH + timedelta(seconds=math.floor((now - EPOCH).total_seconds() / size) * size)
        return start, start + self.window

    def _bucket(self, key: str) -> str:
        return f"{self.name}:{key}"[:255]

    async def used(self, conn: AsyncConnection, key: str, now: datetime) -> int:
        start, _ = self.window_of(now)
        found = await conn.execute(
            select(rate_counters.c.count).where(
                rate_counters.c.bucket == self._bucket(key), rate_counters.c.window_start == start
            )
        )
        return found.scalar() or 0

    async def check(self, conn: AsyncConnection, key: str, now: datetime, amount: int = 1) -> None:
        """Refuse (TooManyRequests) if `amount` more would pass the limit; counts nothing."""
        if await self.used(conn, key, now) + amount > self.limit:
            self._refuse(now)

    async def record(self, conn: AsyncConnection, key: str, now: datetime, amount: int = 1) -> int:
        """Count `amount` more in the current window; returns the window's count."""
        start, _ = self.window_of(now)
        dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
        upsert = dialect.insert(rate_counters).values(bucket=self._bucket(key), window_start=start, count=amount)
        upsert = upsert.on_conflict_do_update(
            index_elements=[rate_counters.c.bucket, rate_counters.c.window_start],
            set_={"count": rate_counters.c.count + amount},
        ).returning(rate_counters.c.count)
        return (await conn.execute(upsert)).scalar_one()

    async def take(self, conn: AsyncConnection, key: str, now: datetime, amount: int = 1) -> None:
        """Count `amount` more, or refuse (TooManyRequests) if that passes the limit. The
        count is the caller's to commit; a refusal leaves the caller's transaction to roll
        back, so a refused action is not counted."""
        if await self.record(conn, key, now, amount) > self.limit:
            self._refuse(now)

    def retry_after(self, now: datetime) -> int:
        _, end = self.window_of(now)
        return max(1, math.ceil((end - now).total_seconds()))

    def _refuse(self, now: datetime) -> None:
        wait = self.retry_after(now)
        raise TooManyRequests(
            f"{self.name}_exceeded", f"{self.message} Try again in {wait} seconds.", wait, rule=self.rule
        )


async def prune(conn: AsyncConnection, now: datetime) -> int:
    """Forget windows that ended long ago; returns how many rows went."""
    result = await conn.execute(delete(rate_counters).where(rate_counters.c.window_start < now - KEPT))
    return result.rowcount or 0
