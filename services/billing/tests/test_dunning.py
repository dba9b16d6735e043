"""Issue 15, item 6: dunning on the test clock, on SQLite and PostgreSQL. An annual invoice of
1,210.00 EUR issued on 20 February 2026 to a US buyer (no VAT), due on 22 March, for the term
5 January 2026 to 5 January 2027; overdue on 23 March; with the defaults, reminded on 25 March,
1 April and 11 April (3, 10 and 20 days), suspended on 21 April (30 days)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from billing.domain import dunning as rules
from billing.domain.dunning import DunningPolicy, parse_days
from billing.handlers import dunning as dunning_handlers
from billing.settings import BillingSettings
from contracts import testing

from .conftest import PUBLIC_URL, START, YEAR_END
from .test_payments_api import OPERATOR, issue_invoices

OVERDUE_AT = datetime(2026, 3, 23, tzinfo=UTC)
DUE = date(2026, 3, 22)


@pytest.fixture
def settings(operator_settings) -> BillingSettings:
    """On SQLite and PostgreSQL, with an operator token."""
    return operator_settings


def on(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def dunning_events(published: list[dict]) -> list[tuple[str, dict]]:
    kinds = {"billing.payment_reminder_due", "billing.subscriptions_suspended", "billing.subscriptions_reinstated"}
    return [(event["type"].removeprefix("billing."), event["data"]) for event in published if event["type"] in kinds]


async def fire_on(driver, clock, moment: datetime) -> list[tuple[str, dict]]:
    clock.set(moment)
    return dunning_events(await driver.fire_due())


async def pay(service, invoice_id: str, amount_minor: int, on_day: date):
    answer = await service.post(
        f"/ops/invoices/{invoice_id}/payments",
        json={"amount_minor": amount_minor, "currency": "EUR", "received_on": on_day.isoformat()},
        headers=OPERATOR,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def dunning_jobs(driver) -> list[tuple[str, datetime]]:
    return [(job, at) for job, at in await driver.pending_jobs() if job.startswith("dunning:")]


async def test_issue15_an_unpaid_annual_invoice_is_reminded_then_only_its_term_suspended_and_reinstated_when_paid(
    service, driver, clock, events
):
    [invoice_id] = await issue_invoices(driver, clock, events, totals=(121000,))

    overdue = await fire_on(driver, clock, OVERDUE_AT)

    assert overdue == []  # overdue today; the first reminder is 3 days after the due date
    assert [(job.rsplit(":", 1)[1], at) for job, at in await dunning_jobs(driver)] == [
        ("reminder-1", on(date(2026, 3, 25))),
        ("reminder-2", on(date(2026, 4, 1))),
        ("reminder-3", on(date(2026, 4, 11))),
        ("suspension", on(date(2026, 4, 21))),
    ]
    assert await fire_on(driver, clock, on(date(2026, 3, 25)) - timedelta(seconds=1)) == []

    [(kind, first)] = await fire_on(driver, clock, on(date(2026, 3, 25)))

    assert kind == "payment_reminder_due"
    assert (first["step"], first["days_overdue"], first["open_amount"], first["total"]) == (
        1,
        3,
        {"amount_minor": 121000, "currency": "EUR"},
        {"amount_minor": 121000, "currency": "EUR"},
    )
    assert (first["number"], first["due_on"], first["suspends_on"], first["language"]) == (
        "BE-INV-2026-000001",
        "2026-03-22",
        "2026-04-21",
        "en",
    )
    assert first["administrator"]["email"] == "ada@example.com"
    assert first["payment_reference"].startswith("RF") and first["url"] == f"{PUBLIC_URL}/invoices/{invoice_id}"

    clock.set(datetime(2026, 3, 28, 10, 0, tzinfo=UTC))
    assert (await pay(service, invoice_id, 21000, date(2026, 3, 28)))["state"] == "overdue"  # 1,000.00 still owed
    [(_, second)] = await fire_on(driver, clock, on(date(2026, 4, 1)))
    [(_, third)] = await fire_on(driver, clock, on(date(2026, 4, 11)))
    assert [(r["step"], r["days_overdue"], r["open_amount"]["amount_minor"]) for r in (second, third)] == [
        (2, 10, 100000),  # 1,210.00 - 210.00
        (3, 20, 100000),
    ]
    assert await fire_on(driver, clock, on(date(2026, 4, 21)) - timedelta(seconds=1)) == []

    [(kind, suspended)] = await fire_on(driver, clock, on(date(2026, 4, 21)))

    assert kind == "subscriptions_suspended"
    assert (suspended["reason"], suspended["suspended_at"], suspended["open_amount"]["amount_minor"]) == (
        "payment_overdue",
        "2026-04-21T00:00:00Z",
        100000,
    )
    assert suspended["periods"] == [
        {
            "subscription_id": "s-1",
            "start": START.isoformat().replace("+00:00", "Z"),
            "end": YEAR_END.isoformat().replace("+00:00", "Z"),
        }
    ]
    assert [job.rsplit(":", 1)[1] for job, _ in await dunning_jobs(driver)] == ["suspended-until"]

    clock.set(datetime(2026, 4, 25, 15, 30, tzinfo=UTC))
    before = len(await driver.published())
    assert (await pay(service, invoice_id, 100000, date(2026, 4, 25)))["state"] == "paid"

    [(kind, reinstated)] = dunning_events((await driver.published())[before:])  # at once: no job to wait for
    assert kind == "subscriptions_reinstated"
    assert (reinstated["invoice_id"], reinstated["subscription_ids"], reinstated["why"]) == (
        invoice_id,
        ["s-1"],
        "paid",
    )
    assert reinstated["reinstated_at"] == "2026-04-25T15:30:00Z"
    assert await dunning_jobs(driver) == []
    assert await fire_on(driver, clock, YEAR_END + timedelta(days=30)) == []


async def test_issue15_an_invoice_paid_between_two_reminders_gets_no_further_step(service, driver, clock, events):
    [invoice_id] = await issue_invoices(driver, clock, events, totals=(121000,))
    await fire_on(driver, clock, OVERDUE_AT)
    [(kind, _)] = await fire_on(driver, clock, on(date(2026, 3, 25)))
    assert kind == "payment_reminder_due"
    clock.set(datetime(2026, 3, 27, 9, 0, tzinfo=UTC))
    before = len(await driver.published())

    assert (await pay(service, invoice_id, 121000, date(2026, 3, 27)))["state"] == "paid"

    assert dunning_events((await driver.published())[before:]) == []  # never suspended: nothing to reinstate
    assert await dunning_jobs(driver) == []
    for day in (date(2026, 4, 1), date(2026, 4, 11), date(2026, 4, 21), date(2026, 6, 1)):
        assert await fire_on(driver, clock, on(day)) == []


async def test_issue15_a_step_still_scheduled_when_the_invoice_is_paid_does_nothing_when_it_fires(
    service, driver, clock, events
):
    """The steps re-read the invoice: even one that escaped cancelling says nothing once paid."""
    [invoice_id] = await issue_invoices(driver, clock, events, totals=(121000,))
    await fire_on(driver, clock, OVERDUE_AT)
    [(reminder_job, _), *_] = await dunning_jobs(driver)
    clock.set(datetime(2026, 3, 24, 9, 0, tzinfo=UTC))
    await pay(service, invoice_id, 121000, date(2026, 3, 24))
    async with driver.uow() as uow:  # as if it were still pending
        await uow.schedule(
            f"{reminder_job}-again",
            rules.REMINDER,
            "billing",
            on(date(2026, 3, 25)),
            {"invoice_id": invoice_id, "episode": 0, "step": 1, "days": 3},
        )
        await uow.commit()

    assert await fire_on(driver, clock, on(date(2026, 3, 25))) == []


async def test_issue15_a_mid_term_seat_increase_left_unpaid_is_reminded_but_suspends_nothing(
    service, driver, clock, events
):
    [term_invoice] = await issue_invoices(driver, clock, events, totals=(121000,))
    await pay(service, term_invoice, 121000, date(2026, 2, 20))  # the term is paid
    await driver.apply(events.seats_changed(1, 2, datetime(2026, 2, 20, 10, 0, tzinfo=UTC), sid="s-1", price=121000))
    async with driver.uow() as uow:
        [listed] = [i for i in await uow.invoices.of_account("a-1") if i.invoice_id != term_invoice]
        seats_invoice = await uow.invoices.get(listed.invoice_id)
    assert seats_invoice is not None
    assert (seats_invoice.number, seats_invoice.due_on, [line.kind.value for line in seats_invoice.lines]) == (
        "BE-INV-2026-000002",
        DUE,
        ["seats"],
    )

    await fire_on(driver, clock, OVERDUE_AT)

    assert [job.rsplit(":", 1)[1] for job, _ in await dunning_jobs(driver)] == [
        "reminder-1",
        "reminder-2",
        "reminder-3",
    ]
    [(_, first)] = await fire_on(driver, clock, on(date(2026, 3, 25)))
    assert (first["number"], first["step"], first["suspends_on"]) == ("BE-INV-2026-000002", 1, None)
    assert first["open_amount"] == seats_invoice.total.model_dump()
    steps = [await fire_on(driver, clock, on(day)) for day in (date(2026, 4, 1), date(2026, 4, 11), date(2026, 5, 1))]
    assert [[(kind, data["step"]) for kind, data in fired] for fired in steps] == [
        [("payment_reminder_due", 2)],
        [("payment_reminder_due", 3)],
        [],  # no suspension: the term was paid on BE-INV-2026-000001
    ]
    assert await driver.published("billing.subscriptions_suspended") == []


async def test_issue15_a_written_off_invoice_is_reminded_no_more_but_stays_suspended_until_paid(
    service, driver, clock, events
):
    [invoice_id] = await issue_invoices(driver, clock, events, totals=(121000,))
    await fire_on(driver, clock, OVERDUE_AT)
    clock.set(datetime(2026, 3, 24, 9, 0, tzinfo=UTC))
    written = await service.post(
        f"/ops/invoices/{invoice_id}/write-off", json={"reason": "insolvent"}, headers=OPERATOR
    )
    assert written.status_code == 200, written.text

    assert [job.rsplit(":", 1)[1] for job, _ in await dunning_jobs(driver)] == ["suspension"]
    assert [kind for kind, _ in await fire_on(driver, clock, on(date(2026, 4, 21)))] == ["subscriptions_suspended"]
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    before = len(await driver.published())
    await pay(service, invoice_id, 121000, date(2026, 6, 1))
    assert [(kind, data["why"]) for kind, data in dunning_events((await driver.published())[before:])] == [
        ("subscriptions_reinstated", "paid")
    ]


async def test_issue15_replaying_the_overdue_change_or_a_fired_step_changes_nothing(service, driver, clock, events):
    [invoice_id] = await issue_invoices(driver, clock, events, totals=(121000,))
    await fire_on(driver, clock, OVERDUE_AT)
    [changed] = [
        e["data"] for e in await driver.published("billing.invoice_state_changed") if e["data"]["state"] == "overdue"
    ]
    jobs = await dunning_jobs(driver)
    [(_, reminded)] = await fire_on(driver, clock, on(date(2026, 3, 25)))
    published = len(await driver.published())

    async with driver.uow() as uow:  # the same change seen again: its episode is in progress
        await dunning_handlers.invoice_state_changed(
            testing.invoice_state_changed(**changed),
            uow,
        )
        await uow.commit()
    again = await fire_on(driver, clock, on(date(2026, 3, 25)) + timedelta(hours=1))

    assert again == []
    assert await dunning_jobs(driver) == jobs[1:]  # reminder 1 fired once, the rest as scheduled
    assert len(await driver.published()) == published
    assert reminded["step"] == 1 and reminded["invoice_id"] == invoice_id


def test_issue15_the_dunning_defaults_and_their_checks_at_start():
    assert BillingSettings().dunning_policy() == DunningPolicy((3, 10, 20), 30)
    assert BillingSettings(reminder_days=" 5, 15 ", suspend_after_days=0).dunning_policy() == DunningPolicy((5, 15), 0)
    assert BillingSettings(reminder_days="", suspend_after_days=7).dunning_policy() == DunningPolicy((), 7)
    for wrong, says in (
        ({"reminder_days": "3,ten"}, "whole numbers"),
        ({"reminder_days": "10,3"}, "must increase"),
        ({"reminder_days": "3,3"}, "must increase"),
        ({"reminder_days": "0,3"}, "1 to 365"),
        ({"reminder_days": "3,400", "suspend_after_days": 401}, "1 to 365"),
        ({"reminder_days": ",".join(str(n) for n in range(1, 12))}, "at most 10"),
        ({"suspend_after_days": 20}, "after the last reminder"),
        ({"suspend_after_days": 366}, "1 to 365"),
        ({"suspend_after_days": -1}, "1 to 365"),
    ):
        with pytest.raises(ValidationError, match=says):
            BillingSettings(**wrong)
    with pytest.raises(ValueError, match="must increase"):
        parse_days("1,2,2")


def test_issue15_steps_already_past_when_an_invoice_falls_overdue_late_are_not_all_sent_at_once():
    policy = DunningPolicy((3, 10, 20), 30)
    steps = policy.steps(suspends=True)
    due = date(2026, 3, 22)
    assert [(step.name, step.due_at(due).date()) for step in steps] == [
        ("reminder-1", date(2026, 3, 25)),
        ("reminder-2", date(2026, 4, 1)),
        ("reminder-3", date(2026, 4, 11)),
        ("suspension", date(2026, 4, 21)),
    ]
    assert [step.name for step in policy.steps(suspends=False)] == ["reminder-1", "reminder-2", "reminder-3"]
    assert [step.name for step in DunningPolicy((3,), 0).steps(suspends=True)] == ["reminder-1"]
