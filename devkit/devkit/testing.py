"""One test driver for every service: a service as its consumer and scheduler run it, on its
own database, without a broker.

    driver = await ServiceDriver.start(build(settings, clock=clock))
    published = await driver.deliver(story.purchased(), story.activated())
    assert [e["type"] for e in published] == ["seats.pool_opened"]
    assert driver.dead_letters == []

Events go through the service's real consumer (`EventConsumer.process_batch`, as one polled
batch), due jobs through its real scheduler; what the service published is read from its
outbox, and what the consumer dead-lettered is kept here instead of going to a broker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import httpx
from aiokafka import ConsumerRecord
from sqlalchemy import func, select

from contracts.envelope import Envelope, Event
from contracts.registry import model_for, topic_for
from servicekit.http.auth import Caller, issue_token
from servicekit.messaging.consumer import EventConsumer
from servicekit.runtime import ServiceRuntime
from servicekit.store.tables import due_jobs, outbox
from servicekit.store.uow import UnitOfWork

U = TypeVar("U", bound=UnitOfWork)


@dataclass(frozen=True)
class DeadLetter:
    """What a consumer sent to its dead-letter topic: the event type, why, and the error."""

    topic: str
    type: str
    reason: str
    error: str
    body: bytes


class ServiceDriver(Generic[U]):
    """Drives one service's runtime; `start` migrates its database first."""

    def __init__(self, runtime: ServiceRuntime[U]) -> None:
        self.runtime = runtime
        self.dead_letters: list[DeadLetter] = []
        self._offset = 0
        # No broker here: the consumer's dead letters are kept instead (publish's overloads differ).
        runtime.broker.publish = self._keep_dead_letter  # type: ignore[method-assign,assignment]

    @classmethod
    async def start(cls, runtime: ServiceRuntime[U]) -> ServiceDriver[U]:
        await runtime.migrate()
        return cls(runtime)

    async def close(self) -> None:
        await self.runtime.db.dispose()

    @property
    def app(self) -> Any:
        return self.runtime.app

    def uow(self) -> U:
        """A unit of work of the service's own (its repositories: `driver.uow().pools`)."""
        return self.runtime.uow()

    # -- what goes in --------------------------------------------------------------------

    async def deliver(self, *events: Event | Envelope, source: str | None = None) -> list[dict]:
        """Consumes the events as one polled batch (each wrapped as its owner publishes it,
        unless already an envelope); returns what that published."""
        envelopes = [
            e
            if isinstance(e, Envelope)
            else Envelope.wrap(e, source=source or topic_for(e).owner, time=self.runtime.clock.now())
            for e in events
        ]
        before = await self._last_seq()
        by_consumer: dict[int, list[ConsumerRecord]] = {}
        for envelope in envelopes:
            index = self._consumer_of(envelope.type)
            by_consumer.setdefault(index, []).append(self.record(envelope))
        for index, records in by_consumer.items():
            await self.runtime.consumers[index].process_batch(records)
        return await self.published(after=before)

    async def deliver_records(self, records: list[ConsumerRecord], consumer: int = 0) -> None:
        """Raw records, as a broker would hand them over (unreadable ones included)."""
        await self.runtime.consumers[consumer].process_batch(records)

    async def fire_due(self) -> list[dict]:
        """Runs the jobs due by the service's clock; returns what they published."""
        before = await self._last_seq()
        await self.runtime.scheduler.fire_due()
        return await self.published(after=before)

    # -- what comes out ------------------------------------------------------------------

    async def published(self, event_type: str | None = None, *, after: int = 0) -> list[dict]:
        """The envelopes in the outbox, oldest first (of one type if given; past seq `after`)."""
        async with self.runtime.db.connect() as conn:
            rows = await conn.execute(select(outbox.c.body).where(outbox.c.seq > after).order_by(outbox.c.seq))
            bodies = [json.loads(body) for (body,) in rows]
        return [b for b in bodies if event_type is None or b["type"] == event_type]

    async def pending_jobs(self) -> list[tuple[str, datetime]]:
        """(job id, due at) of every job not done yet."""
        async with self.runtime.db.connect() as conn:
            rows = await conn.execute(
                select(due_jobs.c.job_id, due_jobs.c.due_at)
                .where(due_jobs.c.done_at.is_(None))
                .order_by(due_jobs.c.due_at)
            )
            return [(job_id, due_at) for job_id, due_at in rows]

    @property
    def dead_letter_reasons(self) -> list[str]:
        return [d.reason for d in self.dead_letters]

    # -- HTTP ----------------------------------------------------------------------------

    def client(self, caller: Caller | None = None, **headers: str) -> httpx.AsyncClient:
        """An HTTP client on the service's app, signed in as `caller` if given."""
        if caller is not None:
            headers["Authorization"] = f"Bearer {self.token(caller)}"
        if self.runtime.app is None:  # the service's app factory makes it (servicekit.app.service_app)
            raise RuntimeError(f"{self.runtime.name}: the runtime has no HTTP app")
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.runtime.app), base_url=f"http://{self.runtime.name}", headers=headers
        )

    def token(self, caller: Caller) -> str:
        return issue_token(
            self.runtime.settings.token_secret,
            caller,
            self.runtime.clock.now(),
            timedelta(seconds=self.runtime.settings.token_ttl_seconds),
        )

    # -- plumbing ------------------------------------------------------------------------

    def record(self, envelope: Envelope, topic: str | None = None) -> ConsumerRecord:
        """The envelope as the broker hands it to a consumer, at the next offset."""
        self._offset += 1
        body = envelope.to_json()
        if topic is None:
            model = model_for(envelope.type)
            topic = topic_for(model).name if model else "unknown"
        return ConsumerRecord(
            topic=topic,
            partition=0,
            offset=self._offset,
            timestamp=0,
            timestamp_type=0,
            key=envelope.subject.encode(),
            value=body,
            checksum=None,
            serialized_key_size=len(envelope.subject),
            serialized_value_size=len(body),
            headers=[],
        )

    def _consumer_of(self, event_type: str) -> int:
        consumers: list[EventConsumer] = self.runtime.consumers
        for index, consumer in enumerate(consumers):
            if consumer.handles(event_type):
                return index
        return 0  # nobody handles it: the first group skips it, as it would on the broker

    async def _last_seq(self) -> int:
        async with self.runtime.db.connect() as conn:
            return (await conn.execute(select(func.coalesce(func.max(outbox.c.seq), 0)))).scalar_one()

    async def _keep_dead_letter(
        self, body: bytes, *, topic: str, key: bytes | None = None, headers: dict[str, str] | None = None, **_: Any
    ) -> None:
        headers = headers or {}
        try:
            event_type = json.loads(body).get("type", "")
        except (ValueError, AttributeError):
            event_type = ""
        self.dead_letters.append(
            DeadLetter(topic, event_type, headers.get("dlq.reason", ""), headers.get("dlq.error", ""), body)
        )
