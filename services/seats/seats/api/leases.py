"""Floating seats (R26): take a lease at sign-in, heartbeat while in use, release at the end."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from seats.api.schemas import ADMINISTRATOR, PAGINATED, SEAT_HOLDER, command_answer
from seats.domain.leases import Lease
from seats.handlers import leases
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.deps import Commands, CurrentCaller
from servicekit.http.pagination import PageRequest, page_request, paged
from servicekit.runtime import Runtime

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
    def of(cls, lease: Lease) -> LeaseView:
        return cls(**{k: v for k, v in vars(lease).items() if k != "email"})


router = APIRouter(tags=["floating seats"])


@router.post(
    "/subscriptions/{subscription_id}/leases",
    status_code=201,
    response_model=command_answer(LeaseView),
    summary="Take a floating seat for one hour (R26)",
    description=SEAT_HOLDER + " A listed user without an assignment is refused (403 `no_seat_assigned`, "
    "R24); with every seat in use, 409 `no_free_seat`.",
)
async def acquire(subscription_id: str, request: Request, caller: CurrentCaller, commands: Commands) -> Any:
    async def act(uow: SeatsUnitOfWork) -> LeaseView:
        # The token's session (`sid`): sign-out releases that session's leases.
        return LeaseView.of(await leases.acquire(subscription_id, caller, caller.session_id, uow))

    return await commands.run(request, caller, None, act, status_code=201)


@router.get(
    "/subscriptions/{subscription_id}/leases",
    response_model=list[LeaseView],
    summary="The floating seats in use now, oldest first (R26)",
    description=ADMINISTRATOR + PAGINATED,
)
async def in_use(
    request: Request,
    subscription_id: str,
    page: Annotated[PageRequest, Depends(page_request)],
    caller: CurrentCaller,
    runtime: Runtime,
) -> Any:
    async with runtime.uow(subject=subscription_id) as uow:
        found = await leases.live_leases(subscription_id, caller, page, uow)
    return paged(request, page, found, lambda lease: (lease.acquired_at, lease.lease_id), LeaseView.of)


@router.post(
    "/leases/{lease_id}/heartbeat",
    response_model=command_answer(LeaseView),
    summary="Still in use: the lease runs an hour from now (R26)",
    description=HOLDER,
)
async def heartbeat(lease_id: str, request: Request, caller: CurrentCaller, commands: Commands) -> Any:
    async def act(uow: SeatsUnitOfWork) -> LeaseView:
        return LeaseView.of(await leases.heartbeat(lease_id, caller, uow))

    return await commands.run(request, caller, None, act)


@router.delete(
    "/leases/{lease_id}",
    response_model=command_answer(LeaseView),
    summary="Give the floating seat back (R26)",
    description="Who may call: the person holding the lease, or the administrator of its "
    "subscription; to anyone else it does not exist (404).",
)
async def release(lease_id: str, request: Request, caller: CurrentCaller, commands: Commands) -> Any:
    async def act(uow: SeatsUnitOfWork) -> LeaseView:
        return LeaseView.of(await leases.release(lease_id, caller, uow))

    return await commands.run(request, caller, None, act)
