"""Handlers over a real SQLite database: the jobs each step schedules, and the quantity in
force taken from the seats service's events."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from contracts.seats import SeatQuantityChanged
from contracts.values import BillingCycle, Contact, LicenceType, Money
from servicekit.auth import Caller
from servicekit.clock import FixedClock
from servicekit.db import Database
from servicekit.scheduler import DueJob
from servicekit.tables import due_jobs, outbox
from servicekit.uow import UnitOfWork
from subscriptions import domain
from subscriptions.handlers import changes, lifecycle, orders
from subscriptions.store import SubscriptionRepository, metadata

START = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada")
PORTAL = "http://portal.test"


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/subscriptions.db", "subscriptions", (metadata,))
    await database.migrate("subscriptions")
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


async def run(db, clock, act):
    async with UnitOfWork(db, clock, "subscriptions") as uow:
        result = await act(uow)
        await uow.commit()
    return result


async def rows(db, table, *where):
    async with db.connect() as conn:
        return list(await conn.execute(select(table).where(*where)))


def order(**changes) -> domain.Order:
    fields = dict(subscription_id="s-1", account_id="a-1", product="designer", tier="standard",
                  administrator=Contact(person_id="p-ada", email="ada@example.com"),
                  licence_type=LicenceType.NAMED_USER, billing_cycle=BillingCycle.MONTHLY, quantity=2)
    return domain.Order(**{**fields, **changes})


async def activated(db, clock, catalogue, **changes) -> domain.Subscription:
    setup = dict(catalogue=catalogue, portal_url=PORTAL)
    await run(db, clock, lambda uow: orders.place_order(order(**changes), uow, **setup))
    return await run(db, clock, lambda uow: orders.accept_agreement("s-1", ADA, uow))


async def fire_next(db, clock, kind, handler) -> DueJob:
    [row] = await rows(db, due_jobs, due_jobs.c.kind == kind, due_jobs.c.done_at.is_(None))
    job = DueJob(row.job_id, row.kind, row.subject, row.due_at, json.loads(row.payload))
    clock.set(job.due_at + timedelta(hours=1))  # the scheduler runs late; the job is not
    await run(db, clock, lambda uow: handler(job, uow))
    async with db.connect() as conn:  # marked done, as the scheduler does
        await conn.execute(due_jobs.update().where(due_jobs.c.job_id == job.job_id)
                           .values(done_at=clock.now()))
        await conn.commit()
    return job


async def test_R11_activation_schedules_the_term_end_and_each_renewal_the_next(db, clock, catalogue):
    s = await activated(db, clock, catalogue)
    job = await fire_next(db, clock, "term_end", lambda j, uow: lifecycle.end_term(j, uow, catalogue=catalogue))
    assert job.due_at == s.term_end
    [renewed] = await rows(db, outbox, outbox.c.event_type == "subscription.renewed")
    assert json.loads(renewed.body)["data"]["term_start"].startswith("2026-02-05T09:00")
    [following] = await rows(db, due_jobs, due_jobs.c.kind == "term_end", due_jobs.c.done_at.is_(None))
    assert following.due_at == datetime(2026, 3, 5, 9, tzinfo=timezone.utc)


async def test_R15_a_fixed_term_gets_a_grace_job_that_lapses_it(db, clock, catalogue):
    await activated(db, clock, catalogue, billing_cycle=BillingCycle.TERM, term_ends_on=date(2026, 3, 1))
    await fire_next(db, clock, "term_end", lambda j, uow: lifecycle.end_term(j, uow, catalogue=catalogue))
    grace = await fire_next(db, clock, "grace_end", lifecycle.end_grace)
    assert grace.due_at == datetime(2026, 3, 11, tzinfo=timezone.utc)
    async with db.connect() as conn:
        s = await SubscriptionRepository(conn).get("s-1")
    assert (s.status, s.ended_reason, s.ended_at) == (domain.Status.ENDED, "lapsed", grace.due_at)


async def test_R12_the_quantity_in_force_comes_from_the_seats_service(db, clock, catalogue):
    s = await activated(db, clock, catalogue)
    changed = dict(account_id="a-1", previous_quantity=2, new_quantity=5, requested_at=START,
                   effective_at=START, term_start=s.term_start, term_end=s.term_end,
                   unit_price=Money(amount_minor=3300, currency="EUR"))
    for subscription_id in ("s-1", "s-unknown"):  # one this service never saw is ignored
        event = SeatQuantityChanged(subscription_id=subscription_id, **changed)
        await run(db, clock, lambda uow: changes.record_quantity(event, uow))
    async with db.connect() as conn:
        assert (await SubscriptionRepository(conn).get("s-1")).quantity == 5


async def test_accepting_an_order_continues_the_purchase_s_correlation(db, clock, catalogue):
    async def in_request(correlation_id, act):
        async with UnitOfWork(db, clock, "subscriptions", correlation_id=correlation_id) as uow:
            await act(uow)
            await uow.commit()

    await in_request("purchase-request", lambda uow: orders.place_order(order(), uow, catalogue=catalogue,
                                                                         portal_url=PORTAL))
    await in_request("acceptance-request", lambda uow: orders.accept_agreement("s-1", ADA, uow))

    published = {row.event_type: json.loads(row.body)["correlationid"] for row in await rows(db, outbox)}
    assert published["subscription.activated"] == published["subscription.purchased"] == "purchase-request"
