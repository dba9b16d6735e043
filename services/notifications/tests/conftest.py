"""The notifications service as its consumer and sender run it: on SQLite, without a broker,
against a real SMTP server (aiosmtpd) that can refuse, defer and go away."""
from __future__ import annotations

import json
import socket
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka import ConsumerRecord
from aiosmtpd.controller import Controller
from sqlalchemy import select

from contracts.envelope import Envelope, Event
from contracts.registry import model_for, topic_for
from notifications.app import build
from notifications.handlers import RetryPolicy, deliver_pending
from notifications.mailer import Mailer
from notifications.samples import AT
from notifications.settings import NotificationsSettings
from notifications.store import EmailRepository, OutgoingEmail
from servicekit.http.auth import Caller, issue_token
from servicekit.clock import FixedClock
from devkit.mailbox import ReceivedMail, read_mailbox
from devkit.smtpsink import KeepEveryMessage
from servicekit.store.tables import outbox
from servicekit.migrations import migrate_database

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


class NotificationsService:
    """Delivers events through the real consumer, runs the sender's rounds one at a time on a
    fixed retry clock, and reads back the e-mails, the published events, the dead letters and
    the HTTP log."""

    def __init__(self, runtime, mailer: Mailer, clock: FixedClock, retry_clock: FixedClock) -> None:
        self.runtime, self.mailer, self.clock, self.retry_clock = runtime, mailer, clock, retry_clock
        self.retry = RetryPolicy(clock=retry_clock)
        self._offset = 0
        self.dead_letters: list[dict] = []  # what the consumer sent to its DLQ: type and reason
        self._keep_dead_letters()

    def _keep_dead_letters(self) -> None:
        """No broker here: the consumer's dead letters are kept instead of published."""
        async def publish(body: bytes, *, topic: str, key: bytes | None, headers: dict) -> None:
            self.dead_letters.append({"topic": topic, "type": json.loads(body)["type"],
                                      "reason": headers["dlq.reason"], "error": headers.get("dlq.error", "")})
        self.runtime.broker.publish = publish

    async def deliver(self, *events: Event, envelopes: list[Envelope] | None = None) -> list[Envelope]:
        """Consumes the events as one polled batch; returns their envelopes (to replay them)."""
        envelopes = envelopes or [Envelope.wrap(e, source="test", time=self.clock.now()) for e in events]
        await self.runtime.consumers[0].process_batch([self._record(e) for e in envelopes])
        return envelopes

    async def restart(self) -> None:
        """A new process over the same database and SMTP server: nothing kept in memory."""
        await self.runtime.db.dispose()
        await self.mailer.close()
        self.runtime = build(self.runtime.settings, mailer=self.mailer, clock=self.clock)
        self._keep_dead_letters()
        await migrate_database(self.runtime.db, "notifications")

    async def send_round(self) -> int:
        return await deliver_pending(self.runtime, self.mailer, self.retry)

    async def emails(self) -> list[OutgoingEmail]:
        async with self.runtime.db.connect() as conn:
            return await EmailRepository(conn).log()

    async def published(self) -> list[dict]:
        async with self.runtime.db.connect() as conn:
            rows = await conn.execute(select(outbox.c.body).order_by(outbox.c.seq))
            return [json.loads(body) for body, in rows]

    async def post(self, path: str, headers: dict[str, str]) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.runtime.app),
                                     base_url="http://notifications") as client:
            return await client.post(path, headers=headers)

    async def get(self, path: str, person_id: str, account_id: str) -> httpx.Response:
        token = issue_token(self.runtime.settings.token_secret, Caller(person_id, account_id, "x@example.com"),
                            self.clock.now(), timedelta(hours=1))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.runtime.app),
                                     base_url="http://notifications") as client:
            return await client.get(path, headers={"Authorization": f"Bearer {token}"})

    def _record(self, envelope: Envelope) -> ConsumerRecord:
        self._offset += 1
        body = envelope.to_json()
        return ConsumerRecord(topic=topic_for(model_for(envelope.type)).name, partition=0, offset=self._offset,
                              timestamp=0, timestamp_type=0, key=envelope.subject.encode(), value=body,
                              checksum=None, serialized_key_size=len(envelope.subject),
                              serialized_value_size=len(body), headers=[])


@pytest.fixture
async def notifications(tmp_path, sink):
    clock, retry_clock = FixedClock(T0), FixedClock(T0)
    settings = NotificationsSettings(database_url=f"sqlite:///{tmp_path}/notifications.db",
                                     consumer_max_attempts=1, consumer_backoff_seconds=0.001,
                                     operator_token=OPERATOR_TOKEN)
    mailer = Mailer("127.0.0.1", sink.port, SENDER, timeout=5.0)
    runtime = build(settings, mailer=mailer, clock=clock)
    await migrate_database(runtime.db, "notifications")
    yield NotificationsService(runtime, mailer, clock, retry_clock)
    await mailer.close()
    await runtime.db.dispose()
