"""Housekeeping forgets due jobs done a week ago (issue 14: a lease watch job per lease and hour
would otherwise grow `due_jobs` forever), a bounded batch per round; pending jobs, due or not,
are never touched. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, func, insert, select

from servicekit.clock import FixedClock
from servicekit.migrations import migrate_database
from servicekit.runtime import ServiceRuntime
from servicekit.scheduler import DONE_JOBS_KEPT, DueJob
from servicekit.settings import ServiceSettings
from servicekit.store.tables import due_jobs

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEK = DONE_JOBS_KEPT


@pytest.fixture
async def runtime(database_target):
    url, schema = database_target
    settings = ServiceSettings(service_name="test", database_url=url, db_schema=schema, token_secret="s" * 40)
    runtime = ServiceRuntime(settings, MetaData(), clock=FixedClock(NOW))
    await migrate_database(runtime.db, "servicekit")
    yield runtime
    await runtime.db.drop_schema()
    await runtime.db.dispose()


def job(job_id: str, due_at: datetime, done_at: datetime | None) -> dict:
    return {
        "job_id": job_id,
        "kind": "k",
        "subject": "s-1",
        "due_at": due_at,
        "payload": "{}",
        "correlation_id": None,
        "done_at": done_at,
    }


async def add(runtime: ServiceRuntime, *jobs: dict) -> None:
    async with runtime.db.engine.begin() as conn:
        await conn.execute(insert(due_jobs), list(jobs))


async def job_ids(runtime: ServiceRuntime) -> list[str]:
    async with runtime.db.connect() as conn:
        return list((await conn.execute(select(due_jobs.c.job_id).order_by(due_jobs.c.job_id))).scalars())


async def test_housekeeping_forgets_jobs_done_more_than_a_week_ago_and_never_a_pending_one(runtime):
    long_ago = NOW - WEEK - timedelta(seconds=1)
    await add(
        runtime,
        job("fired-long-ago", long_ago - timedelta(hours=1), long_ago),
        job("cancelled-long-ago", long_ago, long_ago),
        job("fired-six-days-ago", NOW - timedelta(days=6), NOW - timedelta(days=6)),
        job("fired-a-week-ago-to-the-second", NOW - WEEK, NOW - WEEK),  # not *more* than a week
        # Cancelled long ago but due only later: its id stays taken until then and a week more.
        job("cancelled-long-ago-due-soon", NOW + timedelta(days=1), long_ago),
        job("cancelled-long-ago-due-five-days-ago", NOW - timedelta(days=5), long_ago),
        # Pending: overdue (a failing job retried, or one being fired) or not yet due.
        job("overdue-for-a-month", NOW - timedelta(days=30), None),
        job("due-next-week", NOW + WEEK, None),
    )
    await runtime.housekeeping()
    assert await job_ids(runtime) == [
        "cancelled-long-ago-due-five-days-ago",
        "cancelled-long-ago-due-soon",
        "due-next-week",
        "fired-a-week-ago-to-the-second",
        "fired-six-days-ago",
        "overdue-for-a-month",
    ]


async def test_each_round_forgets_a_bounded_batch_the_rest_at_later_rounds(runtime):
    old = NOW - timedelta(days=30)
    await add(runtime, *(job(f"done-{i:02}", old, old) for i in range(7)), job("pending", old, None))
    assert await runtime.scheduler.forget_done(NOW, batch=3) == 3
    assert len(await job_ids(runtime)) == 5
    assert await runtime.scheduler.forget_done(NOW, batch=3) == 3
    assert await runtime.scheduler.forget_done(NOW, batch=3) == 1
    assert await runtime.scheduler.forget_done(NOW, batch=3) == 0
    assert await job_ids(runtime) == ["pending"]


async def test_a_fired_job_is_forgotten_a_week_later_and_its_id_is_not_scheduled_again_meanwhile(runtime):
    fired: list[str] = []

    async def handler(due: DueJob, _uow) -> None:
        fired.append(due.job_id)

    runtime.scheduler.on("k", handler)
    async with runtime.uow() as uow:
        await uow.schedule("k:1", "k", "s-1", NOW + timedelta(hours=1))
        await uow.commit()
    runtime.clock.advance(timedelta(hours=1))
    assert await runtime.scheduler.fire_due() == 1
    runtime.clock.advance(timedelta(days=6))
    await runtime.housekeeping()
    async with runtime.uow() as uow:  # e.g. an event replayed: the done job stays done
        await uow.schedule("k:1", "k", "s-1", NOW + timedelta(hours=1))
        await uow.commit()
    assert await runtime.scheduler.fire_due() == 0
    runtime.clock.advance(timedelta(days=1, seconds=1))
    await runtime.housekeeping()
    assert await job_ids(runtime) == []
    assert fired == ["k:1"]


async def test_a_service_adds_its_own_chore_which_commits_in_its_own_unit_of_work(runtime):
    async def forget_everything_pending(uow) -> None:
        await uow.conn.execute(due_jobs.delete().where(due_jobs.c.done_at.is_(None)))

    runtime.add_housekeeping(forget_everything_pending)
    await add(runtime, job("pending", NOW, None))
    await runtime.housekeeping()
    async with runtime.db.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(due_jobs))).scalar() == 0
