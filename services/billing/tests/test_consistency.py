"""Events that contradict billing's view are refused, never applied (issue 11, item 1): the
consumer dead-letters them with the reason `inconsistent`. Over a real SQLite database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from billing.store.tables import parked_events
from contracts.errors import InconsistentEvent
from contracts.subscriptions import AdministratorTransferred
from contracts.values import Contact
from servicekit.store.tables import outbox

MALLORY = Contact(person_id="p-mallory", email="mallory@example.com", name="Mallory")


async def refused(driver, event) -> str:
    with pytest.raises(InconsistentEvent) as refusal:
        await driver.apply(event)
    assert refusal.value.code == "inconsistent_event"
    return refusal.value.message


async def state(driver, sid="s-1"):
    """The view, its lines, the invoices of account a-1 and every event billing published."""
    async with driver.uow() as uow:
        published = (await uow.conn.execute(select(outbox.c.event_type))).scalars().all()
        return (
            await uow.subscriptions.view(sid),
            await uow.lines.lines_of(sid),
            await uow.invoices.of_account("a-1"),
            sorted(published),
        )


async def test_a_forged_transfer_to_another_account_s_person_moves_nothing(driver, events):
    await driver.apply(*events.bought())
    before = await state(driver)
    forged = AdministratorTransferred(
        subscription_id="s-1",
        account_id="a-mallory",
        previous_administrator=events.ADA,
        new_administrator=MALLORY,
        transferred_at=events.START + timedelta(days=1),
    )
    assert "a-mallory" in await refused(driver, forged)
    assert await state(driver) == before
    async with driver.uow() as uow:
        repo = uow.subscriptions
        assert await repo.administers(events.ADA.person_id, "a-1", "s-1")
        assert not await repo.administers_in(MALLORY.person_id, "a-mallory")


async def test_a_transfer_that_does_not_start_from_the_administrator_billing_knows_is_refused(driver, events):
    await driver.apply(*events.bought())
    forged = AdministratorTransferred(
        subscription_id="s-1",
        account_id="a-1",
        previous_administrator=MALLORY,
        new_administrator=MALLORY,
        transferred_at=events.START,
    )
    assert "previous administrator" in await refused(driver, forged)
    await driver.apply(events.transferred(events.START + timedelta(days=1)))  # the real one applies
    assert (await state(driver))[0].administrator == events.BOB


@pytest.mark.parametrize(
    "unknown", ["activated", "renewed", "transferred", "tier_changed", "addon_added", "po_changed"]
)
async def test_no_event_applies_to_a_subscription_billing_never_saw_bought(driver, events, unknown):
    at = events.START + timedelta(days=3)
    event = {
        "activated": lambda: events.activated(quantity=500),
        "renewed": events.renewed,
        "transferred": lambda: events.transferred(at),
        "tier_changed": lambda: events.tier_changed(at),
        "addon_added": lambda: events.addon_added(at),
        "po_changed": lambda: events.po_changed("PO", at),
    }[unknown]()
    assert "never saw bought" in await refused(driver, event)
    view, lines, invoices, published = await state(driver)
    assert (view, lines, invoices, published) == (None, [], [], [])


@pytest.mark.parametrize(
    "change, differing",
    [
        (dict(quantity=500), "quantity"),
        (dict(price=1), "unit price"),
        (dict(tier="enterprise"), "tier"),
        (dict(admin=MALLORY), "administrator"),
    ],
)
async def test_an_activation_must_agree_with_the_purchase(driver, events, change, differing):
    await driver.apply(events.purchased())
    assert differing in await refused(driver, events.activated(**change))
    view, lines, invoices, _ = await state(driver)
    assert (view.stage, lines, invoices) == ("purchased", [], [])
    await driver.apply(events.activated())  # the one that agrees still activates
    assert len((await state(driver))[1]) == 1


async def test_a_second_activation_or_purchase_charges_nothing_more(driver, events):
    await driver.apply(*events.bought())
    before = await state(driver)
    assert "purchased; billing saw it active" in await refused(driver, events.activated())
    await refused(driver, events.purchased())
    await refused(driver, events.trial_started())
    assert await state(driver) == before


async def test_a_renewal_must_start_where_the_current_term_ends_and_name_its_administrator(driver, events):
    await driver.apply(*events.bought())
    before = await state(driver)
    assert "starts a term" in await refused(driver, events.renewed(start=events.START + timedelta(days=7)))
    renewal = events.renewed().model_copy(update={"administrator": MALLORY})
    assert "administrator" in await refused(driver, renewal)
    assert await state(driver) == before
    await driver.apply(events.renewed())
    assert len((await state(driver))[1]) == 2


async def test_a_tier_change_or_add_on_outside_the_current_term_or_from_another_tier_is_refused(driver, events):
    await driver.apply(*events.bought(tier="premium", price=73000))
    at = events.START + timedelta(days=30)
    await refused(driver, events.tier_changed(at, from_tier="standard"))
    await refused(driver, events.tier_changed(at, end=events.YEAR_END + timedelta(days=365)))
    await refused(driver, events.addon_added(at).model_copy(update={"term_start": at}))
    assert len((await state(driver))[1]) == 1
    await driver.apply(events.tier_changed(at), events.addon_added(at))
    assert len((await state(driver))[1]) == 4


async def test_a_trial_converts_with_its_purchase_and_activation(driver, events):
    await driver.apply(events.trial_started())
    await refused(driver, events.activated(tier="premium"))  # a trial is converted by a purchase first
    await driver.apply(events.purchased(tier="premium", converts_trial=True), events.activated(tier="premium"))
    view, lines, invoices, _ = await state(driver)
    assert (view.stage, len(lines), len(invoices)) == ("active", 1, 1)


async def test_seat_events_read_before_the_activation_wait_for_it_and_apply_once(driver, events):
    """The seats topic is read beside the subscriptions topic: a seat event may come first."""
    await driver.apply(events.seats_changed(2, 4, events.START + timedelta(days=1)))
    await driver.apply(events.purchased())
    assert (await state(driver))[1] == []  # waiting: the subscription does not run yet
    await driver.apply(events.activated())
    view, lines, invoices, published = await state(driver)
    assert (view.quantity, len(lines), len(invoices)) == (4, 2, 1)
    assert published.count("billing.invoice_adjusted") == 1
    async with driver.uow() as uow:
        assert (await uow.conn.execute(select(parked_events))).all() == []


async def test_a_seat_event_about_a_subscription_never_bought_is_never_applied(driver, events):
    await driver.apply(events.seats_changed(2, 500, events.START, sid="s-forged", account="a-mallory"))
    assert await state(driver, "s-forged") == (None, [], [], [])


async def test_a_seat_event_naming_another_account_is_refused_or_dropped_when_it_waited(driver, events):
    await driver.apply(*events.bought())
    assert "a-mallory" in await refused(driver, events.seats_changed(2, 9, events.START, account="a-mallory"))
    # One that waited for the start is checked when the subscription starts, and dropped.
    await driver.apply(
        events.seats_changed(2, 9, events.START, sid="s-2", account="a-mallory"), *events.bought(sid="s-2")
    )
    view, lines, _, _ = await state(driver, "s-2")
    assert (view.quantity, [line.kind.value for line in lines]) == (2, ["term"])
