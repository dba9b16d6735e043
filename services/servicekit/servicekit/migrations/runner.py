"""Bring a service's database to the code's revisions, or refuse to start when it is not there.

Both histories run in one transaction, so a failed revision leaves the database as it was
(PostgreSQL and SQLite both roll DDL back). On PostgreSQL an advisory lock per schema
makes a second process of the same service wait rather than migrate alongside.
"""

from __future__ import annotations

import logging

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from servicekit.migrations.histories import History
from servicekit.store.db import Database


def _revisions_only(record: logging.LogRecord) -> bool:
    """Every start-up would log Alembic's "Context impl" chatter; the revisions run are news."""
    return record.getMessage().startswith("Running ")


logging.getLogger("alembic.runtime.migration").addFilter(_revisions_only)
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


class SchemaNotReady(RuntimeError):
    """The database is not at the revisions this code needs; the message says what to do."""


async def migrate(
    db: Database, histories: tuple[History, ...], *, check_only: bool = False, adopt: bool = False
) -> None:
    schema, service = (None if db.is_sqlite else db.schema), histories[-1].name
    if missing := [str(h.versions) for h in histories if not h.versions.is_dir()]:
        raise SchemaNotReady(
            f"no migrations for {service} in {', '.join(missing)}: write the first "
            f"with `make migration SERVICE={service} MESSAGE=...`"
        )
    async with db.engine.begin() as conn:
        if schema:
            await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:schema))"), {"schema": schema})
            if not check_only:
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        step = _check_at_head if check_only else _upgrade
        for history in histories:
            await conn.run_sync(step, history, schema, service, adopt)


def _upgrade(connection: Connection, history: History, schema: str | None, service: str, adopt: bool) -> None:
    config = history.config(connection, schema)
    if not history.current(connection, schema) and history.tables_present(connection):
        if not adopt:
            raise SchemaNotReady(created_before_migrations(history, service))
        command.stamp(config, history.first_revision())
    command.upgrade(config, "head")
    if adopt and (found := differences(connection, history)):
        raise SchemaNotReady(
            f"cannot adopt the {history.name} tables: after upgrading they still "
            f"differ from the code ({found}); nothing was changed"
        )


def _check_at_head(connection: Connection, history: History, schema: str | None, service: str, _adopt: bool) -> None:
    current, heads = history.current(connection, schema), history.heads()
    if current != heads:
        raise SchemaNotReady(
            f"the {service} database is at revision {_names(current)} of the {history.name} migrations, this "
            f"code needs {_names(heads)}; MIGRATE_ON_START is off: run `python -m {service} migrate` first"
        )


def differences(connection: Connection, history: History) -> list:
    """What autogenerate would write for this history: empty when the tables match the code."""
    context = MigrationContext.configure(connection, opts={"include_name": history.owns, "compare_type": True})
    # alembic compares a sequence of MetaData as it does target_metadata; its annotation says one
    return compare_metadata(context, list(history.metadata))  # type: ignore[arg-type]


def created_before_migrations(history: History, service: str) -> str:
    return (
        f"the {service} database has {history.name} tables but no {history.version_table} table: it "
        "was created before migrations existed, and migrating it blind could corrupt it. A "
        "development database: `make clean` (or drop its file or schema) and start again. One whose "
        f"data you keep: `python -m {service} migrate --adopt` records it at the first revision, "
        "upgrades it and checks the result against the code, or changes nothing if they differ."
    )


def _names(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "none (empty)"
