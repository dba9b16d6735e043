"""SIGTERM over a real broker (the embedded Tansu) and a real uvicorn server, in process.

The message whose handler runs when the signal arrives is finished and committed, no later
message is started, an HTTP request in flight is answered, the background loops end, and a
restart goes on from the next message without applying the first one again.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaProducer, TopicPartition
from fastapi import APIRouter
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import MetaData, select

from contracts.envelope import Envelope
from contracts.identity import AccountRegistered
from contracts.topics import IDENTITY_EVENTS
from devkit.devstack import free_port
from devkit.testsupport import until as until_within
from opskit.offsets import committed_offsets
from servicekit.app import service_app
from servicekit.clock import FixedClock
from servicekit.logs import DrainingServer
from servicekit.runtime import ServiceRuntime
from servicekit.settings import ServiceSettings
from servicekit.store.tables import due_jobs, inbox

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
GROUP = "drain-test"
TOPIC = IDENTITY_EVENTS.name
until = functools.partial(until_within, timeout=60.0)  # a restart may wait for its group


@pytest.fixture
def sigterm_reaches_only_uvicorn():
    """uvicorn re-raises a captured SIGTERM once it has stopped: to this no-op, not to pytest."""
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    yield
    signal.signal(signal.SIGTERM, previous)


class Gates:
    """A handler and a route that each wait, once started, until the test releases them."""

    def __init__(self) -> None:
        self.handled: list[str] = []
        self.handler_started, self.handler_release = asyncio.Event(), asyncio.Event()
        self.request_started, self.request_release = asyncio.Event(), asyncio.Event()

    async def welcome(self, event: AccountRegistered, uow) -> None:
        self.handled.append(event.account_id)
        if event.company_name == "slow":
            self.handler_started.set()
            await self.handler_release.wait()
        await uow.schedule(f"welcome-{event.account_id}", "welcome", event.account_id, uow.now() + timedelta(days=1))

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/slow")
        async def slow() -> dict:
            self.request_started.set()
            await self.request_release.wait()
            return {"answered": True}

        return router


def service(tmp_path, bootstrap: str) -> tuple[ServiceRuntime, Gates]:
    # "servicekit": a runtime with the kit's tables only, no service of its own.
    settings = ServiceSettings(
        service_name="servicekit",
        database_url=f"sqlite:///{tmp_path}/kit.db",
        kafka_bootstrap_servers=bootstrap,
        metrics_open=True,
    )
    runtime, gates = ServiceRuntime(settings, MetaData(), clock=FixedClock(NOW)), Gates()
    consumer = runtime.consumer(GROUP)
    consumer.on(AccountRegistered, gates.welcome)
    consumer.attach(IDENTITY_EVENTS)
    runtime.app = service_app(runtime, gates.router(), title="kit", description="graceful shutdown test")
    return runtime, gates


async def publish(bootstrap: str, account_id: str, company: str = "ACME"):
    event = AccountRegistered(account_id=account_id, company_name=company, administrator_id="p-1", registered_at=NOW)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:  # one key: every message on the same partition, in order
        return await producer.send_and_wait(
            TOPIC, Envelope.wrap(event, source="identity", time=NOW).to_json(), key=b"one-account"
        )
    finally:
        await producer.stop()


async def lag_of(url: str, partition: int, expected: int) -> bool:
    async with httpx.AsyncClient() as http:
        exposition = (await http.get(f"{url}/metrics")).text
    return any(
        s.value == expected
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
        if s.name == "entitle_consumer_lag" and s.labels["partition"] == str(partition)
    )


async def rows(runtime: ServiceRuntime, column) -> list[str]:
    async with runtime.db.connect() as conn:
        return sorted((await conn.execute(select(column))).scalars())


async def test_sigterm_finishes_the_message_in_hand_starts_no_other_and_answers_the_request_in_flight(
    tmp_path, bootstrap, sigterm_reaches_only_uvicorn
):
    runtime, gates = service(tmp_path, bootstrap)
    port = free_port()
    server = DrainingServer(
        uvicorn.Config(
            runtime.app, host="127.0.0.1", port=port, log_config=None, loop="asyncio", timeout_graceful_shutdown=30
        ),
        runtime,
    )
    serving = asyncio.create_task(server.serve())
    await until(lambda: server.started, "server started")
    url = f"http://127.0.0.1:{port}"

    first = await publish(bootstrap, "in-hand", company="slow")
    await asyncio.wait_for(gates.handler_started.wait(), 60)
    async with httpx.AsyncClient(timeout=60) as http:
        in_flight = asyncio.create_task(http.get(f"{url}/slow"))
        await asyncio.wait_for(gates.request_started.wait(), 10)
        later = await publish(bootstrap, "later")
        # The one in hand and the later one: neither committed yet.
        assert await until(lambda: lag_of(url, first.partition, 2), "a lag of 2 on /metrics")

        os.kill(os.getpid(), signal.SIGTERM)
        await until(lambda: not any(s.running for s in runtime.broker.subscribers), "consumers stopping")
        assert not in_flight.done() and not serving.done()
        gates.request_release.set()
        answer = await in_flight
    assert (answer.status_code, answer.json()) == (200, {"answered": True})
    assert not serving.done()  # still waiting for the message in hand

    gates.handler_release.set()
    await asyncio.wait_for(serving, 60)

    assert later.partition == first.partition and gates.handled == ["in-hand"]
    committed = await committed_offsets(bootstrap, GROUP, [TOPIC])
    assert committed[TopicPartition(TOPIC, first.partition)] == first.offset + 1
    assert all(task.done() for task in runtime._tasks)  # relay and scheduler ended...
    assert [task for task in runtime._tasks if not task.cancelled() and task.exception()] == []  # ...quietly

    restarted, gates_again = service(tmp_path, bootstrap)
    await restarted.start()
    try:
        await until(lambda: gates_again.handled, "the later message handled after the restart")
        assert gates_again.handled == ["later"]  # the one finished at shutdown is not applied again
        assert await rows(restarted, due_jobs.c.job_id) == ["welcome-in-hand", "welcome-later"]
        assert len(await rows(restarted, inbox.c.event_id)) == 2
    finally:
        await restarted.stop()
