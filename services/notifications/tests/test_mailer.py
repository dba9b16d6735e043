"""The mail sender against a real SMTP server (the sink): one kept connection, failures told
apart, and messages that read back exactly as the standard library composes them."""
from __future__ import annotations

import re
import socket
from email import policy
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtplib.email import flatten_message

from notifications.mailer import Mailer, PermanentlyRejected
from notifications.rendering import render
from notifications.store import OutgoingEmail
from servicekit.mailbox import read_mailbox
from servicekit.smtpsink import KeepEveryMessage

SENDER = "Entitle <no-reply@entitle.local>"
FACTS = dict(name="Zoë Müller <Admin>", product="designer", tier="standard", quantity=3,
             agreement_url="http://portal/s-1/agreement?x=1&y=2", accept_by="2026-04-05",
             term_end="2027-01-05", reason="budget", effective_at="2027-01-05", revoked=2,
             ended_at="2027-01-05")


class CountingSink(KeepEveryMessage):
    """Keeps every message, notes which connection brought it, and can answer 451 for one address."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, rejected={"gone@example.com"})
        self.connections: list[tuple] = []  # the client's (host, port) per accepted message

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == "busy@example.com":
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
        self.handler, self.port = CountingSink(directory), free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
        self._controller = None


@pytest.fixture
def sink(tmp_path):
    sink = Sink(tmp_path)
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
async def mailer(sink):
    mailer = Mailer("127.0.0.1", sink.port, SENDER, timeout=5.0)
    yield mailer
    await mailer.close()


def crlf_to_lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def outgoing(n: int, to: str = "zoe@example.com", locale: str = "fr", template: str = "agreement") -> OutgoingEmail:
    rendered = render(template, locale, FACTS)
    return OutgoingEmail(
        email_id=f"00000000-0000-5000-8000-{n:012d}", caused_by=f"cause-{n}", template=template,
        locale=locale, recipient_id="p-1", recipient_email=to, subscription_id="s-1",
        correlation_id="corr", subject=rendered.subject, text=rendered.text, html=rendered.html)


async def test_one_connection_carries_many_emails_and_each_reads_back_whole(sink, mailer):
    handler = sink.handler
    for n in range(5):
        await mailer.send(outgoing(n))

    assert len(handler.connections) == 5 and len(set(handler.connections)) == 1
    received = read_mailbox(handler._directory)
    assert [m.message_id for m in received] == [f"<00000000-0000-5000-8000-{n:012d}@entitle>" for n in range(5)]
    first, expected = received[0], outgoing(0)
    assert (first.to, first.subject, first.template, first.caused_by, first.subscription_id, first.language) == (
        "zoe@example.com", expected.subject, "agreement", "cause-0", "s-1", "fr")
    assert (crlf_to_lf(first.text).strip(), crlf_to_lf(first.html).strip()) == (expected.text, expected.html)


async def test_a_5xx_is_a_permanent_rejection_and_the_connection_serves_the_next_email(sink, mailer):
    handler = sink.handler
    await mailer.send(outgoing(1))
    with pytest.raises(PermanentlyRejected, match="550"):
        await mailer.send(outgoing(2, to="gone@example.com"))
    await mailer.send(outgoing(3))

    assert len(handler.connections) == 2 and len(set(handler.connections)) == 1


async def test_a_temporary_failure_raises_to_be_retried_and_sending_goes_on(sink, mailer):
    handler = sink.handler
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as raised:
        await mailer.send(outgoing(1, to="busy@example.com"))
    assert not isinstance(raised.value, PermanentlyRejected)
    await mailer.send(outgoing(2))

    assert len(handler.connections) == 1


async def test_a_connection_the_server_dropped_is_opened_again(sink, mailer):
    handler = sink.handler
    await mailer.send(outgoing(1))
    sink.stop()  # the server goes away, closing the kept connection
    with pytest.raises(OSError):
        await mailer.send(outgoing(2))
    sink.start()
    await mailer.send(outgoing(3))

    assert len(handler.connections) == 2 and len(set(handler.connections)) == 2


async def test_a_kept_connection_dropped_while_sending_is_retried_once_on_a_new_one(sink, mailer, monkeypatch):
    handler = sink.handler
    await mailer.send(outgoing(1))
    kept = mailer._client

    async def hung_up(*args, **kwargs):
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")

    monkeypatch.setattr(kept, "send_message", hung_up)
    await mailer.send(outgoing(2))

    assert mailer._client is not kept
    assert len(handler.connections) == 2 and len(set(handler.connections)) == 2


async def test_an_idle_connection_is_closed_and_the_next_email_opens_another(sink):
    handler = sink.handler
    mailer = Mailer("127.0.0.1", sink.port, SENDER, idle_seconds=0.0)
    await mailer.send(outgoing(1))
    await mailer.close_if_idle()
    assert mailer._client is None
    await mailer.send(outgoing(2))
    await mailer.close()

    assert len(set(handler.connections)) == 2


def composed_the_standard_way(email: OutgoingEmail) -> EmailMessage:
    """The composition before the header-class cache: plain EmailMessage, default policy."""
    message = EmailMessage(policy=policy.default)
    message["From"], message["To"], message["Subject"] = SENDER, email.recipient_email, email.subject
    message["Message-ID"] = f"<{email.email_id}@entitle>"
    message["X-Entitle-Template"] = email.template
    message["X-Entitle-Caused-By"] = email.caused_by
    message["X-Entitle-Subscription"] = email.subscription_id
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    message["Content-Language"] = email.locale
    return message


def on_the_wire(message: EmailMessage) -> bytes:
    """What aiosmtplib sends, with the random MIME boundary made comparable."""
    return re.sub(rb"={15}\d+==", b"BOUNDARY", flatten_message(message, utf8=False, cte_type="8bit"))


@pytest.mark.parametrize("locale", ["en", "fr", "nl", "de"])
@pytest.mark.parametrize("template", ["agreement", "activated", "cancellation_confirmed", "deprovisioned"])
def test_composed_emails_are_byte_for_byte_the_standard_ones(template, locale):
    email = outgoing(7, locale=locale, template=template)
    mailer = Mailer("127.0.0.1", 25, SENDER)
    assert on_the_wire(mailer.compose(email)) == on_the_wire(composed_the_standard_way(email))
