"""Invoice lines: pending until an invoice takes them (SQLAlchemy Core)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from billing.domain.lines import InvoiceLine, LineKind, LineVat
from billing.domain.vat import VatCategory
from billing.store.tables import invoice_lines
from contracts.values import BillingCycle, Money
from servicekit.http.pagination import PageRequest, keyset


class LinesAlreadyInvoiced(RuntimeError):
    """A concurrent issuer took a line first: retry the work that issues."""


class LineRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_line(self, line: InvoiceLine) -> bool:
        """False when this cause already made this kind of line (a replay adds nothing)."""
        found = (
            await self._conn.execute(
                select(invoice_lines.c.line_id).where(
                    invoice_lines.c.caused_by == line.caused_by, invoice_lines.c.kind == line.kind.value
                )
            )
        ).first()
        if found is not None:
            return False
        await self._conn.execute(insert(invoice_lines).values(**_line_row(line)))
        return True

    async def lines_of(self, subscription_id: str, *, prorated_only: bool = False) -> list[InvoiceLine]:
        return await self._lines(self._lines_query(subscription_id, prorated_only))

    async def page_of_lines(
        self, subscription_id: str, page: PageRequest, *, prorated_only: bool = False
    ) -> list[InvoiceLine]:
        """One page, in the order of `lines_of` (period start, then line id)."""
        query = keyset(
            self._lines_query(subscription_id, prorated_only),
            (invoice_lines.c.period_start, invoice_lines.c.line_id),
            page,
        )
        return [_line_of(row) for row in await self._conn.execute(query)]

    async def total_of_lines(self, subscription_id: str, *, prorated_only: bool = False) -> Money | None:
        """The sum of every line (not of one page); None when there is none."""
        query = (
            self._lines_query(subscription_id, prorated_only)
            .with_only_columns(func.sum(invoice_lines.c.amount_minor), func.min(invoice_lines.c.currency), func.count())
            .group_by(None)
        )
        total, currency, count = (await self._conn.execute(query)).one()
        return Money(amount_minor=total, currency=currency) if count else None

    @staticmethod
    def _lines_query(subscription_id: str, prorated_only: bool) -> Select[Any]:
        query = select(invoice_lines).where(invoice_lines.c.subscription_id == subscription_id)
        if prorated_only:
            query = query.where(invoice_lines.c.kind != LineKind.TERM.value)
        return query

    async def pending_lines_of(self, subscription_id: str) -> list[InvoiceLine]:
        return await self._lines(
            select(invoice_lines).where(
                invoice_lines.c.subscription_id == subscription_id, invoice_lines.c.invoice_id.is_(None)
            )
        )

    async def pending_lines_before(self, at: datetime) -> list[InvoiceLine]:
        return await self._lines(
            select(invoice_lines).where(invoice_lines.c.invoice_id.is_(None), invoice_lines.c.period_start < at)
        )

    async def lines_on_invoice(self, invoice_id: str) -> list[InvoiceLine]:
        return await self._lines(select(invoice_lines).where(invoice_lines.c.invoice_id == invoice_id))

    async def mark_invoiced(self, lines: list[InvoiceLine], invoice_id: str) -> None:
        """Every line must still be pending: the monthly run and an event issuing at once can
        read the same pending line concurrently (PostgreSQL). The second to mark it finds it
        taken and fails, so its transaction rolls back and its retry sees the line invoiced."""
        marked = await self._conn.execute(
            update(invoice_lines)
            .where(
                and_(
                    invoice_lines.c.line_id.in_([line.line_id for line in lines]), invoice_lines.c.invoice_id.is_(None)
                )
            )
            .values(invoice_id=invoice_id)
        )
        if marked.rowcount != len(lines):
            raise LinesAlreadyInvoiced(
                f"{len(lines) - marked.rowcount} of {len(lines)} lines of invoice "
                f"{invoice_id} were invoiced meanwhile; issuing again"
            )
        taxed = [
            dict(
                b_line_id=line.line_id,
                b_category=line.vat.category.value,
                b_rate=str(line.vat.rate),
                b_tax=line.vat.tax.amount_minor,
            )
            for line in lines
            if line.vat is not None
        ]
        if taxed:
            await self._conn.execute(_SET_VAT, taxed)

    async def _lines(self, query: Select[Any]) -> list[InvoiceLine]:
        rows = await self._conn.execute(query.order_by(invoice_lines.c.period_start, invoice_lines.c.line_id))
        return [_line_of(row) for row in rows]


# Each line's share of its invoice's VAT, one statement for all lines (executemany).
_SET_VAT = (
    update(invoice_lines)
    .where(invoice_lines.c.line_id == bindparam("b_line_id"))
    .values(vat_category=bindparam("b_category"), vat_rate=bindparam("b_rate"), vat_minor=bindparam("b_tax"))
)


def _line_row(line: InvoiceLine) -> dict[str, Any]:
    return dict(
        line_id=line.line_id,
        subscription_id=line.subscription_id,
        account_id=line.account_id,
        kind=line.kind.value,
        description=line.description,
        period_start=line.period_start,
        period_end=line.period_end,
        quantity_delta=line.quantity_delta,
        unit_price_minor=line.unit_price.amount_minor,
        days_remaining=line.days_remaining,
        days_in_term=line.days_in_term,
        amount_minor=line.amount.amount_minor,
        currency=line.amount.currency,
        caused_by=line.caused_by,
        billing_cycle=line.cycle.value if line.cycle else None,
        invoice_id=line.invoice_id,
    )


def _line_of(row: Any) -> InvoiceLine:
    return InvoiceLine(
        line_id=row.line_id,
        subscription_id=row.subscription_id,
        account_id=row.account_id,
        kind=LineKind(row.kind),
        description=row.description,
        period_start=row.period_start,
        period_end=row.period_end,
        quantity_delta=row.quantity_delta,
        unit_price=Money(amount_minor=row.unit_price_minor, currency=row.currency),
        days_remaining=row.days_remaining,
        days_in_term=row.days_in_term,
        amount=Money(amount_minor=row.amount_minor, currency=row.currency),
        caused_by=row.caused_by,
        cycle=BillingCycle(row.billing_cycle) if row.billing_cycle else None,
        invoice_id=row.invoice_id,
        vat=None
        if row.vat_category is None
        else LineVat(
            VatCategory(row.vat_category),
            Decimal(row.vat_rate),
            Money(amount_minor=row.vat_minor, currency=row.currency),
        ),
    )
