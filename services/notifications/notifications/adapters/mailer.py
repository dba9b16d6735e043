"""SMTP delivery with aiosmtplib. Tells a temporary failure (retry) from a permanent one.

One SMTP connection is kept open across e-mails: opening one (connect, greeting, EHLO) and
closing it (QUIT) for every e-mail cost more than sending the e-mail itself.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from typing import NoReturn

import aiosmtplib

from notifications.domain.emails import OutgoingEmail
from servicekit.http.fields import email_address, single_line

# Replies that mean "log in first" or "not with these credentials" (RFC 4954): every e-mail
# would get the same, so they stop the queue instead of rejecting each e-mail for good.
LOG_IN_REQUIRED = frozenset({530, 534, 535, 538})

# The width of the delivery log's subject column (store.tables.emails), which a subject fills.
MAX_SUBJECT_LENGTH = 500

# A relay may refuse more messages on one connection; starting a new one now and then
# stays under such limits without ever hitting them.
MESSAGES_PER_CONNECTION = 100


# An attachment's filename goes into a MIME header: plain characters only.
_ATTACHMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}\.pdf")


@dataclass(frozen=True)
class Attachment:
    """A file an e-mail carries: an invoice's PDF (issue 15, item 3)."""

    filename: str
    content: bytes
    media_type: str = "application/pdf"


def header_problem(recipient_email: str, subject: str) -> str | None:
    """Why an e-mail cannot be composed, or None. Addresses and names come from events: from
    old data, another service's bug or a forged producer, a line break there would split a
    header, and "a@x, b@y" would mail someone nobody chose. Such an e-mail is rejected alone;
    it must never look like an unreachable server, which holds back everyone's mail. The
    reason names the fault, never the address."""
    try:
        email_address(recipient_email)
    except ValueError as error:
        return f"the recipient address {error}"
    try:
        single_line(subject)
    except ValueError:
        return "the subject holds a line break or a control character (from a name, a company or a project id)"
    if len(subject) > MAX_SUBJECT_LENGTH:
        return f"the subject is longer than {MAX_SUBJECT_LENGTH} characters"
    return None


class PermanentlyRejected(Exception):
    """The server refused the message for good (5xx): retrying cannot help."""


class CannotCompose(PermanentlyRejected):
    """The e-mail itself cannot become a message (a line break in a header, not one address):
    no server will ever take it, and it says nothing about the server, so it is rejected alone
    while the others go on."""


class ServerUnavailable(ConnectionError):
    """The server cannot take any e-mail now (it hung up with 421, refused the log-in or the
    TLS upgrade): every e-mail would fail alike, so the whole queue waits."""


class TemporarilyRefused(Exception):
    """The server, still connected, refused this message for now (4xx): try it again later,
    and meanwhile send the others."""


class _HeaderClasses(HeaderRegistry):
    """The standard header classes, made once per header name. The standard registry makes
    a new class for every header it parses: half the cost of composing an e-mail."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        if (made := self._made.get(key)) is None:
            made = self._made[key] = super().__getitem__(name)
        return made


# The default policy in every other respect: the same bytes on the wire.
COMPOSING_POLICY = policy.default.clone(header_factory=_HeaderClasses())


SECURITY_MODES = ("none", "starttls", "tls")
"""Plain SMTP (a local relay, Mailpit), STARTTLS on a submission port (587), or TLS from the
first byte (465)."""


class Mailer:
    """Sends over one kept-open SMTP connection, opened again after an error or a drop, and
    closed when idle (`close_if_idle`) or on shutdown (`close`)."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        timeout: float = 10.0,
        idle_seconds: float = 20.0,
        security: str = "none",
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self._host, self._port, self._timeout = host, port, timeout
        if security not in SECURITY_MODES:
            raise ValueError(f"SMTP security must be one of {', '.join(SECURITY_MODES)}, not {security!r}")
        self._security, self._username, self._password = security, username or None, password or None
        self._idle_seconds = idle_seconds  # well under the 5 minutes servers wait (RFC 5321)
        self._from = COMPOSING_POLICY.header_factory("From", sender)  # parsed once, for every e-mail
        self._client: aiosmtplib.SMTP | None = None
        self._sent_on_connection = 0
        self._last_used = 0.0

    def compose(self, email: OutgoingEmail, attachment: Attachment | None = None) -> EmailMessage:
        """Raises CannotCompose, naming the fault but neither the address nor the text."""
        if problem := header_problem(email.recipient_email, email.subject):
            raise CannotCompose(problem)
        if attachment is not None and (
            attachment.media_type != "application/pdf" or not _ATTACHMENT_NAME.fullmatch(attachment.filename)
        ):
            raise CannotCompose("the attachment is not a PDF with a plain file name")
        try:
            message = self._compose(email)
            if attachment is not None:
                # After the text and HTML parts: the message becomes multipart/mixed around them.
                message.add_attachment(
                    attachment.content, maintype="application", subtype="pdf", filename=attachment.filename
                )
                del message["Content-Language"]  # moved into the text parts: the message's own again
                message["Content-Language"] = email.locale
            return message
        except Exception as error:  # e.g. ValueError: a line break in a header the check missed
            raise CannotCompose(f"the message could not be composed ({type(error).__name__})") from error

    def _compose(self, email: OutgoingEmail) -> EmailMessage:
        message = EmailMessage(policy=COMPOSING_POLICY)
        message["From"], message["To"], message["Subject"] = self._from, email.recipient_email, email.subject
        # A stable Message-ID lets a receiving system drop the copy a crash might resend.
        message["Message-ID"] = f"<{email.email_id}@entitle>"
        message["X-Entitle-Template"] = email.template
        message["X-Entitle-Caused-By"] = email.caused_by
        message["X-Entitle-Subscription"] = email.subscription_id
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        message["Content-Language"] = email.locale  # after set_content, which drops Content-* headers
        return message

    async def send(self, email: OutgoingEmail, attachment: Attachment | None = None) -> None:
        """Raises CannotCompose for an e-mail no server could take, PermanentlyRejected on a
        5xx, TemporarilyRefused on a 4xx from a server that stays connected; an OSError
        (ServerUnavailable, unreachable, hung up, timed out) when the server takes nothing now."""
        message = self.compose(email, attachment)
        try:
            await self._deliver(message)
        except aiosmtplib.SMTPResponseException as error:
            self._classify([error.code], f"{error.code} {error.message}", error)
        except aiosmtplib.SMTPRecipientsRefused as error:
            # The server's answers only: the address stays out of logs and events.
            reason = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
            self._classify([r.code for r in error.recipients], reason, error)

    def _classify(self, codes: list[int], reason: str, error: Exception) -> NoReturn:
        if set(codes) & LOG_IN_REQUIRED:  # the settings' fault, not this e-mail's: hold the queue
            raise ServerUnavailable(f"{reason} (check SMTP_USERNAME, SMTP_PASSWORD, SMTP_SECURITY)") from error
        if codes and all(500 <= c < 600 for c in codes):
            raise PermanentlyRejected(reason) from error
        if self._client is not None and self._client.is_connected:
            raise TemporarilyRefused(reason) from error
        raise ServerUnavailable(reason) from error  # it answered, then hung up (421)

    async def close_if_idle(self) -> None:
        # Monotonic, not the service's Clock: a frozen test clock must not keep sockets open.
        if self._client is not None and time.monotonic() - self._last_used >= self._idle_seconds:
            await self.close()

    async def close(self) -> None:
        """Says QUIT; a connection that does not answer at once is just dropped."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if client.is_connected:
                await client.quit(timeout=2.0)
        except Exception:  # noqa: BLE001 - it is dropped below all the same
            pass
        finally:
            client.close()

    async def _deliver(self, message: EmailMessage) -> None:
        kept = self._client is not None and self._client.is_connected
        try:
            await self._send_once(message)
        except ConnectionError:
            if not kept:
                raise
            # The server closed the kept connection as we used it: once more, on a new one.
            await self._send_once(message)

    async def _send_once(self, message: EmailMessage) -> None:
        client = await self._open()
        try:
            await client.send_message(message)
        except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
            # aiosmtplib reset the envelope (RSET): the connection serves the next e-mail,
            # unless the server hung up (421).
            if not client.is_connected:
                self._drop()
            raise
        except BaseException:
            self._drop()  # in an unknown state: the next e-mail starts on a new connection
            raise
        finally:
            self._last_used = time.monotonic()
        self._sent_on_connection += 1
        if self._sent_on_connection >= MESSAGES_PER_CONNECTION:
            await self.close()

    async def _open(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        self._drop()
        # aiosmtplib upgrades (STARTTLS) and logs in inside connect() when told to.
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            timeout=self._timeout,
            start_tls=self._security == "starttls",
            use_tls=self._security == "tls",
            username=self._username,
            password=self._password,
        )
        try:
            await client.connect()
        except OSError:
            client.close()
            raise
        except aiosmtplib.SMTPException as error:
            # A refused log-in or TLS upgrade is the server's (or its settings') fault, not any
            # one e-mail's: it must hold the queue, not reject every e-mail as a 5xx would.
            client.close()
            raise ServerUnavailable(f"{type(error).__name__}: {error}") from error
        except BaseException:
            client.close()
            raise
        self._client, self._sent_on_connection = client, 0
        return client

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
