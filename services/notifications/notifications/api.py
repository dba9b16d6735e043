"""HTTP queries of the notifications service: the delivery log."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from notifications.access import Reader, readable
from notifications.handlers import wake_sender
from notifications.store import AdministratorRepository, EmailRepository, OutgoingEmail
from servicekit.auth import Caller
from servicekit.http import operator_dependency
from servicekit.runtime import ServiceRuntime


class DeliveryView(BaseModel):
    """One e-mail to one recipient because of one event. No address, no text."""

    email_id: str
    template: str
    locale: str
    subject: str
    recipient_id: str = Field(description="Person id of the recipient.")
    caused_by: str = Field(description="Id of the event that caused it.")
    subscription_id: str = Field(description="What it is about: a subscription, an account or a person.")
    status: str = Field(description="`pending`, `sent` or `rejected`.")
    attempts: int = Field(description="Attempts to hand it to the SMTP server so far.")
    last_error: str | None = Field(description="The last failure, or the rejection.")
    next_attempt_at: datetime | None = Field(description="When a pending e-mail is tried again (real time).")
    sent_at: datetime | None
    rejected_at: datetime | None

    @classmethod
    def of(cls, email: OutgoingEmail) -> "DeliveryView":
        return cls(**{name: getattr(email, name) for name in cls.model_fields})


def routes(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["notifications"])

    @router.get("/deliveries", summary="The delivery log: your e-mails, or those of an event or a person you administer")
    async def deliveries(caused_by: str | None = Query(None, description="Only the e-mails this event caused."),
                         recipient: str | None = Query(None, description="Only the e-mails to this person id."),
                         caller: Caller = runtime.authenticated) -> list[DeliveryView]:
        reader = Reader(caller.person_id, caller.account_id)
        if caused_by is None and recipient is None:
            recipient = caller.person_id
        async with runtime.db.connect() as conn:
            found = await EmailRepository(conn).log(caused_by=caused_by, recipient_id=recipient)
            administrators = await AdministratorRepository(conn).of(
                {e.subscription_id for e in found} | {e.account_id for e in found if e.account_id})
        return [DeliveryView.of(e) for e in readable(reader, found, administrators, _asked(caused_by, recipient))]

    @router.post("/ops/deliveries/retry-now", dependencies=[operator_dependency(runtime)],
                  summary="Operators: after an SMTP outage, try every pending e-mail now instead of "
                          "at the end of its backoff")
    async def retry_now() -> dict:
        async with runtime.db.engine.begin() as conn:
            due = await EmailRepository(conn).retry_now()
        wake_sender()
        return {"due_now": due}

    return router


def _asked(caused_by: str | None, recipient: str | None) -> str:
    return " and ".join(filter(None, [caused_by and f"event {caused_by}", recipient and f"person {recipient}"]))
