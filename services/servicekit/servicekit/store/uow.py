"""Unit of work: one database transaction holding a handler's whole effect.

State changes, the events they cause (outbox), the record that an incoming event was
processed (inbox) and any due jobs commit together or not at all.

A service subclasses it to hold its repositories, one per aggregate, each made on first use
on the transaction's connection (as cosmicpython's `with uow: uow.products.get(sku)`):

    class SeatsUnitOfWork(UnitOfWork):
        pools = repository(PoolRepository)
        users = repository(SeatUserRepository)

    async def unlock_seats(event: SubscriptionActivated, uow: SeatsUnitOfWork) -> None:
        pool = await uow.pools.get(event.subscription_id, lock=True)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Generic, Protocol, Self, TypeVar, overload

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.envelope import Envelope, Event
from contracts.registry import topic_for
from servicekit.clock import Clock
from servicekit.logs import current_correlation_id
from servicekit.store.db import Database
from servicekit.store.tables import due_jobs, inbox, outbox

R = TypeVar("R")


class repository(Generic[R]):  # noqa: N801 - used like a field declaration, as `property` is
    """A repository the unit of work holds: `pools = repository(PoolRepository)`. Made once per
    unit of work, from the class given, on the unit of work's connection."""

    def __init__(self, make: Callable[[AsyncConnection], R]) -> None:
        self._make = make
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = f"_repository_{name}"

    @overload
    def __get__(self, uow: None, owner: type) -> repository[R]: ...
    @overload
    def __get__(self, uow: UnitOfWork, owner: type) -> R: ...

    def __get__(self, uow: UnitOfWork | None, owner: type) -> R | repository[R]:
        if uow is None:
            return self
        made: R | None = uow.__dict__.get(self._name)
        if made is None:
            made = uow.__dict__[self._name] = self._make(uow.conn)
        return made


class UnitOfWork:
    conn: AsyncConnection

    def __init__(
        self,
        db: Database,
        clock: Clock,
        source: str,
        *,
        cause: Envelope | None = None,
        correlation_id: str | None = None,
        subject: str | None = None,
        on_commit: Callable[[], None] = lambda: None,
        on_due_now: Callable[[], None] = lambda: None,
        read_only: bool = False,
    ) -> None:
        self._db, self.clock, self._source = db, clock, source
        self.read_only = read_only
        self.cause, self._subject = cause, subject
        # Without a cause or an explicit id, the work's own: the HTTP request's or the due job's.
        self._correlation_id = correlation_id or (cause.correlationid if cause else current_correlation_id())
        self._on_commit, self._on_due_now = on_commit, on_due_now
        self.published: list[Envelope] = []
        self._after_commit: list[Callable[[], None]] = []

    async def __aenter__(self) -> Self:
        if self.read_only:  # reads outside a transaction (`Database.connect_for_reading`)
            self.conn = await self._db.connect_for_reading()
            return self
        self.conn = await self._db.connect().__aenter__()
        await self.conn.begin()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            if self.conn.in_transaction() and not self.read_only:
                await self.conn.rollback()
        finally:
            await self.conn.close()

    async def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work commits nothing")
        await self.conn.commit()
        if self.published:
            self._on_commit()
        for callback in self._after_commit:
            callback()

    @contextlib.contextmanager
    def caused_by(self, cause: Envelope) -> Iterator[None]:
        """Apply one of several events sharing this transaction (a consumed batch): inside,
        `cause` and the correlation of what is published are that event's own."""
        outer = self.cause, self._correlation_id
        self.cause, self._correlation_id = cause, cause.correlationid
        try:
            yield
        finally:
            self.cause, self._correlation_id = outer

    async def continue_story_of_job(self, job_id: str) -> None:
        """Carry on the correlation of the work that scheduled `job_id`: a step that completes
        what an earlier request started (accepting an order) joins that request's trace."""
        found = await self.conn.execute(select(due_jobs.c.correlation_id).where(due_jobs.c.job_id == job_id))
        if (correlation_id := found.scalar()) is not None:
            self._correlation_id = correlation_id

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def now(self) -> datetime:
        """The time of the subscription this work is about (its subject), on a test clock
        that may run it ahead of the rest of the stack."""
        return self.clock.now_for(self._subject or (self.cause.subject if self.cause else None))

    async def publish(self, event: Event, *, event_id: str | None = None) -> Envelope:
        """Queue an event in the outbox; the relay sends it once this transaction commits."""
        if self.read_only:
            raise RuntimeError("a read-only unit of work publishes nothing: it has no transaction")
        envelope = Envelope.wrap(
            event,
            source=self._source,
            time=self.now(),
            event_id=event_id,
            correlation_id=self._correlation_id,
            causation_id=self.cause.id if self.cause else None,
        )
        if self._correlation_id is None:
            self._correlation_id = envelope.correlationid
        await self.conn.execute(
            insert(outbox).values(
                event_id=envelope.id,
                event_type=envelope.type,
                topic=topic_for(event).name,
                key=envelope.subject,
                body=envelope.to_json(),
                created_at=self.now(),
            )
        )
        self.published.append(envelope)
        return envelope

    async def schedule(
        self, job_id: str, kind: str, subject: str, due_at: datetime, payload: dict | None = None
    ) -> None:
        """Add a due job, or move it if one with this id is still pending. One due already is
        fired once this commits, not at the scheduler's next poll."""
        if due_at <= self.now():
            self.after_commit(self._on_due_now)
        found = await self.conn.execute(select(due_jobs.c.done_at).where(due_jobs.c.job_id == job_id))
        row = found.first()
        if row is None:
            await self.conn.execute(
                insert(due_jobs).values(
                    job_id=job_id,
                    kind=kind,
                    subject=subject,
                    due_at=due_at,
                    payload=json.dumps(payload or {}),
                    correlation_id=self._correlation_id,
                )
            )
        elif row.done_at is None:
            await self.conn.execute(
                update(due_jobs)
                .where(due_jobs.c.job_id == job_id)
                .values(due_at=due_at, payload=json.dumps(payload or {}))
            )

    async def cancel_job(self, job_id: str) -> None:
        await self.conn.execute(
            update(due_jobs).where(due_jobs.c.job_id == job_id, due_jobs.c.done_at.is_(None)).values(done_at=self.now())
        )

    async def claim_event(self, consumer_group: str, envelope: Envelope) -> bool:
        """Record that this group processes this event; False if it already did (a redelivery)."""
        seen = await self.conn.execute(
            select(inbox.c.event_id).where(inbox.c.consumer_group == consumer_group, inbox.c.event_id == envelope.id)
        )
        if seen.first() is not None:
            return False
        await self.conn.execute(
            insert(inbox).values(
                consumer_group=consumer_group, event_id=envelope.id, event_type=envelope.type, processed_at=self.now()
            )
        )
        return True


class UnitsOfWork(Protocol):
    """What makes a unit of work (`ServiceRuntime.uow`): the consumer, the scheduler and the
    command runner are given this, never the whole runtime."""

    def __call__(
        self, cause: Envelope | None = None, correlation_id: str | None = None, subject: str | None = None
    ) -> UnitOfWork: ...
