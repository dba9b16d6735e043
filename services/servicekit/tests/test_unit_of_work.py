"""The unit of work against SQLite and PostgreSQL: effects, outbox and inbox commit together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from contracts.envelope import Envelope
from contracts.identity import AccountRegistered
from servicekit.clock import FixedClock
from servicekit.store.db import Database
from servicekit.store.tables import due_jobs, inbox, outbox
from servicekit.store.uow import UnitOfWork, repository

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def registered() -> AccountRegistered:
    return AccountRegistered(account_id="a-1", company_name="ACME", administrator_id="p-1", registered_at=NOW)


async def count(db: Database, table) -> int:
    async with db.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_a_failing_handler_leaves_no_event_no_job_and_no_inbox_record(db):
    cause = Envelope.wrap(registered(), source="test", time=NOW)

    async def crash_before_commit() -> None:
        async with UnitOfWork(db, FixedClock(NOW), "test", cause=cause) as uow:
            await uow.claim_event("group", cause)
            await uow.publish(registered())
            await uow.schedule("job-1", "kind", "a-1", NOW + timedelta(days=1))
            raise RuntimeError("handler crashed before commit")

    with pytest.raises(RuntimeError, match="handler crashed before commit"):
        await crash_before_commit()
    assert (await count(db, outbox), await count(db, inbox), await count(db, due_jobs)) == (0, 0, 0)


async def test_an_event_is_claimed_once_per_group_and_caused_events_keep_the_correlation(db):
    cause = Envelope.wrap(registered(), source="test", time=NOW)
    async with UnitOfWork(db, FixedClock(NOW), "test", cause=cause) as uow:
        assert await uow.claim_event("group", cause)
        produced = await uow.publish(registered())
        await uow.commit()
    async with UnitOfWork(db, FixedClock(NOW), "test", cause=cause) as uow:
        assert not await uow.claim_event("group", cause)
        assert await uow.claim_event("other-group", cause)
    assert (produced.correlationid, produced.causationid) == (cause.correlationid, cause.id)
    assert await count(db, outbox) == 1


async def test_caused_by_gives_each_event_of_one_transaction_its_own_cause_then_restores_it(db):
    first, second = (Envelope.wrap(registered(), source="test", time=NOW) for _ in range(2))
    async with UnitOfWork(db, FixedClock(NOW), "test") as uow:
        with uow.caused_by(first):
            from_first = await uow.publish(registered())
        with uow.caused_by(second):
            assert uow.cause is second
            from_second = await uow.publish(registered())
        assert uow.cause is None
        await uow.commit()
    assert (from_first.causationid, from_first.correlationid) == (first.id, first.correlationid)
    assert (from_second.causationid, from_second.correlationid) == (second.id, second.correlationid)


class Counter:
    """A repository of nothing: it remembers the connection it was made on."""

    def __init__(self, conn) -> None:
        self.conn = conn


class CountingUnitOfWork(UnitOfWork):
    counters = repository(Counter)


async def test_a_unit_of_work_holds_each_repository_once_on_its_own_connection(db):
    async with CountingUnitOfWork(db, FixedClock(NOW), "test") as first:
        held = first.counters
        assert first.counters is held and held.conn is first.conn
    async with CountingUnitOfWork(db, FixedClock(NOW), "test") as second:
        assert second.counters is not held and second.counters.conn is second.conn


async def test_a_read_only_unit_of_work_reads_what_was_committed_without_a_transaction_and_writes_nothing(db):
    """Issue 14: the access check reads outside any transaction (no BEGIN, no COMMIT), beside
    a writer holding its transaction open, and sees what was committed."""
    async with UnitOfWork(db, FixedClock(NOW), "test") as writer:
        await writer.publish(registered())
        async with UnitOfWork(db, FixedClock(NOW), "test", read_only=True) as reader:
            assert (await reader.conn.execute(select(func.count()).select_from(outbox))).scalar_one() == 0
            with pytest.raises(RuntimeError, match="publishes nothing"):
                await reader.publish(registered())
            with pytest.raises(RuntimeError, match="commits nothing"):
                await reader.commit()
        await writer.commit()
    async with UnitOfWork(db, FixedClock(NOW), "test", read_only=True) as reader:
        assert (await reader.conn.execute(select(func.count()).select_from(outbox))).scalar_one() == 1


async def test_a_job_due_at_once_wakes_the_scheduler_after_commit_and_only_then(db):
    """The scheduler fires a job due now without waiting for its next poll (the poll is only
    the safety net, for jobs of other processes and jobs falling due later)."""
    woken: list[str] = []
    async with UnitOfWork(db, FixedClock(NOW), "test", on_due_now=lambda: woken.append("now")) as uow:
        await uow.schedule("later", "kind", "a-1", NOW + timedelta(seconds=1))
        await uow.commit()
    assert woken == []
    async with UnitOfWork(db, FixedClock(NOW), "test", on_due_now=lambda: woken.append("now")) as uow:
        await uow.schedule("due", "kind", "a-1", NOW)
        assert woken == []  # not before the job is committed: the scheduler would not see it
        await uow.commit()
    assert woken == ["now"]
    async with UnitOfWork(db, FixedClock(NOW), "test", on_due_now=lambda: woken.append("rolled back")) as uow:
        await uow.schedule("due-2", "kind", "a-1", NOW - timedelta(days=1))
    assert woken == ["now"]
