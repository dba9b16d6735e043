"""Events of one subscription applied at the same time, on PostgreSQL: billing reads two topics,
and replicas may own their partitions apart, so a seat change, a PO change and a transfer can
be applied at once. None is lost, and a line is never put on two invoices."""
from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from billing import handlers
from billing.invoice_store import InvoiceRepository
from billing.invoicing import Invoice, InvoiceKind
from billing.store import BillingRepository, LinesAlreadyInvoiced
from billing.tables import invoices, metadata
from contracts.envelope import Envelope
from contracts.values import BillingCycle
from servicekit.clock import FixedClock
from servicekit.store.db import Database
from servicekit.store.uow import UnitOfWork
from devkit.testsupport import POSTGRES_URL
from servicekit.migrations import migrate_database

SUBSCRIPTIONS = 5  # several at once: a lost update shows on some of them, not always on one


pytestmark = pytest.mark.usefixtures("postgres")  # skipped without PostgreSQL, failed where it is required


@pytest.fixture
async def db():
    database = Database(POSTGRES_URL, f"billing_{uuid.uuid4().hex[:8]}", (metadata,))
    await migrate_database(database, "billing")
    yield database
    await database.drop_schema()
    await database.dispose()


async def deliver(db, clock, event) -> None:
    """What the consumer does with one event: apply it in a transaction of its own."""
    async with UnitOfWork(db, clock, "billing", cause=Envelope.wrap(event, source="test", time=clock.now())) as uow:
        await handlers.handler_for(type(event), "http://billing.test")(event, uow)
        await uow.commit()


async def warm_pool(db, connections: int = 6) -> None:
    """Open the connections first: work that has to open one would start too late to race."""
    async def hold(ready: asyncio.Barrier) -> None:
        async with db.connect() as conn:
            await conn.execute(select(1))
            await ready.wait()
    ready = asyncio.Barrier(connections)
    await asyncio.gather(*(hold(ready) for _ in range(connections)))


async def test_a_seat_change_a_po_change_and_a_transfer_applied_at_once_all_reach_the_view(db, events):
    clock, ids = FixedClock(events.START), [f"s-{n}" for n in range(SUBSCRIPTIONS)]
    for sid in ids:
        for event in events.bought(sid=sid):
            await deliver(db, clock, event)
    await warm_pool(db)
    later = events.START + timedelta(days=10)
    await asyncio.gather(*(deliver(db, clock, event) for sid in ids for event in (
        events.seats_changed(2, 5, later, sid=sid), events.po_changed(f"PO-{sid}", later, sid=sid),
        events.transferred(later, sid=sid))))
    async with db.connect() as conn:
        views = await BillingRepository(conn).views(set(ids))
    for sid in ids:
        assert (views[sid].quantity, views[sid].po_number, views[sid].administrator) == (5, f"PO-{sid}", events.BOB)


async def test_an_issuer_that_read_a_line_as_pending_before_another_invoiced_it_fails_instead(db, events):
    clock = FixedClock(events.START)
    for event in events.bought(cycle=BillingCycle.MONTHLY):  # its line waits for the 1st
        await deliver(db, clock, event)
    async with db.connect() as conn:
        [line] = await BillingRepository(conn).pending_lines_of("s-1")

    def invoice(number: str) -> Invoice:
        return Invoice(invoice_id=f"inv-{number}", number=number, kind=InvoiceKind.INVOICE, account_id="a-1",
                       po_number=None, administrator=events.ADA, issued_at=events.START, lines=(line,),
                       total=line.amount)
    async with db.engine.begin() as conn:
        await InvoiceRepository(conn).add(invoice("INV-2026-000001"))
    with pytest.raises(LinesAlreadyInvoiced):
        async with db.engine.begin() as conn:
            await InvoiceRepository(conn).add(invoice("INV-2026-000002"))
    async with db.connect() as conn:
        assert (await conn.execute(select(invoices.c.number))).scalars().all() == ["INV-2026-000001"]
