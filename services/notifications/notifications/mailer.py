"""SMTP delivery with aiosmtplib. Tells a temporary failure (retry) from a permanent one."""
from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from notifications.store import OutgoingEmail


class PermanentlyRejected(Exception):
    """The server refused the message for good (5xx): retrying cannot help."""


class Mailer:
    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self._host, self._port, self._sender, self._timeout = host, port, sender, timeout

    def compose(self, email: OutgoingEmail) -> EmailMessage:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self._sender, email.recipient_email, email.subject
        # A stable Message-ID lets a receiving system drop the copy a crash might resend.
        message["Message-ID"] = f"<{email.email_id}@entitle>"
        message["X-Entitle-Template"] = email.template
        message["X-Entitle-Caused-By"] = email.caused_by
        message["X-Entitle-Subscription"] = email.subscription_id
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        message["Content-Language"] = email.locale  # after set_content, which drops Content-* headers
        return message

    async def send(self, email: OutgoingEmail) -> None:
        try:
            await aiosmtplib.send(self.compose(email), hostname=self._host, port=self._port,
                                  timeout=self._timeout, start_tls=False, use_tls=False)
        except aiosmtplib.SMTPResponseException as error:
            if 500 <= error.code < 600:
                raise PermanentlyRejected(f"{error.code} {error.message}") from error
            raise
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [r.code for r in error.recipients]
            if codes and all(500 <= c < 600 for c in codes):
                raise PermanentlyRejected(str(error)) from error
            raise
