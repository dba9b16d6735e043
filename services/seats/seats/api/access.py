"""`GET /access`: may this person or device use this product now (R21–R28, R43)? Asked by a
product's backend (its client's token) or a person; answered signed on request (issue 14)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from seats.api.deps import SignerDep
from seats.domain.access import AccessAnswer
from seats.handlers.access import check_access
from servicekit.http.deps import ProductOrPersonCaller
from servicekit.http.fields import Line
from servicekit.runtime import Runtime


class AccessView(BaseModel):
    allowed: bool
    reason: str = Field(
        description="Allowed: how the seat grants it (e.g. `named seat assigned`). Refused: why, in words; "
        "exactly `payment_overdue` when their seats are those of subscriptions billing suspended for an "
        "overdue invoice (issue 15): the seats stay assigned and access comes back once it is paid. A seat "
        "of another subscription, not suspended, still answers allowed."
    )
    tier: str | None = Field(description="The best tier they may use, when allowed.")
    licence_type: str | None = Field(description="named_user, floating, node_locked, or free (R43).")
    subscription_id: str | None = Field(
        description="The subscription whose seat grants it (none: free); refused `payment_overdue`: the "
        "subscription suspended."
    )
    modules: list[str] = Field(description="Modules of the tier in force.")
    add_ons: list[str] = Field(description="Add-ons bought with the subscription.")
    limits: dict[str, int] = Field(description="Limits of the tier in force, e.g. projects: 50.")
    not_after: datetime | None = Field(
        description="Until when this answer (and its entitlement) may be relied on offline, when allowed; "
        "never past the start of a period billing suspended for an overdue invoice (issue 15)."
    )
    fallback: str | None = Field(
        description="R43: `standard` (the free tier kept after a trial or a revoked seat) or `trial` "
        "(no seat, and they may start the free trial)."
    )
    entitlement: str | None = Field(
        description="With `signed=true` and allowed: the answer as a compact JWS (EdDSA, keys at "
        "`/.well-known/jwks.json`), to verify offline until `not_after`."
    )

    @classmethod
    def of(cls, a: AccessAnswer) -> AccessView:
        return cls(
            allowed=a.allowed,
            reason=a.reason,
            tier=a.tier,
            licence_type=a.licence_type,
            subscription_id=a.subscription_id,
            modules=a.modules,
            add_ons=a.add_ons,
            limits=a.limits,
            not_after=a.not_after,
            fallback=a.fallback,
            entitlement=a.entitlement,
        )


router = APIRouter(tags=["access"])


@router.get(
    "/access",
    response_model=AccessView,
    summary="May this person (user_id or email) or device use the product now?",
    description="Who may call: a product client (its token from identity's `POST /oauth/token`), "
    "about anyone, for ITS product only; a signed-in person, about themselves (their person id or "
    "e-mail, or a device where they activated a key); a subscription's administrator, also about the "
    "users and devices of the subscriptions they administer. Asked about anyone else (or by a "
    "product client about another product), the answer is the one for someone who holds nothing "
    "(allowed: false), so it tells nobody who holds what. `signed=true`: an allowed answer carries "
    "its signed entitlement.",
)
async def access(
    product: Annotated[Line, Query(min_length=1, max_length=64)],
    caller: ProductOrPersonCaller,
    runtime: Runtime,
    signer: SignerDep,
    user_id: Annotated[Line | None, Query(max_length=64, description="A person id.")] = None,
    email: Annotated[
        str | None,
        # A key to look up, not an address to store or mail: its shape and length are checked,
        # not its deliverability (email-validator was a twentieth of the check's cost).
        Query(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$", description="One e-mail address."),
    ] = None,
    device_id: Annotated[Line | None, Query(max_length=200, description="A device's fingerprint.")] = None,
    signed: Annotated[bool, Query(description="Add the signed entitlement to an allowed answer.")] = False,
) -> Response:
    async with runtime.uow(read_only=True) as uow:  # a read: no transaction to begin or end
        answer = await check_access(
            uow,
            product,
            runtime.clock.now(),
            caller,
            user_id=user_id,
            email=email,
            device_id=device_id,
            signer=signer,
            signed=signed,
        )
    # Serialized once here: a returned model would be validated and serialized again.
    return Response(AccessView.of(answer).model_dump_json(), media_type="application/json")
