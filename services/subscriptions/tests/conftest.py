"""Shared builders: the packaged catalogue, orders and active subscriptions for the domain
tests; the service on SQLite, driven through the kit's `ServiceDriver`, for the others."""

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from contracts.testing import T0
from contracts.values import BillingCycle, Contact, LicenceType
from devkit.testing import ServiceDriver
from servicekit.clock import FixedClock
from subscriptions import domain
from subscriptions.adapters.catalogue import load_catalogue
from subscriptions.app import build
from subscriptions.settings import SubscriptionsSettings
from subscriptions.store.uow import SubscriptionsUnitOfWork

ORDERED = datetime(2026, 1, 31, 12, tzinfo=UTC)
ADMIN = Contact(person_id="p-admin", email="admin@example.com", name="Ada", locale="fr")
ME = domain.Person("p-admin", "a-1")


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture
def designer(catalogue):
    return catalogue.product("designer")


@pytest.fixture
def printserver(catalogue):
    return catalogue.product("printserver")


@pytest.fixture
def an_order():
    def build(**changes) -> domain.Order:
        return replace(
            domain.Order("s-1", "a-1", ADMIN, "designer", "standard", LicenceType.NAMED_USER, BillingCycle.ANNUAL, 3),
            **changes,
        )

    return build


@pytest.fixture
def ordered(designer, an_order):
    def build(at: datetime = ORDERED, offer=designer, **changes) -> domain.Subscription:
        subscription, _ = domain.purchase(an_order(**changes), offer, at, "http://portal")
        return subscription

    return build


@pytest.fixture
def active(ordered, designer):
    """A subscription activated when ordered (the term starts at the order)."""

    def build(at: datetime = ORDERED, offer=designer, **changes) -> domain.Subscription:
        subscription = ordered(at, offer, **changes)
        subscription.activate(ME, at, offer)
        return subscription

    return build


@pytest.fixture
def clock() -> FixedClock:
    """The service's clock, at contracts.testing's T0 (Monday 2026-01-05 09:00 UTC)."""
    return FixedClock(T0)


@pytest.fixture
async def driver(tmp_path, clock) -> AsyncIterator[ServiceDriver[SubscriptionsUnitOfWork]]:
    """The service, migrated, on a SQLite file of its own."""
    settings = SubscriptionsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/subscriptions.db", var_dir=str(tmp_path)
    )
    driver = await ServiceDriver.start(build(settings, clock=clock))
    yield driver
    await driver.close()
