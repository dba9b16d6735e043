"""The outbox relay: publishes committed events in commit order and marks them sent.

A crash after a send and before the mark sends the event again on restart; consumers skip
it by event id. The relay never needs Kafka transactions or an idempotent producer.
"""
from __future__ import annotations

import asyncio
import logging

from faststream.kafka import KafkaBroker
from sqlalchemy import func, select, update

from servicekit.clock import Clock
from servicekit.db import Database
from servicekit.loops import drive
from servicekit.tables import outbox

log = logging.getLogger("servicekit.relay")


def kafka_headers(event_id: str, event_type: str) -> dict[str, str]:
    """CloudEvents structured mode; the ce_ headers let tools filter without parsing JSON."""
    return {"content-type": "application/cloudevents+json", "ce_id": event_id, "ce_type": event_type}


class OutboxRelay:
    def __init__(self, db: Database, broker: KafkaBroker, clock: Clock, *,
                 batch_size: int = 500, poll_seconds: float = 0.5) -> None:
        self._db, self._broker, self._clock = db, broker, clock
        self._batch_size, self._poll_seconds = batch_size, poll_seconds
        self._wake = asyncio.Event()
        # Held while a batch is read, sent and marked: a topic rebuild (outboxops) re-marks
        # rows under it, so a batch in flight can never mark a re-marked row sent again.
        self.lock = asyncio.Lock()
        self.published_total = 0

    def wake(self) -> None:
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished events, oldest first; returns how many."""
        async with self.lock:
            return await self._publish_batch()

    async def _publish_batch(self) -> int:
        async with self._db.connect() as conn:
            rows = (await conn.execute(
                select(outbox.c.seq, outbox.c.event_id, outbox.c.event_type, outbox.c.topic,
                       outbox.c.key, outbox.c.body)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.seq).limit(self._batch_size))).all()
        if not rows:
            return 0
        # Sends are queued in order and awaited together: the producer keeps per-partition
        # order, and one round trip per batch rather than per event keeps the relay fast.
        pending = [
            await self._broker.publish(row.body, topic=row.topic, key=row.key.encode(),
                                       headers=kafka_headers(row.event_id, row.event_type),
                                       no_confirm=True)
            for row in rows
        ]
        await asyncio.gather(*pending)
        async with self._db.engine.begin() as conn:
            await conn.execute(update(outbox).where(outbox.c.seq.in_([r.seq for r in rows]))
                               .values(published_at=self._clock.now()))
        self.published_total += len(rows)
        return len(rows)

    async def backlog(self) -> int:
        async with self._db.connect() as conn:
            return (await conn.execute(select(func.count()).select_from(outbox)
                                       .where(outbox.c.published_at.is_(None)))).scalar_one()

    async def run(self) -> None:
        await drive(self.publish_pending, self._wake, poll_seconds=self._poll_seconds, log=log,
                    what="publishing the outbox")
