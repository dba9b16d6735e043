"""The seats service as its consumer and scheduler run it, on SQLite, without a broker."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import select

from contracts.envelope import Envelope, Event
from contracts.topics import SUBSCRIPTIONS_EVENTS
from seats.app import build
from seats.domain import SeatPool
from seats.settings import SeatsSettings
from seats.store import SeatPoolRepository
from servicekit.clock import FixedClock
from servicekit.store.tables import due_jobs, outbox
from servicekit.migrations import migrate_database

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


class SeatsService:
    """Delivers subscription events through the real consumer, fires due jobs through the real
    scheduler, and reads back pools, published events, pending jobs and dead letters."""

    def __init__(self, runtime, clock: FixedClock) -> None:
        self.runtime, self.clock = runtime, clock
        self.dead_letters: list[bytes] = []
        self.dead_letter_reasons: list[str] = []
        self._offset = 0

    async def deliver(self, *events: Event) -> list[dict]:
        """Consumes the events as one polled batch; returns what that published."""
        before = len(await self.published())
        records = [self._record(Envelope.wrap(e, source="subscriptions", time=self.clock.now())) for e in events]
        await self.runtime.consumers[0].process_batch(records)
        return (await self.published())[before:]

    async def fire_due(self) -> list[dict]:
        before = len(await self.published())
        await self.runtime.scheduler.fire_due()
        return (await self.published())[before:]

    async def pool(self, subscription_id: str) -> SeatPool | None:
        async with self.runtime.db.connect() as conn:
            return await SeatPoolRepository(conn).find(subscription_id)

    async def published(self) -> list[dict]:
        async with self.runtime.db.connect() as conn:
            rows = await conn.execute(select(outbox.c.body).order_by(outbox.c.seq))
            return [json.loads(body) for body, in rows]

    async def pending_jobs(self) -> list[tuple[str, datetime]]:
        async with self.runtime.db.connect() as conn:
            rows = await conn.execute(select(due_jobs.c.job_id, due_jobs.c.due_at)
                                      .where(due_jobs.c.done_at.is_(None)))
            return [tuple(r) for r in rows]

    def _record(self, envelope: Envelope) -> ConsumerRecord:
        self._offset += 1
        body = envelope.to_json()
        return ConsumerRecord(topic=SUBSCRIPTIONS_EVENTS.name, partition=0, offset=self._offset,
                              timestamp=0, timestamp_type=0, key=envelope.subject.encode(), value=body,
                              checksum=None, serialized_key_size=len(envelope.subject),
                              serialized_value_size=len(body), headers=[])

    async def _keep_dead_letter(self, body: bytes, **kwargs) -> None:
        self.dead_letters.append(body)
        self.dead_letter_reasons.append((kwargs.get("headers") or {}).get("dlq.reason", ""))


@pytest.fixture
async def seats(tmp_path):
    clock = FixedClock(T0)
    settings = SeatsSettings(database_url=f"sqlite:///{tmp_path}/seats.db", consumer_max_attempts=1,
                             consumer_backoff_seconds=0.001)
    runtime = build(settings, clock=clock)
    service = SeatsService(runtime, clock)
    runtime.broker.publish = service._keep_dead_letter  # only dead letters go to the broker here
    await migrate_database(runtime.db, "seats")
    yield service
    await runtime.db.dispose()
