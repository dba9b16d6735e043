"""Floating seats (R26): take a lease at sign-in, heartbeat while in use, release at the end."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

import jwt
from fastapi import APIRouter, Header, Request
from pydantic import BaseModel

from seats import leases
from seats.domain.leases import Lease
from servicekit.auth import Caller
from servicekit.runtime import ServiceRuntime


class LeaseView(BaseModel):
    lease_id: str
    subscription_id: str
    person_id: str
    session_id: str | None
    acquired_at: datetime
    expires_at: datetime
    released_at: datetime | None

    @classmethod
    def of(cls, lease: Lease) -> "LeaseView":
        return cls(**{k: v for k, v in vars(lease).items() if k != "email"})


def session_of(authorization: str | None) -> str | None:
    """The token's `sid` claim (optional): sign-out releases that session's leases. The token
    itself was verified by the `authenticated` dependency of the same request."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    try:
        claims = jwt.decode(authorization[7:].strip(), options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return None
    return str(claims["sid"]) if claims.get("sid") else None


def routes(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["floating seats"])
    authenticated = runtime.authenticated

    @router.post("/subscriptions/{subscription_id}/leases", status_code=201,
                 summary="Take a floating seat for one hour (R26)")
    async def acquire(subscription_id: str, request: Request, caller: Caller = authenticated,
                      authorization: Annotated[str | None, Header()] = None):
        async def act(uow):
            return LeaseView.of(await leases.acquire(subscription_id, caller, session_of(authorization), uow))
        return await runtime.command(request, caller, None, act, status_code=201)

    @router.post("/leases/{lease_id}/heartbeat", summary="Still in use: the lease runs an hour from now (R26)")
    async def heartbeat(lease_id: str, request: Request, caller: Caller = authenticated):
        async def act(uow):
            return LeaseView.of(await leases.heartbeat(lease_id, caller, uow))
        return await runtime.command(request, caller, None, act)

    @router.delete("/leases/{lease_id}", summary="Give the floating seat back (R26)")
    async def release(lease_id: str, request: Request, caller: Caller = authenticated):
        async def act(uow):
            return LeaseView.of(await leases.release(lease_id, caller, uow))
        return await runtime.command(request, caller, None, act)

    return router
