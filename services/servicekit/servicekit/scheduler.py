"""Durable due jobs: term ends, activation deadlines, scheduled seat decreases.

Jobs are rows written in the same transaction as the change that schedules them; a loop
fires every job whose time has come on the injected clock, oldest first, each in its own
transaction that also marks it done. Moving a test clock forward fires exactly what real
time would have fired, in the same order.

A done job (fired or cancelled) keeps its row for `DONE_JOBS_KEPT` after both its due time and
its end, so that scheduling its id again meanwhile stays a no-op; then housekeeping forgets it
(`Scheduler.forget_done`). A job id must name one occurrence (a term, a month, a look at a
lease): scheduled again once its row is gone, it is a new job and fires.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from servicekit.clock import Clock
from servicekit.logs import bind
from servicekit.loops import drive
from servicekit.metrics import ServiceMetrics
from servicekit.store.conflicts import retrying_conflicts
from servicekit.store.db import Database
from servicekit.store.tables import due_jobs
from servicekit.store.uow import UnitsOfWork

log = logging.getLogger("servicekit.scheduler")
DONE_JOBS_KEPT = timedelta(days=7)
# Rows one housekeeping run deletes at most, in one short transaction; the rest go at later runs.
FORGET_BATCH = 5_000


@dataclass(frozen=True)
class DueJob:
    job_id: str
    kind: str
    subject: str
    due_at: datetime
    payload: dict[str, Any]
    correlation_id: str | None = None  # of the work that scheduled it: what it fires carries it on


JobHandler = Callable[[DueJob, Any], Awaitable[None]]
"""Fires one job, given the unit of work (the service's own kind) its effects commit in."""


class Scheduler:
    def __init__(
        self,
        service: str,
        *,
        db: Database,
        clock: Clock,
        units_of_work: UnitsOfWork,
        metrics: ServiceMetrics,
        poll_seconds: float,
    ) -> None:
        self._service, self._db, self._clock, self._uow = service, db, clock, units_of_work
        self._metrics, self._poll_seconds = metrics, poll_seconds
        self._handlers: dict[str, JobHandler] = {}
        self._wake = asyncio.Event()

    def on(self, kind: str, handler: JobHandler) -> None:
        self._handlers[kind] = handler

    def wake(self) -> None:
        self._wake.set()

    async def fire_due(self) -> int:
        """Fire every job due by now, oldest first, including jobs those jobs schedule."""
        fired = 0
        while (job := await self._next_due()) is not None:
            await self._fire(job)
            fired += 1
        return fired

    async def next_due_at(self, subject: str | None = None) -> datetime | None:
        """When the earliest pending job falls due on the stack's clock, or, given a subject,
        on that subject's own clock. A subject running ahead brings its jobs closer."""
        pending = (due_jobs.c.done_at.is_(None), due_jobs.c.kind.in_(list(self._handlers)))
        leads = self._subject_leads()
        async with self._db.connect() as conn:
            if subject is not None:
                return (
                    await conn.execute(
                        select(func.min(due_jobs.c.due_at)).where(*pending, due_jobs.c.subject == subject)
                    )
                ).scalar()
            soonest = (await conn.execute(select(func.min(due_jobs.c.due_at)).where(*pending))).scalar()
            ahead = (
                (
                    await conn.execute(
                        select(due_jobs.c.subject, func.min(due_jobs.c.due_at))
                        .where(*pending, due_jobs.c.subject.in_(list(leads)))
                        .group_by(due_jobs.c.subject)
                    )
                ).all()
                if leads
                else []
            )
        candidates = [soonest] + [due - timedelta(seconds=leads[subj]) for subj, due in ahead]
        return min((c for c in candidates if c is not None), default=None)

    def _subject_leads(self) -> dict[str, float]:
        """How far ahead of the stack single subjects run (test clock only; empty otherwise)."""
        return getattr(self._clock, "subject_offsets", dict)()

    async def _next_due(self) -> DueJob | None:
        """The oldest job due on its own subject's clock."""
        clock, leads = self._clock, self._subject_leads()
        horizon = clock.now() + timedelta(seconds=max(leads.values(), default=0))
        async with self._db.connect() as conn:
            rows = (
                await conn.execute(
                    select(due_jobs)
                    .where(
                        due_jobs.c.done_at.is_(None),
                        due_jobs.c.due_at <= horizon,
                        due_jobs.c.kind.in_(list(self._handlers)),
                    )
                    .order_by(due_jobs.c.due_at, due_jobs.c.job_id)
                    .limit(1 if not leads else 1000)
                )
            ).all()
        for row in rows:
            if row.due_at <= clock.now_for(row.subject):
                return DueJob(
                    row.job_id, row.kind, row.subject, row.due_at, json.loads(row.payload), row.correlation_id
                )
        return None

    async def _fire(self, job: DueJob) -> None:
        with bind(correlation_id=job.correlation_id, job_id=job.job_id, job_kind=job.kind, subject=job.subject):
            if await retrying_conflicts(lambda: self._claim_and_run(job), f"due job {job.job_id}"):
                self._metrics.jobs_fired.labels(self._service, job.kind).inc()
                log.info("fired %s for %s (due %s)", job.kind, job.subject, job.due_at.isoformat())

    async def _claim_and_run(self, job: DueJob) -> bool:
        """One transaction: the job marked done and its effects, or neither. False: another
        process fired it first."""
        async with self._uow(subject=job.subject, correlation_id=job.correlation_id) as uow:
            claimed = await uow.conn.execute(
                update(due_jobs)
                .where(due_jobs.c.job_id == job.job_id, due_jobs.c.done_at.is_(None))
                .values(done_at=uow.now())
            )
            if claimed.rowcount == 1:
                await self._handlers[job.kind](job, uow)
            await uow.commit()
        return claimed.rowcount == 1

    async def forget_done(self, now: datetime, *, kept: timedelta = DONE_JOBS_KEPT, batch: int = FORGET_BATCH) -> int:
        """Delete up to `batch` done jobs (fired or cancelled) that ended and fell due more than
        `kept` ago; returns how many went. Pending jobs are never touched: not yet due, or being
        fired (the claim that marks one done commits with its effects, so an uncommitted one
        still looks pending here). A cancelled job due later keeps its row until then, so its
        id stays taken while it could still be scheduled again."""
        horizon = now - kept
        doomed = (
            select(due_jobs.c.job_id)
            .where(due_jobs.c.done_at.is_not(None), due_jobs.c.done_at < horizon, due_jobs.c.due_at < horizon)
            .limit(batch)
        )
        async with self._db.engine.begin() as conn:
            result = await conn.execute(delete(due_jobs).where(due_jobs.c.job_id.in_(doomed)))
        return result.rowcount or 0

    async def run(self) -> None:
        # A failing job is retried on later ticks; jobs due after it wait (see docs/architecture.md).
        await drive(self._fire_some, self._wake, poll_seconds=self._poll_seconds, log=log, what="firing due jobs")

    async def _fire_some(self) -> int:
        await self.fire_due()
        return 0  # fire_due already drained everything due; wait for time to move
