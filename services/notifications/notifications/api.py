"""HTTP queries of the notifications service: the delivery log."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from notifications.store import EmailRepository
from servicekit.auth import Caller
from servicekit.runtime import ServiceRuntime


class DeliveryView(BaseModel):
    email_id: str
    template: str
    locale: str
    subject: str
    subscription_id: str
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None


def routes(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["notifications"])

    @router.get("/deliveries", summary="E-mails sent to the caller, with their delivery status")
    async def my_deliveries(caller: Caller = runtime.authenticated) -> list[DeliveryView]:
        async with runtime.db.connect() as conn:
            found = await EmailRepository(conn).log(recipient_id=caller.person_id)
        return [DeliveryView(**{k: getattr(e, k) for k in DeliveryView.model_fields}) for e in found]

    return router
