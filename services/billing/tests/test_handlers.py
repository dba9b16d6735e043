"""Handlers over a real SQLite database: lines, invoices, numbers and the monthly run (R29–R32)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from billing import handlers, issuing
from billing.invoice_store import InvoiceRepository
from billing.rendering import render_invoice
from billing.store import BillingRepository
from billing.tables import metadata
from contracts.envelope import Envelope
from contracts.values import BillingCycle
from servicekit.clock import FixedClock
from servicekit.store.db import Database
from servicekit.scheduler import DueJob
from servicekit.store.tables import due_jobs, outbox
from servicekit.store.uow import UnitOfWork
from servicekit.migrations import migrate_database

URL = "http://billing.test"


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/billing.db", "billing", (metadata,))
    await migrate_database(database, "billing")
    yield database
    await database.dispose()


@pytest.fixture
def clock(events) -> FixedClock:
    return FixedClock(events.START)


async def deliver(db, clock, event, envelope: Envelope | None = None) -> Envelope:
    envelope = envelope or Envelope.wrap(event, source="test", time=clock.now())
    async with UnitOfWork(db, clock, "billing", cause=envelope) as uow:
        await handlers.handler_for(type(event), URL)(event, uow)
        await uow.commit()
    return envelope


async def published(db, event_type: str) -> list[dict]:
    async with db.connect() as conn:
        rows = await conn.execute(select(outbox.c.body).where(outbox.c.event_type == event_type)
                                  .order_by(outbox.c.seq))
        return [json.loads(row.body)["data"] for row in rows]


async def deliver_all(db, clock, events_in_order) -> None:
    for event in events_in_order:
        await deliver(db, clock, event)


async def invoices_of(db, account="a-1"):
    async with db.connect() as conn:
        repo = InvoiceRepository(conn)
        return [await repo.get(i.invoice_id) for i in await repo.of_account(account)]


async def fire_monthly_run(db, clock, at: datetime) -> None:
    async with db.connect() as conn:
        row = (await conn.execute(select(due_jobs).where(due_jobs.c.done_at.is_(None)))).one()
    assert row.due_at == at
    clock.set(at)
    async with UnitOfWork(db, clock, "billing") as uow:
        await uow.conn.execute(update(due_jobs).where(due_jobs.c.job_id == row.job_id).values(done_at=at))
        await issuing.run_monthly_invoicing(DueJob(row.job_id, row.kind, row.subject, row.due_at, {}), uow, URL)
        await uow.commit()


async def test_R30_annual_activation_is_invoiced_at_once_with_the_years_charge(db, clock, events):
    await deliver_all(db, clock, events.bought(quantity=3, po="PO-7"))
    [invoice] = await invoices_of(db)
    assert (invoice.number, invoice.kind.value, invoice.po_number) == ("INV-2026-000001", "invoice", "PO-7")
    assert invoice.total.amount_minor == 3 * 36500
    [issued] = await published(db, "billing.invoice_issued")
    assert issued["url"] == f"{URL}/invoices/{invoice.invoice_id}"
    assert issued["total"]["amount_minor"] == sum(l["amount"]["amount_minor"] for l in issued["lines"])
    assert issued["administrator"]["email"] == events.ADA.email


async def test_R29_R30_a_seat_increase_on_an_annual_term_is_invoiced_at_once_and_adjusts(db, clock, events):
    await deliver_all(db, clock, events.bought())
    await deliver(db, clock, events.seats_changed(2, 5, events.START + timedelta(days=73)))
    numbers = sorted(i.number for i in await invoices_of(db))
    assert numbers == ["INV-2026-000001", "INV-2026-000002"]
    [adjusted] = await published(db, "billing.invoice_adjusted")
    assert adjusted["amount"]["amount_minor"] == 3 * 36500 * 292 // 365


async def test_R30_monthly_lines_wait_for_the_run_on_the_1st_which_schedules_the_next(db, clock, events):
    await deliver_all(db, clock, events.bought(cycle=BillingCycle.MONTHLY, end=datetime(2026, 2, 5, 9, tzinfo=timezone.utc)))
    await deliver(db, clock, events.seats_changed(2, 3, events.START + timedelta(days=3),
                                                  end=datetime(2026, 2, 5, 9, tzinfo=timezone.utc)))
    assert await invoices_of(db) == []
    await fire_monthly_run(db, clock, datetime(2026, 2, 1, tzinfo=timezone.utc))
    [invoice] = await invoices_of(db)
    assert len(invoice.lines) == 2 and invoice.issued_at == datetime(2026, 2, 1, tzinfo=timezone.utc)
    async with db.connect() as conn:
        pending = (await conn.execute(select(due_jobs.c.job_id).where(due_jobs.c.done_at.is_(None)))).scalars().all()
    assert pending == ["monthly_invoicing:2026-03"]


async def test_R31_the_monthly_run_uses_the_po_number_in_force_and_splits_by_po(db, clock, events):
    monthly_end = datetime(2026, 2, 5, 9, tzinfo=timezone.utc)
    await deliver_all(db, clock, events.bought(sid="s-1", cycle=BillingCycle.MONTHLY, end=monthly_end, po="PO-1"))
    await deliver_all(db, clock, events.bought(sid="s-2", cycle=BillingCycle.MONTHLY, end=monthly_end, po="PO-1"))
    await deliver(db, clock, events.po_changed("PO-2", events.START + timedelta(days=2), sid="s-2"))
    await fire_monthly_run(db, clock, datetime(2026, 2, 1, tzinfo=timezone.utc))
    assert sorted(i.po_number for i in await invoices_of(db)) == ["PO-1", "PO-2"]


async def test_R32_a_credit_exceeding_the_charges_is_a_credit_note(db, clock, events):
    await deliver_all(db, clock, events.bought(price=109500, tier="premium_plus"))
    await deliver(db, clock, events.tier_changed(events.START + timedelta(days=181), old=109500, new=73000,
                                                 from_tier="premium_plus", to_tier="premium"))
    numbers = sorted(i.number for i in await invoices_of(db))
    assert numbers == ["CN-2026-000001", "INV-2026-000001"]
    assert len(await published(db, "billing.invoice_adjusted")) == 2


async def test_R32_a_replayed_event_adds_no_line_and_no_invoice(db, clock, events):
    await deliver_all(db, clock, events.bought())
    increase = events.seats_changed(2, 3, events.START + timedelta(days=10))
    envelope = await deliver(db, clock, increase)
    await deliver(db, clock, increase, envelope)  # even past the inbox: a line's id is its cause's
    assert len(await invoices_of(db)) == 2
    async with db.connect() as conn:
        assert len(await BillingRepository(conn).lines_of("s-1")) == 2


async def test_R29_R30_seats_seen_before_the_activation_are_invoiced_with_it(db, clock, events):
    await deliver(db, clock, events.seats_changed(2, 4, events.START + timedelta(days=1)))
    assert await invoices_of(db) == []
    await deliver_all(db, clock, events.bought())
    [invoice] = await invoices_of(db)
    assert len(invoice.lines) == 2


async def test_R17_R6_the_transferred_administrator_reads_and_receives(db, clock, events):
    await deliver_all(db, clock, events.bought())
    await deliver(db, clock, events.transferred(events.START + timedelta(days=1)))
    async with db.connect() as conn:
        repo = BillingRepository(conn)
        assert await repo.administers(events.BOB.person_id, "a-1", "s-1")
        assert not await repo.administers(events.ADA.person_id, "a-1", "s-1")
        assert not await repo.administers(events.BOB.person_id, "a-other", "s-1")
        assert not await repo.administers_in(events.ADA.person_id, "a-1")
    await deliver(db, clock, events.addon_added(events.START + timedelta(days=2)))
    assert (await published(db, "billing.invoice_issued"))[-1]["administrator"]["person_id"] == events.BOB.person_id


async def test_R32_the_html_invoice_shows_number_po_lines_and_total_escaped(db, clock, events):
    await deliver_all(db, clock, events.bought(po="<PO & 1>"))
    [invoice] = await invoices_of(db)
    html = render_invoice(invoice)
    assert invoice.number in html and "&lt;PO &amp; 1&gt;" in html and "<PO & 1>" not in html
    assert "730.00 EUR" in html and "2026-01-05" in html and "365/365" in html
