"""The session store on SQLite and PostgreSQL, and the portal's migrations: from empty to the
code's tables, idempotent, and the last revision reversible."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from alembic import command

from contracts.testing import T0
from portal.app import build, metadata
from portal.settings import PortalSettings
from portal.store.sessions import PortalSession
from servicekit.clock import FixedClock
from servicekit.migrations import differences, histories, migrate_database
from servicekit.runtime import ServiceRuntime
from servicekit.store.db import Database


@pytest.fixture
async def runtime(database_target) -> AsyncIterator[ServiceRuntime]:
    url, schema = database_target
    built = build(PortalSettings(database_url=url, db_schema=schema, var_dir="var"), clock=FixedClock(T0))
    await built.migrate()
    yield built
    if not built.db.is_sqlite:
        await built.db.drop_schema()
    await built.upstream.aclose()
    await built.db.dispose()


def a_session(sid: str = "s" * 43, expires_in: timedelta = timedelta(hours=1), **fields) -> PortalSession:
    return PortalSession(id=sid, csrf_token="c" * 43, locale="fr", created_at=T0, expires_at=T0 + expires_in, **fields)


async def test_a_session_is_kept_found_changed_and_removed(runtime):
    signed_in = a_session(access_token="header.payload.signature", person_id="p-ada", account_id="a-1")
    async with runtime.uow() as uow:
        await uow.sessions.add(signed_in)
        await uow.sessions.add(a_session("v" * 43))
        await uow.commit()

    async with runtime.uow() as uow:
        found = await uow.sessions.get(signed_in.id, T0)
        await uow.sessions.set_locale(signed_in.id, "nl")
        await uow.sessions.remove("v" * 43)
        await uow.commit()
    assert found == signed_in and found.signed_in
    assert "header.payload" not in repr(found) and signed_in.id not in repr(found)

    async with runtime.uow() as uow:
        changed = await uow.sessions.get(signed_in.id, T0)
        removed = await uow.sessions.get("v" * 43, T0)
    assert changed is not None and changed.locale == "nl" and changed.expires_at == T0 + timedelta(hours=1)
    assert removed is None


async def test_an_expired_session_is_not_found_and_is_pruned(runtime):
    async with runtime.uow() as uow:
        await uow.sessions.add(a_session("o" * 43, expires_in=timedelta(minutes=5)))
        await uow.sessions.add(a_session("n" * 43, expires_in=timedelta(hours=2)))
        await uow.commit()
    later = T0 + timedelta(minutes=5)

    async with runtime.uow() as uow:
        assert await uow.sessions.get("o" * 43, later) is None
        assert await uow.sessions.get("n" * 43, later) is not None
        pruned = await uow.sessions.prune(later)
        await uow.commit()

    assert pruned == 1
    async with runtime.uow() as uow:
        assert await uow.sessions.get("n" * 43, later) is not None


async def test_housekeeping_forgets_expired_sessions(runtime):
    async with runtime.uow() as uow:
        await uow.sessions.add(a_session("o" * 43, expires_in=timedelta(0)))
        await uow.commit()
    await runtime.housekeeping()
    async with runtime.uow() as uow:
        assert await uow.sessions.prune(T0) == 0


@pytest.fixture
async def db(database_target) -> AsyncIterator[Database]:
    url, schema = database_target
    database = Database(url, schema, (metadata,))
    yield database
    await database.drop_schema()
    await database.dispose()


async def run(db: Database, step, *args):
    async with db.engine.begin() as conn:
        return await conn.run_sync(step, *args)


async def test_migrations_make_the_tables_of_the_code_and_reverse(db):
    await migrate_database(db, "portal")
    schema = None if db.is_sqlite else db.schema
    for history in histories("portal", (metadata,)):
        assert await run(db, history.current, schema) == history.heads()
        assert await run(db, differences, history) == [], f"{history.name}: a table changed without a revision"

    await migrate_database(db, "portal")  # a second time: nothing to do
    portal_history = histories("portal", (metadata,))[-1]
    await run(db, lambda conn: command.downgrade(portal_history.config(conn, schema), "-1"))
    assert await run(db, portal_history.current, schema) != portal_history.heads()
    await migrate_database(db, "portal")
    assert await run(db, differences, portal_history) == []
