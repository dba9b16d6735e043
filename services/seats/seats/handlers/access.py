"""The access query (R21–R28): answered from seats' own tables in one indexed query."""

from __future__ import annotations

from datetime import datetime

from contracts.errors import Refusal, RuleViolation
from seats.domain.access import AccessAnswer, decide, visible_to
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.auth import Caller


async def check_access(
    uow: SeatsUnitOfWork,
    product: str,
    at: datetime,
    asker: Caller,
    *,
    user_id: str | None = None,
    email: str | None = None,
    device_id: str | None = None,
) -> AccessAnswer:
    """Only what `asker` may learn counts (`domain.access.visible_to`): their own seats, or the
    seats of subscriptions they administer."""
    if not (user_id or email or device_id):
        raise RuleViolation(
            "who", "Say whose access: user_id (person id), email or device_id.", refusal=Refusal.INVALID
        )
    email = email.strip().lower() if email else None
    about_asker = (user_id == asker.person_id) if user_id else (email is not None and email == asker.email.lower())
    grants = await uow.access.grants(
        product,
        at,
        user_id=user_id,
        email=email,
        device_id=device_id,
        about_asker=about_asker,
        asker_id=asker.person_id,
    )
    return decide(visible_to(grants, asker.person_id, asker.account_id), product)
