"""`GET /access`: may this person or device use this product now (R21–R28)?"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from seats.handlers.access import check_access
from servicekit.http.deps import CurrentCaller
from servicekit.http.fields import EmailAddress, Line
from servicekit.runtime import Runtime


class AccessView(BaseModel):
    allowed: bool
    tier: str | None = Field(description="The best tier they may use, when allowed.")
    licence_type: str | None
    subscription_id: str | None = Field(description="The subscription whose seat grants it.")
    reason: str


router = APIRouter(tags=["access"])


@router.get(
    "/access",
    summary="May this person (user_id or email) or device use the product now?",
    description="Who may call: any signed-in person, about themselves (their person id or e-mail, "
    "or a device where they activated a key); a subscription's administrator, also about the users "
    "and devices of the subscriptions they administer. Asked about anyone else, the answer is the "
    "one for someone who holds nothing (allowed: false), so it tells nobody who holds what. "
    "Products will ask with credentials of their own (a later issue).",
)
async def access(
    product: Annotated[Line, Query(min_length=1, max_length=64)],
    caller: CurrentCaller,
    runtime: Runtime,
    user_id: Annotated[Line | None, Query(max_length=64, description="A person id.")] = None,
    email: Annotated[EmailAddress | None, Query(description="One e-mail address.")] = None,
    device_id: Annotated[Line | None, Query(max_length=200)] = None,
) -> AccessView:
    async with runtime.uow() as uow:
        answer = await check_access(
            uow, product, runtime.clock.now(), caller, user_id=user_id, email=email, device_id=device_id
        )
    return AccessView(**vars(answer))
