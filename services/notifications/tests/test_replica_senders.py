"""Two replicas on one PostgreSQL schema each run a sender over the same queue: every e-mail
is sent once, by one of them."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import pytest

from devkit.testsupport import POSTGRES_URL
from notifications.adapters.mailer import Mailer
from notifications.settings import NotificationsSettings
from servicekit.clock import FixedClock

from .conftest import SENDER, T0, NotificationsDriver
from .test_delivery import to

pytestmark = pytest.mark.usefixtures("postgres")  # skipped without PostgreSQL, failed where it is required


@pytest.fixture
async def replicas(sink):
    settings = NotificationsSettings(database_url=POSTGRES_URL, db_schema=f"notifications_{uuid.uuid4().hex[:8]}")
    services = []
    for _ in range(2):  # the second migration finds the schema up to date
        mailer = Mailer("127.0.0.1", sink.port, SENDER, timeout=5.0)
        services.append(await NotificationsDriver.open(settings, mailer, FixedClock(T0), FixedClock(T0)))
    yield services
    await services[0].runtime.db.drop_schema()
    for service in services:
        await service.mailer.close()
        await service.close()


async def test_R34_two_senders_over_one_queue_send_each_email_once(replicas, sink):
    one, two = replicas
    await one.consume(*(to(f"admin{n}@example.com") for n in range(8)))
    sent = await asyncio.gather(one.send_round(), two.send_round())
    assert sum(sent) >= 8  # each round saw the queue
    assert Counter(m.to for m in sink.received()) == {f"admin{n}@example.com": 1 for n in range(8)}
    assert {e.status for e in await one.emails()} == {"sent"}
