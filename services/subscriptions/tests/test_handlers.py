"""Handlers over a real SQLite database: the jobs each step schedules, and the quantity in
force taken from the seats service's events."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from contracts import testing
from contracts.errors import InconsistentEvent, Refusal, RuleViolation
from contracts.identity import ContactAdded, PersonRegistered
from contracts.seats import SeatQuantityChanged
from contracts.testing import T0, eur
from contracts.values import BillingCycle, Contact, LicenceType
from servicekit.http.auth import Caller
from servicekit.scheduler import DueJob
from servicekit.store.tables import due_jobs, outbox
from subscriptions import domain
from subscriptions.handlers import changes, lifecycle, orders

START = T0  # the service's clock (conftest.py): Monday 2026-01-05 09:00 UTC
ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada")
PORTAL = "http://portal.test"


async def run(driver, act, **context):
    """`act(uow)` in one transaction of the service's unit of work, committed."""
    async with driver.runtime.uow(**context) as uow:
        result = await act(uow)
        await uow.commit()
    return result


async def rows(driver, table, *where):
    async with driver.runtime.db.connect() as conn:
        return list(await conn.execute(select(table).where(*where)))


async def stored(driver, subscription_id: str = "s-1") -> domain.Subscription:
    async with driver.uow() as uow:
        return await uow.subscriptions.get(subscription_id)


def order(**changes) -> domain.Order:
    fields = dict(
        subscription_id="s-1",
        account_id="a-1",
        product="designer",
        tier="standard",
        administrator=Contact(person_id="p-ada", email="ada@example.com"),
        licence_type=LicenceType.NAMED_USER,
        billing_cycle=BillingCycle.MONTHLY,
        quantity=2,
    )
    return domain.Order(**{**fields, **changes})


async def activated(driver, catalogue, **changes) -> domain.Subscription:
    await run(driver, lambda uow: orders.place_order(order(**changes), uow, catalogue=catalogue, portal_url=PORTAL))
    return await run(driver, lambda uow: orders.accept_agreement("s-1", ADA, uow, catalogue=catalogue))


async def fire_next(driver, clock, kind, handler) -> DueJob:
    [row] = await rows(driver, due_jobs, due_jobs.c.kind == kind, due_jobs.c.done_at.is_(None))
    job = DueJob(row.job_id, row.kind, row.subject, row.due_at, json.loads(row.payload))
    clock.set(job.due_at + timedelta(hours=1))  # the scheduler runs late; the job is not
    await run(driver, lambda uow: handler(job, uow))
    async with driver.runtime.db.connect() as conn:  # marked done, as the scheduler does
        await conn.execute(due_jobs.update().where(due_jobs.c.job_id == job.job_id).values(done_at=clock.now()))
        await conn.commit()
    return job


async def test_R11_activation_schedules_the_term_end_and_each_renewal_the_next(driver, clock, catalogue):
    s = await activated(driver, catalogue)
    job = await fire_next(driver, clock, "term_end", lambda j, uow: lifecycle.end_term(j, uow, catalogue=catalogue))
    assert job.due_at == s.term_end
    [renewed] = await rows(driver, outbox, outbox.c.event_type == "subscription.renewed")
    assert json.loads(renewed.body)["data"]["term_start"].startswith("2026-02-05T09:00")
    [following] = await rows(driver, due_jobs, due_jobs.c.kind == "term_end", due_jobs.c.done_at.is_(None))
    assert following.due_at == datetime(2026, 3, 5, 9, tzinfo=UTC)


async def test_R15_a_fixed_term_gets_a_grace_job_that_lapses_it(driver, clock, catalogue):
    await activated(driver, catalogue, billing_cycle=BillingCycle.TERM, term_ends_on=date(2026, 3, 1))
    await fire_next(driver, clock, "term_end", lambda j, uow: lifecycle.end_term(j, uow, catalogue=catalogue))
    grace = await fire_next(driver, clock, "grace_end", lifecycle.end_grace)
    assert grace.due_at == datetime(2026, 3, 11, tzinfo=UTC)
    s = await stored(driver)
    assert (s.status, s.ended_reason, s.ended_at) == (domain.Status.ENDED, "lapsed", grace.due_at)


async def test_R48_a_cancelled_monthly_subscription_gets_a_grace_job_and_renewing_it_schedules_the_next_term(
    driver, clock, catalogue
):
    s = await activated(driver, catalogue)
    await run(driver, lambda uow: lifecycle.cancel("s-1", ADA, "budget", uow))
    await fire_next(driver, clock, "term_end", lambda j, uow: lifecycle.end_term(j, uow, catalogue=catalogue))
    assert (await stored(driver)).status is domain.Status.GRACE
    [grace] = await rows(driver, due_jobs, due_jobs.c.kind == "grace_end", due_jobs.c.done_at.is_(None))
    assert grace.due_at == s.term_end + timedelta(days=10)

    clock.set(s.term_end + timedelta(days=9))
    renewed = await run(driver, lambda uow: lifecycle.renew_in_grace("s-1", ADA, None, uow, catalogue=catalogue))
    assert (renewed.status, renewed.term_start, renewed.cancels_at) == (domain.Status.ACTIVE, s.term_end, None)
    assert await rows(driver, due_jobs, due_jobs.c.kind == "grace_end", due_jobs.c.done_at.is_(None)) == []
    [following] = await rows(driver, due_jobs, due_jobs.c.kind == "term_end", due_jobs.c.done_at.is_(None))
    assert following.due_at == renewed.term_end == datetime(2026, 3, 5, 9, tzinfo=UTC)


async def test_R48_a_cancelled_monthly_subscription_not_renewed_ends_cancelled_after_ten_days(driver, clock, catalogue):
    s = await activated(driver, catalogue)
    await run(driver, lambda uow: lifecycle.cancel("s-1", ADA, "budget", uow))
    await fire_next(driver, clock, "term_end", lambda j, uow: lifecycle.end_term(j, uow, catalogue=catalogue))
    grace = await fire_next(driver, clock, "grace_end", lifecycle.end_grace)
    ended = await stored(driver)
    assert (ended.status, ended.ended_reason, ended.ended_at) == (domain.Status.ENDED, "cancelled", grace.due_at)
    assert grace.due_at == s.term_end + timedelta(days=10)


def quantity_changed(s: domain.Subscription, **changes) -> SeatQuantityChanged:
    """The seats service's 2 to 5 seats at START, in the subscription's (monthly) term."""
    return testing.quantity_changed(
        **{
            "subscription_id": s.id,
            "account_id": s.account_id,
            "previous_quantity": 2,
            "to": 5,
            "at": START,
            "term_start": s.term_start,
            "term_end": s.term_end,
            "unit_price": eur(3300),
            **changes,
        }
    )


async def test_R12_the_quantity_in_force_comes_from_the_seats_service(driver, catalogue):
    s = await activated(driver, catalogue)
    await run(driver, lambda uow: changes.record_quantity(quantity_changed(s), uow))
    assert (await stored(driver)).quantity == 5


@pytest.mark.parametrize("forged", [dict(subscription_id="s-never-created"), dict(account_id="a-other")])
async def test_a_seat_quantity_event_about_a_subscription_it_never_created_or_of_another_account_is_inconsistent(
    driver, catalogue, forged
):
    """Issue 11 item 1: such an event is refused (the consumer dead-letters it as
    `inconsistent`) and changes nothing; it used to be ignored or applied."""
    s = await activated(driver, catalogue)
    with pytest.raises(InconsistentEvent):
        await run(driver, lambda uow: changes.record_quantity(quantity_changed(s, to=40, **forged), uow))
    assert (await stored(driver)).quantity == 2


def registered(
    person_id: str, email: str, name: str = "Nia", locale: str = "nl", at: datetime = START
) -> PersonRegistered:
    return testing.person_registered(
        person=Contact(person_id=person_id, email=email, name=name, locale=locale), registered_at=at
    )


def contact_added(
    email: str, account_id: str = "a-1", linked: bool = False, person_id: str = "contact-row-id"
) -> ContactAdded:
    """Added to the company by Ada at START; invited (a stand-in id) unless `linked`."""
    return testing.contact_added(
        account_id=account_id, linked=linked, contact=Contact(person_id=person_id, email=email, name="Nia Nieuw")
    )


async def learn(driver, *events) -> None:
    """Identity's events through the service's consumer, each in a batch (a transaction) of its own."""
    for event in events:
        await driver.deliver(event)
    assert driver.dead_letters == []


async def transfer(driver, email: str) -> domain.Subscription:
    return await run(driver, lambda uow: changes.transfer_administrator("s-1", ADA, email, uow))


@pytest.mark.parametrize("arrival", ["contact first", "person first"])
async def test_R17_R38_a_transfer_names_a_registered_contact_by_email_and_takes_identity_s_details(
    driver, catalogue, arrival
):
    """Issue 11 item 23. Contact and person events travel under different keys, so either
    may arrive first; the invitation's stand-in id is never taken for the person's."""
    await activated(driver, catalogue)
    contact, person = contact_added("nia@example.com"), registered("p-nia", "nia@example.com")
    await learn(driver, *((contact, person) if arrival == "contact first" else (person, contact)))

    moved = await transfer(driver, "Nia@Example.com")
    assert moved.administrator == Contact(person_id="p-nia", email="nia@example.com", name="Nia", locale="nl")
    [event] = await rows(driver, outbox, outbox.c.event_type == "subscription.administrator_transferred")
    data = json.loads(event.body)["data"]
    assert data["new_administrator"]["person_id"] == "p-nia" and data["previous_administrator"]["person_id"] == "p-ada"


async def test_R17_a_transfer_to_an_address_that_is_no_contact_of_the_company_is_refused_saying_how(driver, catalogue):
    await activated(driver, catalogue)
    # Registered, and a contact of another company: still no contact of this one.
    await learn(driver, registered("p-eve", "eve@example.com"), contact_added("eve@example.com", "a-other"))
    for stranger in ("eve@example.com", "nobody@example.com"):  # the same answer, registered or not
        with pytest.raises(RuleViolation) as refused:
            await transfer(driver, stranger)
        assert (refused.value.code, refused.value.rule, refused.value.refusal) == (
            "not_a_company_contact",
            "R17",
            Refusal.CONFLICT,
        )
        assert "POST /accounts/a-1/contacts" in refused.value.message
    assert (await stored(driver)).administrator.person_id == "p-ada"


async def test_R17_a_contact_who_has_not_registered_yet_cannot_become_administrator(driver, catalogue):
    await activated(driver, catalogue)
    await learn(driver, contact_added("late@example.com"))
    with pytest.raises(RuleViolation) as refused:
        await transfer(driver, "late@example.com")
    assert (refused.value.code, refused.value.rule) == ("contact_not_registered", "R17")
    await learn(driver, registered("p-late", "late@example.com"))
    assert (await transfer(driver, "late@example.com")).administrator.person_id == "p-late"


async def test_R17_the_company_founder_is_a_contact_and_a_withdrawn_account_has_none(driver, catalogue):
    await activated(driver, catalogue)
    founded = testing.account_registered(administrator_id="p-bo")  # account a-1, at START
    await learn(driver, registered("p-bo", "bo@example.com"), founded)
    async with driver.uow() as uow:
        assert (await uow.contacts.find("a-1", "bo@example.com")).is_contact
    await learn(driver, testing.account_withdrawn())  # account a-1, at START
    with pytest.raises(RuleViolation) as refused:
        await transfer(driver, "bo@example.com")
    assert refused.value.code == "not_a_company_contact"


async def test_R6_a_stranger_s_transfer_is_404_before_any_contact_is_looked_up(driver, catalogue):
    await activated(driver, catalogue)
    stranger = Caller(person_id="p-eve", account_id="a-other", email="eve@example.com", name="Eve")
    with pytest.raises(RuleViolation) as refused:
        await run(driver, lambda uow: changes.transfer_administrator("s-1", stranger, "x@example.com", uow))
    assert refused.value.code == "subscription_not_found"


async def test_a_repeated_registration_keeps_the_latest_name_and_language(driver, catalogue):
    await activated(driver, catalogue)
    later = START + timedelta(hours=1)
    await learn(
        driver,
        contact_added("nia@example.com"),
        registered("p-nia", "nia@example.com", "Nia", "nl", later),
        registered("p-nia", "nia@example.com", "Old Name", "de", START),
    )  # an older one, seen late
    assert (await transfer(driver, "nia@example.com")).administrator.name == "Nia"


async def test_accepting_an_order_continues_the_purchase_s_correlation(driver, catalogue):
    async def in_request(correlation_id, act):
        await run(driver, act, correlation_id=correlation_id)

    await in_request(
        "purchase-request", lambda uow: orders.place_order(order(), uow, catalogue=catalogue, portal_url=PORTAL)
    )
    await in_request("acceptance-request", lambda uow: orders.accept_agreement("s-1", ADA, uow, catalogue=catalogue))

    published = {row.event_type: json.loads(row.body)["correlationid"] for row in await rows(driver, outbox)}
    assert published["subscription.activated"] == published["subscription.purchased"] == "purchase-request"


@pytest.mark.parametrize(
    "administrator",
    [
        dict(email="buyer@example.com\r\nBcc: all@example.com"),
        dict(email="a@example.com, b@example.com"),
        dict(name="Bo\r\nX-Header: 1"),
        dict(locale="en\r\n"),
    ],
)
async def test_a_purchase_command_with_a_broken_administrator_is_refused_and_orders_nothing(
    driver, catalogue, administrator
):
    """Issue 11 item 2: a shop's command passes the checks of the HTTP edge; refused, the
    consumer dead-letters it instead of mailing a header-breaking name or address."""
    command = testing.purchase_subscription(
        subscription_id="s-cmd",
        account_id="a-shop",
        billing_cycle=BillingCycle.MONTHLY,
        quantity=1,
        administrator=Contact(**{"person_id": "p-bo", "email": "bo@example.com", "name": "Bo", **administrator}),
    )
    with pytest.raises(RuleViolation) as refused:
        await run(driver, lambda uow: orders.purchase(command, uow, catalogue=catalogue, portal_url=PORTAL))
    assert (refused.value.code, refused.value.refusal) == ("invalid_administrator", Refusal.INVALID)
    async with driver.uow() as uow:
        assert await uow.subscriptions.find("s-cmd") is None
