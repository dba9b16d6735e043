"""The outbox relay: publishes committed events in seq order and marks them sent.

A crash after a send and before the mark sends the event again on restart; consumers skip
it by event id. The relay never needs Kafka transactions or an idempotent producer.
Replicas of a service each run a relay, but only the one holding the database's lock
publishes (`leader.py`); on PostgreSQL it also waits briefly at a hole in seq
(`outboxgaps.py`).
"""

from __future__ import annotations

import asyncio
import logging

from faststream.kafka import KafkaBroker
from sqlalchemy import func, select, update

from servicekit.clock import Clock
from servicekit.loops import drive
from servicekit.messaging.leader import AdvisoryLease, SoleRelay
from servicekit.messaging.outboxgaps import GapGuard
from servicekit.store.db import Database
from servicekit.store.tables import outbox

log = logging.getLogger("servicekit.messaging.relay")


def kafka_headers(event_id: str, event_type: str) -> dict[str, str]:
    """CloudEvents structured mode; the ce_ headers let tools filter without parsing JSON."""
    return {"content-type": "application/cloudevents+json", "ce_id": event_id, "ce_type": event_type}


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        broker: KafkaBroker,
        clock: Clock,
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
        leadership: SoleRelay | AdvisoryLease | None = None,
        gap_grace_seconds: float = 0.0,
    ) -> None:
        self._db, self._broker, self._clock = db, broker, clock
        self._batch_size, self._poll_seconds = batch_size, poll_seconds
        self._leadership = leadership or SoleRelay()
        self._gaps = GapGuard(gap_grace_seconds)
        self._wake = asyncio.Event()
        # Held while a batch is read, sent and marked: a topic rebuild (outboxops) re-marks
        # rows under it, so a batch in flight can never mark a re-marked row sent again.
        self.lock = asyncio.Lock()
        self.active = False  # this process holds the right to publish (the lock on PostgreSQL)
        self.published_total = 0

    def wake(self) -> None:
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished events, oldest first; returns how many. A standby
        replica publishes nothing."""
        async with self.lock:
            if not await self._leads():
                return 0
            return await self._publish_batch()

    async def release(self) -> None:
        """Give up the right to publish (at stop), so a standby takes over without waiting."""
        async with self.lock:
            await self._leadership.release()
            self.active = False

    async def _leads(self) -> bool:
        """Checked before every batch: a relay that lost its lock stops before it sends."""
        leading = await self._leadership.holds()
        if leading and not self.active:
            self._gaps.reset()
        self.active = leading
        return leading

    async def _publish_batch(self) -> int:
        async with self._db.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        outbox.c.seq,
                        outbox.c.event_id,
                        outbox.c.event_type,
                        outbox.c.topic,
                        outbox.c.key,
                        outbox.c.body,
                    )
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.seq)
                    .limit(self._batch_size)
                )
            ).all()
        rows = rows[: self._gaps.ready([row.seq for row in rows])]
        if not rows:
            return 0
        # Sends are queued in order and awaited together: the producer keeps per-partition
        # order, and one round trip per batch rather than per event keeps the relay fast.
        pending = [
            await self._broker.publish(
                row.body,
                topic=row.topic,
                key=row.key.encode(),
                headers=kafka_headers(row.event_id, row.event_type),
                no_confirm=True,
            )
            for row in rows
        ]
        await asyncio.gather(*pending)
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(outbox).where(outbox.c.seq.in_([r.seq for r in rows])).values(published_at=self._clock.now())
            )
        self._gaps.published([row.seq for row in rows])
        self.published_total += len(rows)
        return len(rows)

    async def backlog(self) -> int:
        async with self._db.connect() as conn:
            return (
                await conn.execute(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None)))
            ).scalar_one()

    async def run(self) -> None:
        await drive(
            self.publish_pending, self._wake, poll_seconds=self._poll_seconds, log=log, what="publishing the outbox"
        )
