"""How identity's aggregates become table rows and back: the rows carry the dataclass fields
by name (enums as their values)."""

from __future__ import annotations

from dataclasses import asdict
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection


def row_of(item: Any) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in asdict(item).items()}


class Rows:
    """What every identity repository does with its table: read one row, save one aggregate."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _one(self, table: Table, *where: ColumnElement[bool], lock: bool = False) -> Row[Any] | None:
        """`lock` when the caller will change the row: it stays locked until the transaction
        ends (PostgreSQL `FOR UPDATE`), so a concurrent command waits and then reads what this
        one wrote. A person's row also stands for their verification links. SQLite's
        BEGIN IMMEDIATE already serialises writers."""
        query = select(table).where(*where)
        return (await self._conn.execute(query.with_for_update() if lock else query)).first()

    async def _save(self, table: Table, key: str, item: Any) -> None:
        values = row_of(item)
        done = await self._conn.execute(update(table).where(table.c[key] == values[key]).values(**values))
        if done.rowcount == 0:
            await self._conn.execute(insert(table).values(**values))
