"""Schema migrations of every service's database, on SQLite and on PostgreSQL when one answers.

The first test is the one that fails when someone changes a table without writing a
revision: `python -m devkit.revision <service> -m "..."` (make migration).
"""

from __future__ import annotations

import importlib
import logging
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import insert, inspect, select, text

from servicekit.migrations import SchemaNotReady, differences, histories, migrate_database
from servicekit.store.db import Database
from servicekit.store.tables import outbox

SERVICES = ["identity", "subscriptions", "seats", "notifications", "billing", "portal"]
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(params=SERVICES)
def service(request) -> str:
    return request.param


def tables_of(service: str):
    return (importlib.import_module(f"{service}.app").metadata,)


@pytest.fixture
async def db(service, database_target):
    url, schema = database_target
    database = Database(url, schema, tables_of(service))
    yield database
    await database.drop_schema()
    await database.dispose()


async def run(db: Database, step, *args):
    """A synchronous Alembic step on one of the database's connections."""
    async with db.engine.begin() as conn:
        return await conn.run_sync(step, *args)


def schema_of(db: Database) -> str | None:
    return None if db.is_sqlite else db.schema


async def test_from_empty_to_head_the_tables_are_those_of_the_code(service, db):
    await migrate_database(db, service)

    for history in histories(service, tables_of(service)):
        assert await run(db, history.current, schema_of(db)) == history.heads()
        assert await run(db, differences, history) == [], f"{history.name}: a table changed without a revision"


async def test_migrating_a_second_time_runs_no_revision(service, db, caplog):
    await migrate_database(db, service)
    caplog.set_level(logging.INFO, logger="alembic")

    await migrate_database(db, service)

    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("Running")] == []


async def test_the_last_revision_of_each_history_downgrades_and_upgrades_again(service, db):
    await migrate_database(db, service)
    for history in histories(service, tables_of(service)):
        await run(db, lambda conn: command.downgrade(history.config(conn, schema_of(db)), "-1"))
        assert await run(db, history.current, schema_of(db)) != history.heads()

    await migrate_database(db, service)

    for history in histories(service, tables_of(service)):
        assert await run(db, differences, history) == []


async def test_outbox_rows_written_before_the_topic_index_survive_it(database_target):
    url, schema = database_target
    db = Database(url, schema, ())
    kit = histories("servicekit", ())[0]
    try:
        await run(db, lambda conn: _create_schema(conn, db))
        await run(db, lambda conn: command.upgrade(kit.config(conn, schema_of(db)), "0001"))
        await run(db, lambda conn: conn.execute(insert(outbox), [_outbox_row(n) for n in range(3)]))

        await migrate_database(db, "servicekit")

        assert await run(db, _outbox_event_ids) == ["event-0", "event-1", "event-2"]
        assert "outbox_by_topic" in await run(db, _outbox_index_names)
    finally:
        await db.drop_schema()
        await db.dispose()


async def test_a_database_created_before_migrations_is_refused_and_left_as_it_was(service, db):
    await db.create_all()

    with pytest.raises(SchemaNotReady, match=rf"created before migrations.*python -m {service} migrate --adopt"):
        await migrate_database(db, service)

    assert not {"kit_alembic_version", "alembic_version"} & set(await run(db, _table_names))


async def test_adopting_a_database_created_before_migrations_brings_it_to_head(service, db):
    await made_before_migrations(service, db)

    await migrate_database(db, service, adopt=True)

    for history in histories(service, tables_of(service)):
        assert await run(db, history.current, schema_of(db)) == history.heads()
        assert await run(db, differences, history) == []


async def test_adopting_tables_that_differ_from_the_code_changes_nothing(service, db):
    await made_before_migrations(service, db)
    await run(db, lambda conn: conn.execute(text("ALTER TABLE inbox ADD COLUMN stray INTEGER")))

    with pytest.raises(SchemaNotReady, match="cannot adopt the servicekit tables"):
        await migrate_database(db, service, adopt=True)

    assert not {"kit_alembic_version", "alembic_version"} & set(await run(db, _table_names))


async def test_with_migrate_on_start_off_a_database_behind_the_code_is_refused(service, db):
    with pytest.raises(SchemaNotReady, match=rf"MIGRATE_ON_START is off: run `python -m {service} migrate`"):
        await migrate_database(db, service, check_only=True)

    await migrate_database(db, service)
    await migrate_database(db, service, check_only=True)


async def made_before_migrations(service: str, db: Database) -> None:
    """A database as create_all made it before migrations existed: the tables of every
    history's first revision (what `--adopt` stamps it at), and no version tables."""
    await run(db, lambda conn: _create_schema(conn, db))
    for history in histories(service, tables_of(service)):
        await run(db, lambda conn: command.upgrade(history.config(conn, schema_of(db)), history.first_revision()))
    for version_table in ("kit_alembic_version", "alembic_version"):
        await run(db, lambda conn: conn.execute(text(f'DROP TABLE "{version_table}"')))


def _table_names(conn) -> list[str]:
    return inspect(conn).get_table_names()


def _outbox_event_ids(conn) -> list[str]:
    return conn.execute(select(outbox.c.event_id).order_by(outbox.c.seq)).scalars().all()


def _outbox_index_names(conn) -> set[str]:
    return {index["name"] for index in inspect(conn).get_indexes("outbox")}


def _create_schema(conn, db: Database) -> None:
    if not db.is_sqlite:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))


def _outbox_row(n: int) -> dict:
    return {
        "event_id": f"event-{n}",
        "event_type": "seats.unlocked",
        "topic": "seats.events.v1",
        "key": "sub-1",
        "body": b"{}",
        "created_at": NOW,
    }


async def test_a_service_without_migrations_is_told_how_to_write_the_first(database_target):
    url, schema = database_target
    db = Database(url, schema, ())
    try:
        with pytest.raises(SchemaNotReady, match=r"no migrations for contracts.*make migration SERVICE=contracts"):
            await migrate_database(db, "contracts")
    finally:
        await db.dispose()
