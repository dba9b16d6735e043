"""`GET /access`: may this person or device use this product now (R21–R28)?"""
from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel

from seats.access import check_access
from servicekit.auth import Caller
from servicekit.runtime import ServiceRuntime


class AccessView(BaseModel):
    allowed: bool
    tier: str | None
    licence_type: str | None
    subscription_id: str | None
    reason: str


def routes(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["access"])

    # Any valid token may ask, for now; a product's own service token would be better (see README).
    @router.get("/access", summary="May this person (user_id or email) or device use the product now?")
    async def access(product: str = Query(min_length=1, max_length=64), user_id: str | None = None,
                     email: str | None = None, device_id: str | None = None,
                     _caller: Caller = runtime.authenticated) -> AccessView:
        async with runtime.db.connect() as conn:
            answer = await check_access(conn, product, runtime.clock.now(), user_id=user_id, email=email,
                                        device_id=device_id)
        return AccessView(**vars(answer))

    return router
