"""Shared builders for identity's tests: a registered person and an account with its
administrator (the rules alone), and identity services driven over HTTP (`IdentityDriver`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from contracts.testing import ACCOUNT_ID, ADA, T0
from devkit.testing import ServiceDriver
from devkit.testsupport import BACKENDS, require_postgres
from identity.app import build
from identity.domain import accounts, people
from identity.settings import IdentitySettings
from identity.store.uow import IdentityUnitOfWork
from servicekit.clock import Clock, FixedClock

NOW = T0


class IdentityClient(httpx.AsyncClient):
    """An HTTP client on the service, calling from one client address with one Host header, that
    knows its driver (the outbox, the due jobs, the database)."""

    def __init__(self, driver: IdentityDriver, address: str, host: str) -> None:
        super().__init__(
            transport=httpx.ASGITransport(app=driver.app, client=(address, 4321)), base_url=f"http://{host}"
        )
        self.driver = driver


class IdentityDriver(ServiceDriver[IdentityUnitOfWork]):
    """The kit's driver, with HTTP clients from chosen client addresses (the per-client sign-in
    limits count by address, as uvicorn reports it) and Host headers (links must ignore it)."""

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self._clients: dict[tuple[str, str], IdentityClient] = {}

    def from_(self, address: str = "127.0.0.1", host: str = "id") -> IdentityClient:
        if (address, host) not in self._clients:
            self._clients[address, host] = IdentityClient(self, address, host)
        return self._clients[address, host]

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        await super().close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def driver_of(tmp_path, clock) -> AsyncIterator[Callable[..., Awaitable[IdentityDriver]]]:
    """Starts identity services, each on a SQLite file of its own unless the settings say
    otherwise (keywords), on the test's clock unless given one; closes them after the test."""
    made: list[IdentityDriver] = []

    async def start(clock: Clock = clock, **settings: Any) -> IdentityDriver:
        settings = IdentitySettings(
            **{"database_url": f"sqlite:///{tmp_path}/identity-{len(made)}.db", "var_dir": str(tmp_path), **settings}
        )
        driver = await IdentityDriver.start(build(settings, clock=clock))
        assert isinstance(driver, IdentityDriver)
        made.append(driver)
        return driver

    yield start
    for driver in made:
        await driver.close()


@pytest.fixture
def person():
    def build(
        person_id: str = ADA.person_id, email: str = ADA.email, name: str = "Ada Lovelace", verified: bool = True
    ) -> people.Person:
        registered, _ = people.register(person_id, email, name, "fr", "argon2-hash", True, NOW)
        if verified:
            registered.verify_email(NOW)
        return registered

    return build


@pytest.fixture
def account(person):
    """An account registered by Ada, with Ada as its founding administrator."""

    def build(account_id: str = ACCOUNT_ID) -> tuple[accounts.Account, accounts.AccountContact]:
        ada = person()
        acme = accounts.Account(account_id, "Acme", ada.id, NOW)
        return acme, accounts.founding_administrator(f"c-{account_id}-ada", acme, ada)

    return build


@pytest.fixture(params=BACKENDS)
async def service(request, driver_of):
    """Identity over HTTP on SQLite and on PostgreSQL (a schema of its own), with an operator
    token (`op-secret`): the product clients' and the desktop sign-in's tests."""
    settings = {"operator_token": "op-secret", "portal_url": "http://id.test"}
    if request.param == "postgresql":
        settings |= {"database_url": require_postgres(), "db_schema": f"identity_{uuid.uuid4().hex[:8]}"}
    driver = await driver_of(**settings)
    yield driver.from_()
    if request.param == "postgresql":
        await driver.runtime.db.drop_schema()  # before driver_of closes it
