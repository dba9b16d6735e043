"""Which invoices are to print for their e-mail (issue 15, item 3): each issued invoice is
queued in the transaction that issues it, and stays pending until its print is recorded; the
printer reads the pending ones only, whatever the history. Also how the printers learn at once
that an invoice was issued."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from billing.store.tables import invoice_prints

# The printers running in this process (usually one; tests run several runtimes), woken after
# a transaction that issued an invoice commits. A process's other printers wake for nothing:
# one cheap query each.
_printers_to_wake: set[Callable[[], None]] = set()


def wake_printers_on_issue(wake: Callable[[], None]) -> Callable[[], None]:
    """Call `wake` after each commit that issued an invoice; returns how to stop."""
    _printers_to_wake.add(wake)
    return lambda: _printers_to_wake.discard(wake)


def invoices_issued() -> None:
    for wake in tuple(_printers_to_wake):
        wake()


class PrintRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def queue(self, invoice_id: str, at: datetime) -> None:
        """To print (in the issuing transaction); queued already: nothing changes."""
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(invoice_prints).values(invoice_id=invoice_id, queued_at=at).on_conflict_do_nothing()
        await self._conn.execute(statement)

    async def unprinted(self, limit: int, skip: Collection[str] = ()) -> list[str]:
        """Ids of invoices queued and not printed yet, oldest first, but those in `skip` (a print
        that failed waits out its backoff): a few at a time."""
        query = (
            select(invoice_prints.c.invoice_id)
            .where(invoice_prints.c.printed_at.is_(None))
            .order_by(invoice_prints.c.queued_at, invoice_prints.c.invoice_id)
            .limit(limit)
        )
        if skip:
            query = query.where(invoice_prints.c.invoice_id.not_in(sorted(skip)))
        return list((await self._conn.execute(query)).scalars())

    async def add(self, invoice_id: str, printed_at: datetime, size_bytes: int, sha256: str) -> bool:
        """Record the print; False when it was already recorded (another replica printed it)."""
        statement = (
            update(invoice_prints)
            .where(invoice_prints.c.invoice_id == invoice_id, invoice_prints.c.printed_at.is_(None))
            .values(printed_at=printed_at, size_bytes=size_bytes, sha256=sha256)
        )
        return (await self._conn.execute(statement)).rowcount == 1

    async def of(self, invoice_id: str) -> tuple[datetime, int | None, str | None] | None:
        """(printed at, size, SHA-256) of an invoice's print, or None if not printed."""
        row = (
            await self._conn.execute(select(invoice_prints).where(invoice_prints.c.invoice_id == invoice_id))
        ).first()
        return (row.printed_at, row.size_bytes, row.sha256) if row and row.printed_at else None
