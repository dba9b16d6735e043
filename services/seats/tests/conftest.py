"""The seats service as its consumer and scheduler run it, on SQLite, without a broker
(`devkit.testing.ServiceDriver`), with readers of its own."""

from __future__ import annotations

import uuid

import pytest

from contracts.testing import T0
from devkit.testing import ServiceDriver
from devkit.testsupport import BACKENDS, require_postgres
from seats.app import build
from seats.domain.pools import SeatPool
from seats.settings import SeatsSettings
from seats.store.uow import SeatsUnitOfWork
from servicekit.clock import FixedClock

__all__ = ["T0", "SeatsDriver", "seats", "seats_on_each_database"]


class SeatsDriver(ServiceDriver[SeatsUnitOfWork]):
    """`ServiceDriver`, and the pool of a subscription as seats keeps it."""

    @property
    def clock(self) -> FixedClock:
        clock = self.runtime.clock
        assert isinstance(clock, FixedClock)
        return clock

    async def pool(self, subscription_id: str) -> SeatPool | None:
        async with self.uow() as uow:
            return await uow.pools.find(subscription_id)


@pytest.fixture
async def seats(tmp_path):
    settings = SeatsSettings(
        database_url=f"sqlite:///{tmp_path}/seats.db", consumer_max_attempts=1, consumer_backoff_seconds=0.001
    )
    driver = await SeatsDriver.start(build(settings, clock=FixedClock(T0)))
    yield driver
    await driver.close()


@pytest.fixture(params=BACKENDS)
async def seats_on_each_database(request, tmp_path):
    """The seats service on a fresh SQLite file or a fresh PostgreSQL schema, its clock at T0."""
    url = f"sqlite:///{tmp_path}/seats.db" if request.param == "sqlite" else require_postgres()
    settings = SeatsSettings(
        database_url=url,
        db_schema=f"seats_{uuid.uuid4().hex[:8]}",
        consumer_max_attempts=1,
        consumer_backoff_seconds=0.001,
    )
    driver = await SeatsDriver.start(build(settings, clock=FixedClock(T0)))
    yield driver
    await driver.runtime.db.drop_schema()
    await driver.close()
