"""The mail sender against a real SMTP server (the sink): one kept connection, failures told
apart, and messages that read back exactly as the standard library composes them."""

from __future__ import annotations

import re
import warnings
from email import policy
from email.message import EmailMessage

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from aiosmtplib.email import flatten_message

from devkit.mailbox import read_mailbox
from devkit.smtpsink import KeepEveryMessage
from notifications.adapters.mailer import (
    CannotCompose,
    Mailer,
    PermanentlyRejected,
    ServerUnavailable,
    TemporarilyRefused,
)
from notifications.adapters.rendering import render
from notifications.domain.emails import OutgoingEmail

from .conftest import SENDER, free_port

FACTS = dict(
    name="Zoë Müller <Admin>",
    product="designer",
    tier="standard",
    quantity=3,
    agreement_url="http://portal/s-1/agreement?x=1&y=2",
    accept_by="2026-04-05",
    term_end="2027-01-05",
    reason="budget",
    effective_at="2027-01-05",
    revoked=2,
    ended_at="2027-01-05",
)


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
        email_id=f"00000000-0000-5000-8000-{n:012d}",
        caused_by=f"cause-{n}",
        template=template,
        locale=locale,
        recipient_id="p-1",
        recipient_email=to,
        subscription_id="s-1",
        correlation_id="corr",
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
    )


async def test_one_connection_carries_many_emails_and_each_reads_back_whole(sink, mailer):
    handler = sink.handler
    for n in range(5):
        await mailer.send(outgoing(n))

    assert len(handler.connections) == 5 and len(set(handler.connections)) == 1
    received = read_mailbox(handler._directory)
    assert [m.message_id for m in received] == [f"<00000000-0000-5000-8000-{n:012d}@entitle>" for n in range(5)]
    first, expected = received[0], outgoing(0)
    assert (first.to, first.subject, first.template, first.caused_by, first.subscription_id, first.language) == (
        "zoe@example.com",
        expected.subject,
        "agreement",
        "cause-0",
        "s-1",
        "fr",
    )
    assert (crlf_to_lf(first.text).strip(), crlf_to_lf(first.html).strip()) == (expected.text, expected.html)


async def test_R34_a_5xx_is_a_permanent_rejection_and_the_connection_serves_the_next_email(sink, mailer):
    handler = sink.handler
    await mailer.send(outgoing(1))
    with pytest.raises(PermanentlyRejected, match="550") as raised:
        await mailer.send(outgoing(2, to="gone@example.com"))
    assert "gone@example.com" not in str(raised.value)  # it goes into a public event
    await mailer.send(outgoing(3))

    assert len(handler.connections) == 2 and len(set(handler.connections)) == 1


async def test_R34_a_4xx_is_a_temporary_refusal_without_the_address_and_sending_goes_on(sink, mailer):
    handler = sink.handler
    with pytest.raises(TemporarilyRefused, match="451") as raised:
        await mailer.send(outgoing(1, to="busy@example.com"))
    assert "busy@example.com" not in str(raised.value)
    await mailer.send(outgoing(2))

    assert len(handler.connections) == 1


async def test_a_connection_the_server_dropped_is_opened_again(sink, mailer):
    handler = sink.handler
    await mailer.send(outgoing(1))
    sink.stop()  # the server goes away, closing the kept connection
    with pytest.raises(OSError):  # noqa: PT011 - unreachable, refused or hung up: any OSError
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


class CheckingCredentials(KeepEveryMessage):
    def __init__(self, directory) -> None:
        super().__init__(directory, rejected=set())
        self.directory = directory
        self.logins: list[tuple[bytes, bytes]] = []

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        self.logins.append((auth_data.login, auth_data.password))
        # handled=False: the server answers a failure itself (535), as a real one does
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"mailer", b"s3cret"), handled=False)


@pytest.fixture
def server_requiring_login(tmp_path):
    handler = CheckingCredentials(tmp_path)
    # Plain-text AUTH is allowed here only because the test has no certificate; production
    # servers demand STARTTLS or TLS first (SMTP_SECURITY).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
        controller = Controller(
            handler,
            hostname="127.0.0.1",
            port=free_port(),
            authenticator=handler.authenticate,
            auth_required=True,
            auth_require_tls=False,
        )
        controller.start()
    yield controller
    controller.stop()


async def test_a_mailer_with_credentials_logs_in_before_sending(server_requiring_login):
    mailer = Mailer("127.0.0.1", server_requiring_login.port, SENDER, username="mailer", password="s3cret")
    await mailer.send(outgoing(1))
    await mailer.close()
    assert server_requiring_login.handler.logins == [(b"mailer", b"s3cret")]
    assert len(read_mailbox(server_requiring_login.handler.directory)) == 1


async def test_a_server_that_requires_a_login_holds_the_queue_of_a_mailer_without_one(server_requiring_login):
    """530 is the settings' fault, not the e-mail's: rejecting it for good, as any other 5xx,
    would reject every e-mail until the settings were fixed."""
    mailer = Mailer("127.0.0.1", server_requiring_login.port, SENDER)
    with pytest.raises(ServerUnavailable, match="530"):
        await mailer.send(outgoing(1))
    await mailer.close()
    assert read_mailbox(server_requiring_login.handler.directory) == []


async def test_a_refused_log_in_holds_the_queue_instead_of_rejecting_the_email(server_requiring_login):
    mailer = Mailer("127.0.0.1", server_requiring_login.port, SENDER, username="mailer", password="wrong")
    with pytest.raises(ServerUnavailable, match="535") as raised:
        await mailer.send(outgoing(1))
    await mailer.close()
    assert isinstance(raised.value, OSError) and "wrong" not in str(raised.value)
    assert read_mailbox(server_requiring_login.handler.directory) == []


@pytest.mark.parametrize(
    "poison, fault",
    [
        ({"recipient_email": "zoe@example.com\r\nBcc: all@example.com"}, "line breaks"),
        ({"recipient_email": "zoe@example.com, eve@example.com"}, "one e-mail address"),
        ({"recipient_email": "Zoë <zoe@example.com>"}, "one e-mail address"),
        ({"subject": "Acme\r\nBcc: all@example.com"}, "subject"),
        ({"subscription_id": "s-1\r\nBcc: all@example.com"}, "could not be composed (ValueError)"),
    ],
    ids=["crlf-in-address", "two-addresses", "display-name", "crlf-in-subject", "crlf-in-other-header"],
)
async def test_item2_an_email_that_cannot_be_composed_is_rejected_alone_naming_the_fault_not_the_address(
    sink, mailer, poison, fault
):
    """Once a ValueError while composing looked like an unreachable server and held every
    tenant's e-mail back; now it is a permanent rejection of that e-mail, and the kept
    connection carries the next one."""
    await mailer.send(outgoing(1))
    bad = outgoing(2).__class__(**{**vars(outgoing(2)), **poison})
    with pytest.raises(CannotCompose, match=re.escape(fault)) as raised:
        await mailer.send(bad)
    assert isinstance(raised.value, PermanentlyRejected)
    assert "zoe@" not in str(raised.value) and "all@" not in str(raised.value)
    await mailer.send(outgoing(3))
    assert len(sink.handler.connections) == 2 and len(set(sink.handler.connections)) == 1


def test_an_unknown_smtp_security_mode_is_refused_with_the_modes_named():
    with pytest.raises(ValueError, match="none, starttls, tls"):
        Mailer("127.0.0.1", 25, SENDER, security="ssl")
