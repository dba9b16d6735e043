"""History: rows as N past subscriptions would have left them, written straight into every
service's tables, so the bench can show whether any cost grows with history.

The rows are synthetic but shaped by each table's own columns (so the seeder keeps up with
schema changes): unique keys, published outbox rows, finished due jobs, dates in the past.
"""

from __future__ import annotations

import asyncio
import importlib
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Boolean, Integer, LargeBinary, String, Table, Text

from devkit.devstack import SERVICES, DevStack
from servicekit.settings import ServiceSettings
from servicekit.store.db import Database
from servicekit.store.tables import due_jobs, idempotency_keys, inbox, outbox
from servicekit.store.types import UTCDateTime

KIT_TABLES = [due_jobs, idempotency_keys, inbox, outbox]

ROWS_PER_SUBSCRIPTION = {"outbox": 3, "inbox": 3}  # events a subscription causes; others 1
CHUNK = 10000
PAST = datetime(2024, 1, 1)  # naive UTC, as stored


def _cell(column, run: str, sqlite: bool) -> Callable[[int], object]:
    """The value of `column` in history row n, as the driver stores it (naive UTC datetimes,
    in SQLAlchemy's text format on SQLite)."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        stored = PAST.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else PAST
        return lambda n: stored
    if isinstance(kind, Boolean):
        return lambda n: False
    if isinstance(kind, Integer):
        return lambda n: n % 50 + 1
    if isinstance(kind, LargeBinary):
        return lambda n: b"{}"
    if isinstance(kind, (String, Text)):
        limit = getattr(kind, "length", None)
        if "email" in column.name:
            return lambda n: f"h{run}{n}@history.example"[:limit]
        return lambda n: f"h{run}-{n}"[:limit]
    return lambda n: None


def _seeded_columns(table: Table) -> list:
    return [c for c in table.columns if not (c.primary_key and c.autoincrement is True and isinstance(c.type, Integer))]


def history_rows(table: Table, start: int, stop: int, run: str, sqlite: bool) -> list[tuple]:
    """Rows start..stop-1, built column by column (the seeder's time goes here)."""
    cells = [_cell(c, run, sqlite) for c in _seeded_columns(table)]
    return list(zip(*([cell(n) for n in range(start, stop)] for cell in cells), strict=True))


async def seed_service(database: Database, tables: list[Table], subscriptions: int) -> int:
    """Bulk-writes through the driver (executemany on SQLite, COPY on PostgreSQL): going
    through SQLAlchemy row by row took minutes for 50,000 subscriptions."""
    run, written = uuid.uuid4().hex[:6], 0
    async with database.engine.begin() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        for table in tables:
            names = [c.name for c in _seeded_columns(table)]
            total = subscriptions * ROWS_PER_SUBSCRIPTION.get(table.name, 1)
            for start in range(0, total, CHUNK):
                rows = history_rows(table, start, min(total, start + CHUNK), run, database.is_sqlite)
                await _write(driver, database, table, names, rows)
                written += len(rows)
    return written


async def _write(driver, database: Database, table: Table, names: list[str], rows: list[tuple]) -> None:
    if database.is_sqlite:
        quoted = ", ".join(f'"{name}"' for name in names)
        marks = ", ".join("?" for _ in names)
        await driver.executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', rows)
    else:
        await driver.copy_records_to_table(table.name, records=rows, columns=names, schema_name=database.schema)


def service_database(stack: DevStack, service: str) -> tuple[Database, list[Table]]:
    config = stack.config
    settings = ServiceSettings(
        service_name=service, var_dir=str(config.var_dir), database_url=config.database_url or ""
    )
    schema = f"{config.schema_prefix}{service}" if config.database_url else service
    metadata = importlib.import_module(f"{service}.app").metadata  # the tables the service creates
    tables = KIT_TABLES + list(metadata.sorted_tables)
    return Database(settings.resolved_database_url(), schema, (metadata,)), tables


async def seed_history(stack: DevStack, subscriptions: int) -> int:
    """Add `subscriptions` subscriptions' worth of rows to every service; returns rows written."""
    written = 0
    for service in SERVICES:
        database, tables = service_database(stack, service)
        try:
            written += await seed_service(database, tables, subscriptions)
        finally:
            await database.dispose()
    return written


def seed(stack: DevStack, subscriptions: int) -> int:
    return asyncio.run(seed_history(stack, subscriptions))
