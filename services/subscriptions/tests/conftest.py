"""Shared builders for the domain tests: the packaged catalogue, orders, active subscriptions."""
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from contracts.values import BillingCycle, Contact, LicenceType
from subscriptions import domain
from subscriptions.catalogue import load_catalogue

ORDERED = datetime(2026, 1, 31, 12, tzinfo=timezone.utc)
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
        return replace(domain.Order("s-1", "a-1", ADMIN, "designer", "standard", LicenceType.NAMED_USER,
                                    BillingCycle.ANNUAL, 3), **changes)
    return build


@pytest.fixture
def ordered(designer, an_order):
    def build(at: datetime = ORDERED, offer=designer, **changes) -> domain.Subscription:
        subscription, _ = domain.purchase(an_order(**changes), offer, at, "http://portal")
        return subscription
    return build


@pytest.fixture
def active(ordered):
    """A subscription activated when ordered (the term starts at the order)."""
    def build(at: datetime = ORDERED, **changes) -> domain.Subscription:
        subscription = ordered(at, **changes)
        subscription.activate(ME, at)
        return subscription
    return build
