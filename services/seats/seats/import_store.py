"""Bulk import drafts and their rows (R23)."""
from __future__ import annotations

import json

from sqlalchemy import Column, Integer, String, Table, Text, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.errors import not_found
from seats.domain.imports import DroppedRow, ImportDraft, ImportRow, ImportStatus
from seats.store import metadata
from servicekit.db import UTCDateTime

user_imports = Table(
    "user_imports", metadata,
    Column("import_id", String(64), primary_key=True),
    Column("subscription_id", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("submitted_at", UTCDateTime),
    Column("progressed_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("done", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("dropped", Text, nullable=False),  # JSON: the duplicate rows dropped, with the reason
)

import_rows = Table(
    "user_import_rows", metadata,
    Column("import_id", String(64), primary_key=True),
    Column("row_no", Integer, primary_key=True),
    Column("email", String(320), nullable=False),
    Column("first_name", String(200), nullable=False),
    Column("last_name", String(200), nullable=False),
    Column("errors", Text, nullable=False),  # JSON list of what is wrong with the row
)


def _header(d: ImportDraft) -> dict:
    return dict(import_id=d.import_id, subscription_id=d.subscription_id, status=d.status.value,
                created_at=d.created_at, submitted_at=d.submitted_at, progressed_at=d.progressed_at,
                finished_at=d.finished_at, done=d.done, added=d.added,
                dropped=json.dumps([vars(x) for x in d.dropped]))


def _row(import_id: str, r: ImportRow) -> dict:
    return dict(import_id=import_id, row_no=r.row_no, email=r.email, first_name=r.first_name,
                last_name=r.last_name, errors=json.dumps(r.errors))


class ImportRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, subscription_id: str, import_id: str) -> ImportDraft:
        h = (await self._conn.execute(select(user_imports).where(
            user_imports.c.import_id == import_id, user_imports.c.subscription_id == subscription_id))).first()
        if h is None:
            raise not_found("import", import_id)
        rows = await self._conn.execute(select(import_rows).where(
            import_rows.c.import_id == import_id).order_by(import_rows.c.row_no))
        return ImportDraft(
            import_id=h.import_id, subscription_id=h.subscription_id, created_at=h.created_at,
            rows=[ImportRow(r.row_no, r.email, r.first_name, r.last_name, json.loads(r.errors)) for r in rows],
            dropped=[DroppedRow(**x) for x in json.loads(h.dropped)], status=ImportStatus(h.status),
            submitted_at=h.submitted_at, done=h.done, added=h.added, finished_at=h.finished_at,
            progressed_at=h.progressed_at)

    async def add(self, draft: ImportDraft) -> None:
        await self._conn.execute(insert(user_imports).values(**_header(draft)))
        if draft.rows:
            await self._conn.execute(insert(import_rows), [_row(draft.import_id, r) for r in draft.rows])

    async def save_progress(self, draft: ImportDraft) -> None:
        await self._conn.execute(update(user_imports).where(
            user_imports.c.import_id == draft.import_id).values(**_header(draft)))

    async def save_row(self, draft: ImportDraft, row: ImportRow) -> None:
        await self._conn.execute(update(import_rows).where(
            import_rows.c.import_id == draft.import_id, import_rows.c.row_no == row.row_no
        ).values(**_row(draft.import_id, row)))

    async def remove_rows(self, draft: ImportDraft, dropped: list[DroppedRow]) -> None:
        if dropped:
            await self._conn.execute(delete(import_rows).where(
                import_rows.c.import_id == draft.import_id,
                import_rows.c.row_no.in_([d.row_no for d in dropped])))
