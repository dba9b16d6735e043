"""Events of the notifications service (topic `notifications.events.v1`)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.envelope import Event


class EmailSent(Event):
    """An e-mail was accepted by the SMTP server. Carries no address, only the person id."""

    type: ClassVar[str] = "notifications.email_sent"
    email_id: str = Field(description="Unique id of the e-mail (also its Message-ID).")
    template: str = Field(description="Which e-mail, e.g. `agreement`.")
    locale: str = Field(description="Language it was written in.")
    recipient_id: str = Field(description="Person id of the recipient.")
    subscription_id: str = Field(description="Subscription it is about.")
    caused_by: str = Field(description="Id of the event that triggered it.")
    sent_at: datetime = Field(description="When the SMTP server accepted it.")


class EmailRejected(Event):
    """An e-mail will never be sent, and is not retried (R34): the SMTP server refused it for
    good (e.g. unknown mailbox), or it could not be rendered or composed (e.g. a line break in
    a name that reaches its subject, or not exactly one recipient address). It concerns that
    e-mail alone: the others are sent as usual."""

    type: ClassVar[str] = "notifications.email_rejected"
    email_id: str = Field(description="Unique id of the e-mail.")
    template: str = Field(description="Which e-mail.")
    recipient_id: str = Field(description="Person id of the recipient.")
    subscription_id: str = Field(description="Subscription (or account) it is about.")
    caused_by: str = Field(description="Id of the event that triggered it.")
    reason: str = Field(
        description="The server's answer (e.g. `550 ...`), or what made the e-mail "
        "impossible to compose; never the address or the text."
    )
    rejected_at: datetime = Field(description="When.")
