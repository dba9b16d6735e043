"""R20, issue 15: an add-on only when the base subscription's invoices are paid. Billing's
`billing.invoice_state_changed` events go through the service's real consumer, on SQLite and
PostgreSQL, and the add-on is asked for over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from contracts import testing
from contracts.envelope import Envelope
from contracts.values import BillingCycle, Contact, LicenceType
from devkit.testing import ServiceDriver
from servicekit.http.auth import Caller
from subscriptions import domain
from subscriptions.app import build
from subscriptions.handlers import orders
from subscriptions.settings import SubscriptionsSettings
from subscriptions.store.tables import unsettled_invoices
from subscriptions.store.uow import SubscriptionsUnitOfWork

ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada")
PORTAL = "http://portal.test"
INVOICE = dict(invoice_id="inv-1", invoice_number="BE-INV-2026-000001", account_id="a-1")


@pytest.fixture
async def driver(database_target, tmp_path, clock) -> AsyncIterator[ServiceDriver[SubscriptionsUnitOfWork]]:
    """The service, migrated, on SQLite and on a PostgreSQL schema of its own."""
    url, schema = database_target
    settings = SubscriptionsSettings(
        database_url=url,
        db_schema=f"subscriptions_{uuid.uuid4().hex[:8]}" if schema != "kit" else "subscriptions",
        var_dir=str(tmp_path),
    )
    driver = await ServiceDriver.start(build(settings, clock=clock))
    yield driver
    if not driver.runtime.db.is_sqlite:
        await driver.runtime.db.drop_schema()
    await driver.close()


async def activated(driver, catalogue, subscription_id: str = "s-1") -> None:
    """An annual subscription of account a-1, administered by Ada, active."""
    order = domain.Order(
        subscription_id=subscription_id,
        account_id="a-1",
        administrator=Contact(person_id="p-ada", email="ada@example.com"),
        product="designer",
        tier="standard",
        licence_type=LicenceType.NAMED_USER,
        billing_cycle=BillingCycle.ANNUAL,
        quantity=2,
    )
    async with driver.runtime.uow() as uow:
        await orders.place_order(order, uow, catalogue=catalogue, portal_url=PORTAL)
        await orders.accept_agreement(subscription_id, ADA, uow, catalogue=catalogue)
        await uow.commit()


def invoice(state: str, previous: str | None = "open", subscription_ids=("s-1",), **changes):
    return testing.invoice_state_changed(
        **{**INVOICE, "previous": previous, "state": state, "subscription_ids": list(subscription_ids), **changes}
    )


async def add_addon(driver, addon: str = "cloud_storage", subscription_id: str = "s-1"):
    async with driver.client(ADA) as http:
        return await http.post(f"/subscriptions/{subscription_id}/addons", json={"addon": addon})


async def unsettled(driver) -> list[tuple[str, str, str, str]]:
    async with driver.runtime.db.connect() as conn:
        rows = await conn.execute(
            select(
                unsettled_invoices.c.subscription_id,
                unsettled_invoices.c.invoice_id,
                unsettled_invoices.c.invoice_number,
                unsettled_invoices.c.state,
            ).order_by(unsettled_invoices.c.subscription_id, unsettled_invoices.c.invoice_id)
        )
        return [tuple(row) for row in rows]


async def test_R20_an_open_invoice_refuses_the_add_on_with_409_naming_it_and_paying_it_allows_it(driver, catalogue):
    await activated(driver, catalogue)
    await driver.deliver(invoice("open", previous=None))

    refused = await add_addon(driver)
    assert (refused.status_code, refused.json()["code"]) == (409, "base_not_paid"), refused.text
    assert "BE-INV-2026-000001" in refused.json()["message"]
    assert await driver.published("subscription.addon_added") == []

    await driver.deliver(invoice("partially_paid"), invoice("paid", previous="partially_paid"))
    assert await unsettled(driver) == []
    added = await add_addon(driver)
    assert added.status_code == 200, added.text
    assert added.json()["addons"] == ["cloud_storage"]


async def test_R20_a_void_invoice_holds_nothing_back(driver, catalogue):
    await activated(driver, catalogue)
    await driver.deliver(invoice("open", previous=None), invoice("void", reason="credited by BE-CN-2026-000001"))
    assert (await add_addon(driver)).status_code == 200


async def test_R20_a_written_off_invoice_is_not_paid_and_still_refuses_the_add_on(driver, catalogue):
    await activated(driver, catalogue)
    await driver.deliver(invoice("open", previous=None), invoice("overdue"))
    await driver.deliver(invoice("uncollectible", previous="overdue", reason="customer insolvent"))
    assert await unsettled(driver) == [("s-1", "inv-1", "BE-INV-2026-000001", "uncollectible")]
    refused = await add_addon(driver)
    assert (refused.status_code, refused.json()["code"]) == (409, "base_not_paid")


async def test_R20_an_unpaid_invoice_of_another_subscription_does_not_block_this_one(driver, catalogue):
    await activated(driver, catalogue, "s-1")
    await activated(driver, catalogue, "s-2")
    await driver.deliver(invoice("open", previous=None, subscription_ids=["s-2"]))
    assert (await add_addon(driver, subscription_id="s-1")).status_code == 200
    assert (await add_addon(driver, subscription_id="s-2")).status_code == 409


async def test_R20_an_invoice_charging_two_subscriptions_blocks_both_until_paid(driver, catalogue):
    await activated(driver, catalogue, "s-1")
    await activated(driver, catalogue, "s-2")
    await driver.deliver(invoice("open", previous=None, subscription_ids=["s-1", "s-2"]))
    assert [row[0] for row in await unsettled(driver)] == ["s-1", "s-2"]
    await driver.deliver(invoice("paid", subscription_ids=["s-1", "s-2"]))
    assert await unsettled(driver) == []


async def test_R20_a_duplicate_event_changes_nothing_more(driver, catalogue):
    await activated(driver, catalogue)
    opened = Envelope.wrap(invoice("open", previous=None), source="billing", time=driver.runtime.clock.now())
    await driver.deliver(opened, opened)  # the broker delivering the same record twice: the inbox
    await driver.deliver(invoice("open", previous=None))  # the same state again, as a new event
    assert await unsettled(driver) == [("s-1", "inv-1", "BE-INV-2026-000001", "open")]
    paid = Envelope.wrap(invoice("paid"), source="billing", time=driver.runtime.clock.now())
    await driver.deliver(paid)
    await driver.deliver(paid)
    assert await unsettled(driver) == []
    assert driver.dead_letters == []


async def test_R20_old_events_without_subscriptions_and_other_billing_events_are_read_and_change_nothing(
    driver, catalogue
):
    """Events published before billing named the subscriptions still parse; billing's other
    event types on the topic are skipped, not dead-lettered."""
    await activated(driver, catalogue)
    old = invoice("open", previous=None).model_dump(mode="json")
    del old["subscription_ids"]
    old_envelope = Envelope.wrap(invoice("open", previous=None), source="billing", time=driver.runtime.clock.now())
    old_envelope = old_envelope.model_copy(update={"data": old})
    await driver.deliver(old_envelope, testing.payment_recorded())
    assert driver.dead_letters == []
    assert await unsettled(driver) == []
    assert (await add_addon(driver)).status_code == 200


async def test_R20_an_invoice_naming_a_subscription_it_never_created_or_of_another_account_is_inconsistent(
    driver, catalogue
):
    await activated(driver, catalogue)
    await driver.deliver(invoice("open", previous=None, subscription_ids=["s-unknown"]))
    await driver.deliver(invoice("open", previous=None, account_id="a-2"))
    assert driver.dead_letter_reasons == ["inconsistent", "inconsistent"]
    assert await unsettled(driver) == []
