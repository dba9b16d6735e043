"""The unit of work against SQLite and PostgreSQL: effects, outbox and inbox commit together."""
from __future__ import annotations

import socket
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import MetaData, func, select

from contracts.envelope import Envelope
from contracts.identity import AccountRegistered
from servicekit.clock import FixedClock
from servicekit.db import Database
from servicekit.tables import due_jobs, inbox, outbox
from servicekit.uow import UnitOfWork

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _postgres_answers() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 5432)) == 0


BACKENDS = ["sqlite"] + (["postgresql"] if _postgres_answers() else [])


@pytest.fixture(params=BACKENDS)
async def db(request, tmp_path):
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path}/kit.db", "kit", (MetaData(),))
    else:
        database = Database("postgresql+asyncpg://postgres@127.0.0.1:5432/test",
                            f"kit_{uuid.uuid4().hex[:8]}", (MetaData(),))
    await database.create_all()
    yield database
    await database.drop_schema()
    await database.dispose()


def registered() -> AccountRegistered:
    return AccountRegistered(account_id="a-1", company_name="ACME", administrator_id="p-1", registered_at=NOW)


async def count(db: Database, table) -> int:
    async with db.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_a_failing_handler_leaves_no_event_no_job_and_no_inbox_record(db):
    cause = Envelope.wrap(registered(), source="test", time=NOW)
    with pytest.raises(RuntimeError):
        async with UnitOfWork(db, FixedClock(NOW), "test", cause=cause) as uow:
            await uow.claim_event("group", cause)
            await uow.publish(registered())
            await uow.schedule("job-1", "kind", "a-1", NOW + timedelta(days=1))
            raise RuntimeError("handler crashed before commit")
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
