"""Issued invoices and their number series."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from billing.domain.invoices import Invoice, InvoiceKind
from billing.domain.lines import InvoiceLine
from billing.store.lines import LineRepository
from billing.store.tables import invoice_counters, invoices
from contracts.values import Contact, Money
from servicekit.http.pagination import PageRequest, keyset


class InvoiceRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._lines = LineRepository(conn)  # an invoice's lines are the ones it took

    async def next_sequence(self, series: str) -> int:
        """The next number of a series. The UPDATE locks the counter row until the issuing
        transaction ends, so two issuers never take the same number; the unique constraint
        on `invoices.number` stands behind it."""
        bumped = await self._conn.execute(
            update(invoice_counters)
            .where(invoice_counters.c.series == series)
            .values(last_sequence=invoice_counters.c.last_sequence + 1)
        )
        if bumped.rowcount == 0:
            await self._conn.execute(insert(invoice_counters).values(series=series, last_sequence=1))
            return 1
        return (
            await self._conn.execute(
                select(invoice_counters.c.last_sequence).where(invoice_counters.c.series == series)
            )
        ).scalar_one()

    async def add(self, invoice: Invoice) -> None:
        admin = invoice.administrator
        await self._conn.execute(
            insert(invoices).values(
                invoice_id=invoice.invoice_id,
                number=invoice.number,
                kind=invoice.kind.value,
                account_id=invoice.account_id,
                po_number=invoice.po_number,
                admin_person_id=admin.person_id,
                admin_email=admin.email,
                admin_name=admin.name,
                admin_locale=admin.locale,
                issued_at=invoice.issued_at,
                total_minor=invoice.total.amount_minor,
                currency=invoice.total.currency,
            )
        )
        await self._lines.mark_invoiced(list(invoice.lines), invoice.invoice_id)

    async def get(self, invoice_id: str) -> Invoice | None:
        row = (await self._conn.execute(select(invoices).where(invoices.c.invoice_id == invoice_id))).first()
        if row is None:
            return None
        return _invoice_of(row, tuple(await self._lines.lines_on_invoice(invoice_id)))

    async def of_account(self, account_id: str) -> list[Invoice]:
        """Newest first; without their lines."""
        rows = await self._conn.execute(
            select(invoices)
            .where(invoices.c.account_id == account_id)
            .order_by(invoices.c.issued_at.desc(), invoices.c.number.desc())
        )
        return [_invoice_of(row, ()) for row in rows]

    async def page_of_account(self, account_id: str, page: PageRequest) -> list[Invoice]:
        """One page of `of_account`, newest first (the number is unique, so it ends the key)."""
        query = keyset(
            select(invoices).where(invoices.c.account_id == account_id),
            (invoices.c.issued_at, invoices.c.number),
            page,
            descending=True,
        )
        return [_invoice_of(row, ()) for row in await self._conn.execute(query)]


def _invoice_of(row: Any, lines: tuple[InvoiceLine, ...]) -> Invoice:
    return Invoice(
        invoice_id=row.invoice_id,
        number=row.number,
        kind=InvoiceKind(row.kind),
        account_id=row.account_id,
        po_number=row.po_number,
        administrator=Contact(
            person_id=row.admin_person_id, email=row.admin_email, name=row.admin_name, locale=row.admin_locale
        ),
        issued_at=row.issued_at,
        lines=lines,
        total=Money(amount_minor=row.total_minor, currency=row.currency),
    )
