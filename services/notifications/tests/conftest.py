"""The notifications service as its consumer and sender run it (devkit.testing.ServiceDriver):
on SQLite, without a broker, against a real SMTP server (aiosmtpd) that can refuse, defer and go away."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller

from contracts.envelope import Envelope, Event
from devkit.mailbox import ReceivedMail, read_mailbox
from devkit.smtpsink import KeepEveryMessage
from devkit.testing import ServiceDriver
from notifications.adapters.mailer import Mailer
from notifications.app import build
from notifications.domain.emails import OutgoingEmail
from notifications.handlers.sending import RetryPolicy, deliver_pending
from notifications.settings import NotificationsSettings
from notifications.store.uow import NotificationsUnitOfWork
from servicekit.clock import FixedClock
from servicekit.http.auth import Caller

from .samples import AT

T0 = AT  # the samples' time
SENDER = "Entitle <no-reply@entitle.local>"
OPERATOR_TOKEN = "op-secret"


class CountingSink(KeepEveryMessage):
    """Keeps every message, notes which connection brought it, refuses `gone@example.com` for
    good (550) and, while they are in `busy`, the addresses in it for now (451)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, rejected={"gone@example.com"})
        self.connections: list[tuple] = []  # the client's (host, port) per accepted message
        self.busy: set[str] = {"busy@example.com"}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.busy:
            return "451 4.3.0 Try again later"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        self.connections.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """The SMTP server on one port; it can go away and come back."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.handler, self.port = CountingSink(directory), free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
        self._controller = None

    def received(self) -> list[ReceivedMail]:
        return read_mailbox(self.directory)


@pytest.fixture
def sink(tmp_path):
    directory = tmp_path / "mail"
    directory.mkdir()
    sink = Sink(directory)
    sink.start()
    yield sink
    sink.stop()


class NotificationsDriver(ServiceDriver[NotificationsUnitOfWork]):
    """The kit's driver, plus the SMTP side: runs the sender's rounds one at a time on a fixed
    retry clock, and reads back the e-mails and the HTTP log."""

    mailer: Mailer
    retry_clock: FixedClock

    @classmethod
    async def open(
        cls, settings: NotificationsSettings, mailer: Mailer, clock: FixedClock, retry_clock: FixedClock
    ) -> NotificationsDriver:
        driver = await cls.start(build(settings, mailer=mailer, clock=clock))
        assert isinstance(driver, NotificationsDriver)
        driver.mailer, driver.retry_clock = mailer, retry_clock
        return driver

    @property
    def clock(self) -> FixedClock:
        clock = self.runtime.clock
        assert isinstance(clock, FixedClock)
        return clock

    async def consume(self, *events: Event, envelopes: list[Envelope] | None = None) -> list[Envelope]:
        """Consumes the events as one polled batch; returns their envelopes (to replay them)."""
        envelopes = envelopes or [Envelope.wrap(e, source="test", time=self.clock.now()) for e in events]
        await self.deliver(*envelopes)
        return envelopes

    async def restart(self) -> None:
        """A new process over the same database and SMTP server: nothing kept in memory.
        (ServiceDriver has no restart: the new runtime's dead letters are kept here as the
        driver's constructor does it.)"""
        clock = self.clock
        await self.close()
        await self.mailer.close()
        self.runtime = build(self.runtime.settings, mailer=self.mailer, clock=clock)
        self.runtime.broker.publish = self._keep_dead_letter  # type: ignore[method-assign]  # no broker here
        await self.runtime.migrate()

    async def send_round(self) -> int:
        return await deliver_pending(self.runtime, self.mailer, RetryPolicy(clock=self.retry_clock))

    async def emails(self) -> list[OutgoingEmail]:
        async with self.uow() as uow:
            return await uow.emails.log()

    async def post(self, path: str, headers: dict[str, str]) -> httpx.Response:
        async with self.client(**headers) as client:
            return await client.post(path)

    async def get(self, path: str, person_id: str, account_id: str) -> httpx.Response:
        async with self.client(Caller(person_id, account_id, "x@example.com")) as client:
            return await client.get(path)


@pytest.fixture
async def notifications(tmp_path, sink):
    settings = NotificationsSettings(
        database_url=f"sqlite:///{tmp_path}/notifications.db",
        consumer_max_attempts=1,
        consumer_backoff_seconds=0.001,
        operator_token=OPERATOR_TOKEN,
    )
    mailer = Mailer("127.0.0.1", sink.port, SENDER, timeout=5.0)
    driver = await NotificationsDriver.open(settings, mailer, FixedClock(T0), FixedClock(T0))
    yield driver
    await driver.mailer.close()
    await driver.close()
