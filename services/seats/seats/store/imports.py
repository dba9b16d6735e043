"""Bulk import drafts and their rows (R23)."""

from __future__ import annotations

import json

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.errors import not_found
from seats.adapters.importfiles import SUMMARY_ROWS, ParsedImport, row_batch
from seats.domain.imports import DroppedRow, ImportDraft, ImportRow, ImportStatus
from seats.store.tables import import_rows, seat_users, user_imports
from servicekit.http.pagination import PageRequest, keyset


def _header(d: ImportDraft) -> dict:
    return dict(
        import_id=d.import_id,
        subscription_id=d.subscription_id,
        status=d.status.value,
        created_at=d.created_at,
        submitted_at=d.submitted_at,
        progressed_at=d.progressed_at,
        finished_at=d.finished_at,
        done=d.done,
        added=d.added,
        dropped=json.dumps([vars(x) for x in d.dropped]),
    )


def _row(import_id: str, r: ImportRow) -> dict:
    return dict(
        import_id=import_id,
        row_no=r.row_no,
        email=r.email,
        first_name=r.first_name,
        last_name=r.last_name,
        errors=json.dumps(r.errors),
    )


INCOMPLETE = import_rows.c.errors != "[]"


class ImportRepository:
    """A draft can hold 50,000 rows: it is read whole only to correct or submit it; a progress
    read takes its counts and first rows, and an import chunk only the rows it imports."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, subscription_id: str, import_id: str) -> ImportDraft:
        """The whole draft."""
        header = await self._header(subscription_id, import_id)
        return self._draft(header, await self._rows(import_rows.c.import_id == import_id))

    async def summary(self, subscription_id: str, import_id: str) -> ImportDraft:
        """The counts, the first incomplete rows and the first duplicates."""
        header = await self._header(subscription_id, import_id)
        draft = self._draft(
            header, await self._rows(import_rows.c.import_id == import_id, INCOMPLETE, limit=SUMMARY_ROWS)
        )
        draft.row_count, draft.incomplete_count = await self._counts(import_id)
        draft.dropped_count, draft.dropped = len(draft.dropped), draft.dropped[:SUMMARY_ROWS]
        return draft

    async def for_submission(self, subscription_id: str, import_id: str) -> ImportDraft:
        """What submission decides on: the counts, the first incomplete rows and the rows whose
        e-mail became a user of the subscription since the upload."""
        header = await self._header(subscription_id, import_id)
        listed = select(seat_users.c.email).where(seat_users.c.subscription_id == subscription_id)
        incomplete = await self._rows(import_rows.c.import_id == import_id, INCOMPLETE, limit=20)
        now_listed = await self._rows(import_rows.c.import_id == import_id, import_rows.c.email.in_(listed))
        draft = self._draft(
            header, sorted({r.row_no: r for r in incomplete + now_listed}.values(), key=lambda r: r.row_no)
        )
        draft.row_count, draft.incomplete_count = await self._counts(import_id)
        return draft

    async def for_correction(
        self, subscription_id: str, import_id: str, row_no: int, new_email: str | None
    ) -> ImportDraft:
        """The row to correct and the rows already holding the e-mail it would get."""
        header = await self._header(subscription_id, import_id)
        clash = [import_rows.c.email == new_email] if new_email else []
        rows = await self._rows(import_rows.c.import_id == import_id, or_(import_rows.c.row_no == row_no, *clash))
        draft = self._draft(header, rows)
        draft.row_count, draft.incomplete_count = await self._counts(import_id)
        return draft

    async def for_chunk(self, subscription_id: str, import_id: str, size: int) -> ImportDraft:
        """The rows the next chunk imports: `size` rows from the first not yet done."""
        header = await self._header(subscription_id, import_id)
        draft = self._draft(
            header, await self._rows(import_rows.c.import_id == import_id, offset=header.done, limit=size)
        )
        draft.rows_from = header.done
        draft.row_count, _ = await self._counts(import_id)
        return draft

    async def page_of_rows(
        self, subscription_id: str, import_id: str, page: PageRequest, incomplete_only: bool
    ) -> list[ImportRow]:
        await self._header(subscription_id, import_id)
        query = select(import_rows).where(
            import_rows.c.import_id == import_id, *([INCOMPLETE] if incomplete_only else [])
        )
        rows = await self._conn.execute(keyset(query, [import_rows.c.row_no], page))
        return [_import_row(r) for r in rows]

    async def add(self, draft: ImportDraft) -> None:
        await self._conn.execute(insert(user_imports).values(**_header(draft)))
        if draft.rows:
            await self._conn.execute(insert(import_rows), [_row(draft.import_id, r) for r in draft.rows])

    async def add_parsed(self, parsed: ParsedImport) -> None:
        """A parsed upload, its rows written in batches: each batch is turned into rows only
        when it is written, and the event loop runs between batches (R23, issue 11)."""
        await self._conn.execute(
            insert(user_imports).values(**{**_header(parsed.summary), "dropped": parsed.dropped_json})
        )
        import_id = parsed.summary.import_id
        for batch in parsed.row_batches:
            await self._conn.execute(
                insert(import_rows),
                [
                    dict(
                        import_id=import_id,
                        row_no=row_no,
                        email=email,
                        first_name=first_name,
                        last_name=last_name,
                        errors=errors,
                    )
                    for row_no, email, first_name, last_name, errors in row_batch(batch)
                ],
            )

    async def save_progress(self, draft: ImportDraft) -> None:
        await self._conn.execute(
            update(user_imports).where(user_imports.c.import_id == draft.import_id).values(**_header(draft))
        )

    async def save_row(self, draft: ImportDraft, row: ImportRow) -> None:
        await self._conn.execute(
            update(import_rows)
            .where(import_rows.c.import_id == draft.import_id, import_rows.c.row_no == row.row_no)
            .values(**_row(draft.import_id, row))
        )

    async def remove_rows(self, draft: ImportDraft, dropped: list[DroppedRow]) -> None:
        if dropped:
            await self._conn.execute(
                delete(import_rows).where(
                    import_rows.c.import_id == draft.import_id, import_rows.c.row_no.in_([d.row_no for d in dropped])
                )
            )

    async def _header(self, subscription_id: str, import_id: str):
        h = (
            await self._conn.execute(
                select(user_imports).where(
                    user_imports.c.import_id == import_id, user_imports.c.subscription_id == subscription_id
                )
            )
        ).first()
        if h is None:
            raise not_found("import", import_id)
        return h

    async def _rows(self, *where, offset: int = 0, limit: int | None = None) -> list[ImportRow]:
        query = select(import_rows).where(*where).order_by(import_rows.c.row_no).offset(offset)
        rows = await self._conn.execute(query.limit(limit) if limit is not None else query)
        return [_import_row(r) for r in rows]

    async def _counts(self, import_id: str) -> tuple[int, int]:
        """Rows, and incomplete rows, of the draft."""
        found = (
            await self._conn.execute(
                select(func.count(), func.count().filter(INCOMPLETE)).where(import_rows.c.import_id == import_id)
            )
        ).one()
        return found[0], found[1]

    @staticmethod
    def _draft(h, rows: list[ImportRow]) -> ImportDraft:
        return ImportDraft(
            import_id=h.import_id,
            subscription_id=h.subscription_id,
            created_at=h.created_at,
            rows=rows,
            dropped=[DroppedRow(**x) for x in json.loads(h.dropped)],
            status=ImportStatus(h.status),
            submitted_at=h.submitted_at,
            done=h.done,
            added=h.added,
            finished_at=h.finished_at,
            progressed_at=h.progressed_at,
        )


def _import_row(r) -> ImportRow:
    return ImportRow(r.row_no, r.email, r.first_name, r.last_name, json.loads(r.errors))
