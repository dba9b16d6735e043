"""Events of one subscription applied at the same time, on PostgreSQL: billing reads two topics,
and replicas may own their partitions apart, so a seat change, a PO change and a transfer can
be applied at once. None is lost, and a line is never put on two invoices."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from billing.domain.invoices import InvoiceDraft
from billing.settings import BillingSettings
from billing.store.lines import LinesAlreadyInvoiced
from billing.store.tables import invoices
from contracts.values import BillingCycle
from devkit.testsupport import POSTGRES_URL

from .invoicing_kit import issue

SUBSCRIPTIONS = 5  # several at once: a lost update shows on some of them, not always on one


pytestmark = pytest.mark.usefixtures("postgres")  # skipped without PostgreSQL, failed where it is required


@pytest.fixture
def settings() -> BillingSettings:
    """Billing on a PostgreSQL schema of its own."""
    return BillingSettings(
        database_url=POSTGRES_URL, db_schema=f"billing_{uuid.uuid4().hex[:8]}", portal_url="http://billing.test"
    )


async def warm_pool(driver, connections: int = 6) -> None:
    """Open the connections first: work that has to open one would start too late to race."""

    async def hold(ready: asyncio.Barrier) -> None:
        async with driver.runtime.db.connect() as conn:
            await conn.execute(select(1))
            await ready.wait()

    ready = asyncio.Barrier(connections)
    await asyncio.gather(*(hold(ready) for _ in range(connections)))


async def test_a_seat_change_a_po_change_and_a_transfer_applied_at_once_all_reach_the_view(driver, events):
    ids = [f"s-{n}" for n in range(SUBSCRIPTIONS)]
    for sid in ids:
        for event in events.bought(sid=sid):
            await driver.apply(event)
    await warm_pool(driver)
    later = events.START + timedelta(days=10)
    await asyncio.gather(
        *(
            driver.apply(event)
            for sid in ids
            for event in (
                events.seats_changed(2, 5, later, sid=sid),
                events.po_changed(f"PO-{sid}", later, sid=sid),
                events.transferred(later, sid=sid),
            )
        )
    )
    async with driver.uow() as uow:
        views = await uow.subscriptions.views(set(ids))
    for sid in ids:
        assert (views[sid].quantity, views[sid].po_number, views[sid].administrator) == (5, f"PO-{sid}", events.BOB)


async def test_an_issuer_that_read_a_line_as_pending_before_another_invoiced_it_fails_instead(driver, events):
    for event in events.bought(cycle=BillingCycle.MONTHLY):  # its line waits for the 1st
        await driver.apply(event)
    async with driver.uow() as uow:
        [line] = await uow.lines.pending_lines_of("s-1")

    draft = InvoiceDraft(account_id="a-1", po_number=None, administrator=events.ADA, lines=(line,))

    async with driver.uow() as uow:
        await uow.invoices.add(issue(draft, "inv-1", 1, events.START))
        await uow.commit()
    async with driver.uow() as uow:
        with pytest.raises(LinesAlreadyInvoiced):
            await uow.invoices.add(issue(draft, "inv-2", 2, events.START))
    async with driver.uow() as uow:
        assert (await uow.conn.execute(select(invoices.c.number))).scalars().all() == ["BE-INV-2026-000001"]


async def test_issue15_numbers_stay_gapless_when_issuers_race_and_some_roll_back(driver, events):
    """Twelve issuers of one seller's series at once; every third fails after taking its number
    and rolls back. The numbers kept are 1..8 with no gap and no repeat: the counter row is
    locked from the bump to the end of the transaction, and a rollback gives the number back."""
    for n in range(12):
        for event in events.bought(sid=f"s-{n}", cycle=BillingCycle.MONTHLY):  # lines wait for the 1st
            await driver.apply(event)
    async with driver.uow() as uow:
        pending = {n: await uow.lines.pending_lines_of(f"s-{n}") for n in range(12)}
    await warm_pool(driver, connections=12)

    class Abandoned(Exception):
        pass

    async def issuer(n: int) -> None:
        async with driver.uow() as uow:
            sequence = await uow.invoices.next_sequence("BE-INV-2026")
            draft = InvoiceDraft(account_id="a-1", po_number=None, administrator=events.ADA, lines=tuple(pending[n]))
            await uow.invoices.add(issue(draft, f"inv-{n}", sequence, events.START))
            if n % 3 == 0:
                raise Abandoned(n)
            await uow.commit()

    results = await asyncio.gather(*(issuer(n) for n in range(12)), return_exceptions=True)
    assert sum(isinstance(result, Abandoned) for result in results) == 4
    async with driver.uow() as uow:
        numbers = sorted((await uow.conn.execute(select(invoices.c.number))).scalars().all())
    assert numbers == [f"BE-INV-2026-{n:06d}" for n in range(1, 9)]
