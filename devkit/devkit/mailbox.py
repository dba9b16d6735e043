"""Reads what the SMTP sink kept: for tests, the demo and `entitle mail`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path


@dataclass(frozen=True)
class ReceivedMail:
    path: Path
    to: str
    subject: str
    message_id: str
    template: str
    subscription_id: str
    caused_by: str
    language: str
    text: str
    html: str


def read_mailbox(directory: str | Path) -> list[ReceivedMail]:
    found = []
    for path in sorted(Path(directory).glob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        found.append(
            ReceivedMail(
                path=path,
                to=str(message["To"]),
                subject=str(message["Subject"]),
                message_id=str(message["Message-ID"]),
                template=str(message["X-Entitle-Template"]),
                subscription_id=str(message["X-Entitle-Subscription"]),
                caused_by=str(message["X-Entitle-Caused-By"]),
                language=str(message["Content-Language"]),
                text=text.get_content() if text else "",
                html=html.get_content() if html else "",
            )
        )
    return found


VERIFICATION_TOKEN = re.compile(r"/verifications\?token=([A-Za-z0-9_\-]+)")


def verification_token(directory: str | Path, email: str) -> str | None:
    """The token of the newest verification e-mail sent to `email`, as its reader would click it."""
    for mail in reversed(read_mailbox(directory)):
        if (
            mail.template == "verification"
            and email.lower() in mail.to.lower()
            and (found := VERIFICATION_TOKEN.search(mail.text))
        ):
            return found.group(1)
    return None
