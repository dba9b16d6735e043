"""Floating seats (R26): take a lease at sign-in, heartbeat while in use, release at the end."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

import jwt
from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel

from seats import leases
from seats.domain.leases import Lease
from seats.routes import ADMINISTRATOR, PAGINATED, SEAT_HOLDER, command_answer
from servicekit.http.auth import Caller
from servicekit.http.pagination import PageRequest, page_request, paged
from servicekit.runtime import ServiceRuntime

HOLDER = "Who may call: the person holding the lease; to anyone else it does not exist (404)."


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

    @router.post("/subscriptions/{subscription_id}/leases", status_code=201, response_model=command_answer(LeaseView),
                 summary="Take a floating seat for one hour (R26)",
                 description=SEAT_HOLDER + " A listed user without an assignment is refused (403 `no_seat_assigned`, "
                 "R24); with every seat in use, 409 `no_free_seat`.")
    async def acquire(subscription_id: str, request: Request, caller: Caller = authenticated,
                      authorization: Annotated[str | None, Header()] = None):
        async def act(uow):
            return LeaseView.of(await leases.acquire(subscription_id, caller, session_of(authorization), uow))
        return await runtime.command(request, caller, None, act, status_code=201)

    @router.get("/subscriptions/{subscription_id}/leases", response_model=list[LeaseView],
                summary="The floating seats in use now, oldest first (R26)", description=ADMINISTRATOR + PAGINATED)
    async def in_use(request: Request, subscription_id: str, page: Annotated[PageRequest, Depends(page_request)],
                     caller: Caller = authenticated):
        async with runtime.uow(subject=subscription_id) as uow:
            found = await leases.live_leases(subscription_id, caller, page, uow)
        return paged(request, page, found, lambda lease: (lease.acquired_at, lease.lease_id), LeaseView.of)

    @router.post("/leases/{lease_id}/heartbeat", response_model=command_answer(LeaseView),
                 summary="Still in use: the lease runs an hour from now (R26)", description=HOLDER)
    async def heartbeat(lease_id: str, request: Request, caller: Caller = authenticated):
        async def act(uow):
            return LeaseView.of(await leases.heartbeat(lease_id, caller, uow))
        return await runtime.command(request, caller, None, act)

    @router.delete("/leases/{lease_id}", response_model=command_answer(LeaseView),
                   summary="Give the floating seat back (R26)",
                   description="Who may call: the person holding the lease, or the administrator of its "
                   "subscription; to anyone else it does not exist (404).")
    async def release(lease_id: str, request: Request, caller: Caller = authenticated):
        async def act(uow):
            return LeaseView.of(await leases.release(lease_id, caller, uow))
        return await runtime.command(request, caller, None, act)

    return router
