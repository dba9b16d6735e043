"""Two transactions that lock rows in opposite orders: PostgreSQL aborts one, and it runs again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, update

from servicekit.store.conflicts import retrying_conflicts
from servicekit.store.tables import due_jobs

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def add_jobs(db, *job_ids: str) -> None:
    async with db.engine.begin() as conn:
        for job_id in job_ids:
            await conn.execute(insert(due_jobs).values(job_id=job_id, kind="k", subject="s", due_at=NOW, payload="{}"))


async def test_a_deadlocked_transaction_runs_again_and_both_take_effect(db):
    if db.is_sqlite:
        pytest.skip("one writer at a time: SQLite cannot deadlock")
    await add_jobs(db, "a", "b")
    first_locks_taken = [asyncio.Event(), asyncio.Event()]
    runs: list[str] = []

    def mark_in_order(name: str, first: str, second: str, mine: asyncio.Event, theirs: asyncio.Event):
        async def work() -> None:
            runs.append(name)
            async with db.engine.begin() as conn:
                await conn.execute(update(due_jobs).where(due_jobs.c.job_id == first).values(kind=name))
                mine.set()
                await theirs.wait()  # both hold their first row: the second lock closes the cycle
                await conn.execute(update(due_jobs).where(due_jobs.c.job_id == second).values(subject=name))

        return work

    await asyncio.gather(
        retrying_conflicts(mark_in_order("one", "a", "b", *first_locks_taken), "one"),
        retrying_conflicts(mark_in_order("two", "b", "a", *reversed(first_locks_taken)), "two"),
    )

    assert len(runs) == 3  # one of them was aborted once and ran again
    async with db.connect() as conn:
        rows = {r.job_id: (r.kind, r.subject) for r in await conn.execute(select(due_jobs))}
    loser = runs[-1]
    assert rows[{"one": "b", "two": "a"}[loser]][1] == loser  # the rerun's second write is there


async def test_an_error_that_is_not_a_conflict_is_not_retried():
    attempts = []

    async def fails() -> None:
        attempts.append(1)
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        await retrying_conflicts(fails, "work")
    assert attempts == [1]
