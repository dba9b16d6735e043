"""Billing's test kit: events as the other services publish them (contracts.testing, in the
words of billing's tests), and the service on a database of its own (devkit's ServiceDriver)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from billing.app import build
from billing.handlers.subscriptions import bill
from billing.settings import BillingSettings
from billing.store.uow import BillingUnitOfWork
from contracts import testing
from contracts.envelope import Envelope, Event
from contracts.testing import ACCOUNT_ID, ADA, BOB, SUBSCRIPTION_ID, T0, eur
from contracts.values import BillingCycle
from devkit.testing import ServiceDriver
from servicekit.clock import FixedClock
from servicekit.runtime import ServiceRuntime

START = T0
YEAR_END = datetime(2027, 1, 5, 9, 0, tzinfo=T0.tzinfo)
PUBLIC_URL = "http://billing.test"  # where the invoices billing issues are read
OPERATOR_TOKEN = "operator-token-for-billing-tests-0123456789"
OPERATOR = {"X-Operator-Token": OPERATOR_TOKEN}


class Events:
    """contracts.testing's events with billing's tests' defaults spelled out: one annual
    subscription `s-1` of account `a-1`, 2 seats of Designer Standard at 365.00 EUR, from START
    to YEAR_END. Each keyword is a field the tests vary; prices are minor units."""

    START, YEAR_END, ADA, BOB = START, YEAR_END, ADA, BOB
    eur = staticmethod(eur)

    @staticmethod
    def purchased(
        sid=SUBSCRIPTION_ID,
        account=ACCOUNT_ID,
        cycle=BillingCycle.ANNUAL,
        po=None,
        quantity=2,
        price=36500,
        tier="standard",
        admin=ADA,
        converts_trial=False,
    ):
        return testing.purchased(
            subscription_id=sid,
            account_id=account,
            administrator=admin,
            tier=tier,
            billing_cycle=cycle,
            quantity=quantity,
            unit_price=eur(price),
            ordered_at=START,
            po_number=po,
            converts_trial=converts_trial,
        )

    @staticmethod
    def activated(
        sid=SUBSCRIPTION_ID,
        account=ACCOUNT_ID,
        cycle=BillingCycle.ANNUAL,
        quantity=2,
        price=36500,
        start=START,
        end=YEAR_END,
        po=None,
        admin=ADA,
        tier="standard",
    ):
        return testing.activated(
            subscription_id=sid,
            account_id=account,
            administrator=admin,
            billing_cycle=cycle,
            quantity=quantity,
            unit_price=eur(price),
            activated_at=start,
            term_start=start,
            term_end=end,
            tier=tier,
            po_number=po,
        )

    @classmethod
    def bought(
        cls,
        sid=SUBSCRIPTION_ID,
        account=ACCOUNT_ID,
        cycle=BillingCycle.ANNUAL,
        quantity=2,
        price=36500,
        po=None,
        tier="standard",
        **activation,
    ):
        """The purchase, then its activation: what billing sees of a subscription that starts."""
        same = dict(sid=sid, account=account, cycle=cycle, quantity=quantity, price=price, po=po, tier=tier)
        return [cls.purchased(**same), cls.activated(**same, **activation)]

    @staticmethod
    def renewed(
        sid=SUBSCRIPTION_ID,
        account=ACCOUNT_ID,
        cycle=BillingCycle.ANNUAL,
        price=36500,
        start=YEAR_END,
        end=datetime(2028, 1, 5, 9, 0, tzinfo=T0.tzinfo),
        po=None,
        addons=(),
    ):
        return testing.renewed(
            subscription_id=sid,
            account_id=account,
            billing_cycle=cycle,
            unit_price=eur(price),
            term_start=start,
            term_end=end,
            renewed_at=start,
            po_number=po,
            addons=[{"addon": code, "unit_price": eur(amount)} for code, amount in addons],
        )

    @staticmethod
    def seats_changed(
        previous, new, at, sid=SUBSCRIPTION_ID, account=ACCOUNT_ID, start=START, end=YEAR_END, price=36500
    ):
        return testing.quantity_changed(
            subscription_id=sid,
            account_id=account,
            previous_quantity=previous,
            new_quantity=new,
            requested_at=at,
            effective_at=at,
            term_start=start,
            term_end=end,
            unit_price=eur(price),
        )

    @staticmethod
    def decrease_scheduled(current, scheduled, at, sid=SUBSCRIPTION_ID, effective=YEAR_END):
        return testing.decrease_scheduled(
            subscription_id=sid,
            current_quantity=current,
            scheduled_quantity=scheduled,
            requested_at=at,
            effective_at=effective,
        )

    @staticmethod
    def tier_changed(
        at,
        quantity=2,
        old=73000,
        new=109500,
        sid=SUBSCRIPTION_ID,
        start=START,
        end=YEAR_END,
        from_tier="premium",
        to_tier="premium_plus",
    ):
        return testing.tier_changed(
            amendment_id="am-1",
            subscription_id=sid,
            billing_cycle=BillingCycle.ANNUAL,
            from_tier=from_tier,
            to_tier=to_tier,
            previous_unit_price=eur(old),
            new_unit_price=eur(new),
            quantity=quantity,
            effective_at=at,
            term_start=start,
            term_end=end,
        )

    @staticmethod
    def addon_added(at, price=12000, sid=SUBSCRIPTION_ID):
        return testing.addon_added(
            addon="render-farm",
            subscription_id=sid,
            unit_price=eur(price),
            effective_at=at,
            term_start=START,
            term_end=YEAR_END,
        )

    @staticmethod
    def po_changed(po, at, sid=SUBSCRIPTION_ID):
        return testing.purchase_details_changed(
            subscription_id=sid, po_number=po, payment_method="card ending 4242", changed_at=at
        )

    @staticmethod
    def transferred(at, sid=SUBSCRIPTION_ID):
        return testing.administrator_transferred(
            subscription_id=sid, previous_administrator=ADA, new_administrator=BOB, transferred_at=at
        )

    @staticmethod
    def trial_started(sid=SUBSCRIPTION_ID):
        return testing.trial_started(
            subscription_id=sid, administrator=ADA, tier="premium", started_at=START, ends_at=START + timedelta(days=30)
        )


@pytest.fixture
def events() -> type[Events]:
    return Events


class BillingDriver(ServiceDriver[BillingUnitOfWork]):
    """The kit's driver, and billing's handler applied directly (`apply`)."""

    async def apply(self, *events: Event) -> Envelope | None:
        """Each event through billing's handler alone, in a transaction of its own, as the
        consumer applies one, but past the consumer: an event that contradicts billing's view
        raises `InconsistentEvent` here instead of being dead-lettered. Returns the last envelope."""
        envelope = None
        for event in events:
            envelope = await self.apply_as(event, Envelope.wrap(event, source="test", time=self.runtime.clock.now()))
        return envelope

    async def apply_as(self, event: Event, envelope: Envelope) -> Envelope:
        """`event` as `envelope` says (a replay, even past the inbox, when given one already applied)."""
        async with self.runtime.uow(cause=envelope) as uow:
            await bill(event, uow, self.runtime.app.state.invoicing)
            await uow.commit()
        return envelope


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(tmp_path) -> BillingSettings:
    """A SQLite database of the test's own (a module may override this fixture)."""
    return BillingSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/billing.db", var_dir=str(tmp_path), portal_url=PUBLIC_URL
    )


@pytest.fixture
def operator_settings(database_target, tmp_path) -> BillingSettings:
    """Billing on SQLite and on PostgreSQL, with an operator token (so that the `/ops` routes
    ask for it): a module runs on both with `settings = operator_settings`' fixture (see
    test_payments_api)."""
    url, schema = database_target
    return BillingSettings(
        database_url=url,
        db_schema=f"billing_{uuid.uuid4().hex[:8]}" if schema != "kit" else "billing",
        var_dir=str(tmp_path),
        portal_url=PUBLIC_URL,
        operator_token=OPERATOR_TOKEN,
    )


@pytest.fixture
async def service(driver):
    """Billing's HTTP API, in process; `service.driver` is the driver behind it."""
    async with driver.client() as http:
        http.driver = driver
        yield http


@pytest.fixture
async def driver(settings, clock) -> AsyncIterator[BillingDriver]:
    """Billing on the database of `settings`, migrated, on a clock at START; a PostgreSQL schema
    is dropped afterwards."""
    runtime: ServiceRuntime[BillingUnitOfWork] = build(settings, clock=clock)
    driver = await BillingDriver.start(runtime)
    assert isinstance(driver, BillingDriver)
    yield driver
    if not runtime.db.is_sqlite:
        await runtime.db.drop_schema()
    await driver.close()
