"""History: rows as N past subscriptions would have left them, written straight into every
service's tables, so the bench can show whether any cost grows with history.

The rows are synthetic but shaped by each table's own columns (so the seeder keeps up with
schema changes): unique keys, published outbox rows, finished due jobs, dates in the past.
"""
from __future__ import annotations

import asyncio
import importlib
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import Boolean, Integer, LargeBinary, String, Table, Text, insert

from servicekit.db import Database, UTCDateTime, kit_metadata
from servicekit.devstack import SERVICES, DevStack
from servicekit.settings import ServiceSettings

ROWS_PER_SUBSCRIPTION = {"outbox": 3, "inbox": 3}  # events a subscription causes; others 1
CHUNK = 2000
PAST = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _value(table: Table, column, n: int, run: str):
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return PAST + timedelta(minutes=n)
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return n % 50 + 1
    if isinstance(kind, LargeBinary):
        return b"{}"
    if isinstance(kind, (String, Text)):
        text = f"h{run}{n}@history.example" if "email" in column.name else f"h{run}-{n}"
        return text[: kind.length] if getattr(kind, "length", None) else text
    return None


def history_rows(table: Table, count: int, run: str) -> list[dict]:
    columns = [c for c in table.columns if not (c.primary_key and c.autoincrement is True
                                                  and isinstance(c.type, Integer))]
    return [{c.name: _value(table, c, n, run) for c in columns} for n in range(count)]


async def seed_service(database: Database, tables: list[Table], subscriptions: int) -> int:
    run, written = uuid.uuid4().hex[:6], 0
    async with database.engine.begin() as conn:
        for table in tables:
            total = subscriptions * ROWS_PER_SUBSCRIPTION.get(table.name, 1)
            for start in range(0, total, CHUNK):
                rows = history_rows(table, min(CHUNK, total - start), f"{run}{start}")
                await conn.execute(insert(table), rows)
                written += len(rows)
    return written


def service_database(stack: DevStack, service: str) -> tuple[Database, list[Table]]:
    config = stack.config
    settings = ServiceSettings(service_name=service, var_dir=str(config.var_dir),
                               database_url=config.database_url or "")
    schema = f"{config.schema_prefix}{service}" if config.database_url else service
    metadata = importlib.import_module(f"{service}.store").metadata
    tables = list(kit_metadata.sorted_tables) + list(metadata.sorted_tables)
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
