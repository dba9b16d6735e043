"""Invoice lines, and who administers each subscription (for R6 on reads)."""
from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from billing.domain import InvoiceLine
from contracts.values import Money
from servicekit.db import UTCDateTime

metadata = MetaData()

invoice_lines = Table(
    "invoice_lines", metadata,
    Column("line_id", String(64), primary_key=True),
    Column("subscription_id", String(64), nullable=False, index=True),
    Column("account_id", String(64), nullable=False, index=True),
    Column("description", String(500), nullable=False),
    Column("period_start", UTCDateTime, nullable=False),
    Column("period_end", UTCDateTime, nullable=False),
    Column("quantity_delta", Integer, nullable=False),
    Column("unit_price_minor", Integer, nullable=False),
    Column("days_remaining", Integer, nullable=False),
    Column("days_in_term", Integer, nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("caused_by", String(64), nullable=False, unique=True),
    Column("invoice_id", String(64), nullable=True),
)

administrators = Table(
    "subscription_administrators", metadata,
    Column("subscription_id", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("admin_person_id", String(64), nullable=False),
)


class BillingRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_line(self, line: InvoiceLine) -> None:
        await self._conn.execute(insert(invoice_lines).values(
            line_id=line.line_id, subscription_id=line.subscription_id, account_id=line.account_id,
            description=line.description, period_start=line.period_start, period_end=line.period_end,
            quantity_delta=line.quantity_delta, unit_price_minor=line.unit_price.amount_minor,
            days_remaining=line.days_remaining, days_in_term=line.days_in_term,
            amount_minor=line.amount.amount_minor, currency=line.amount.currency,
            caused_by=line.caused_by))

    async def lines_of(self, subscription_id: str) -> list[InvoiceLine]:
        rows = await self._conn.execute(select(invoice_lines).where(
            invoice_lines.c.subscription_id == subscription_id).order_by(invoice_lines.c.period_start))
        return [InvoiceLine(
            line_id=r.line_id, subscription_id=r.subscription_id, account_id=r.account_id,
            description=r.description, period_start=r.period_start, period_end=r.period_end,
            quantity_delta=r.quantity_delta,
            unit_price=Money(amount_minor=r.unit_price_minor, currency=r.currency),
            days_remaining=r.days_remaining, days_in_term=r.days_in_term,
            amount=Money(amount_minor=r.amount_minor, currency=r.currency), caused_by=r.caused_by)
            for r in rows]

    async def remember_administrator(self, subscription_id: str, account_id: str, person_id: str) -> None:
        if await self.administrator_of(subscription_id) is None:
            await self._conn.execute(insert(administrators).values(
                subscription_id=subscription_id, account_id=account_id, admin_person_id=person_id))

    async def administrator_of(self, subscription_id: str) -> str | None:
        row = (await self._conn.execute(select(administrators.c.admin_person_id).where(
            administrators.c.subscription_id == subscription_id))).first()
        return None if row is None else row.admin_person_id
