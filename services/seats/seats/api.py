"""HTTP commands and queries of the seats service."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from contracts.values import LicenceType
from seats import handlers
from seats.domain import SeatPool
from seats.store import SeatPoolRepository
from servicekit.auth import Caller
from servicekit.runtime import ServiceRuntime


class AssignRequest(BaseModel):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$",
                       description="E-mail of the user to give a seat.")


class QuantityRequest(BaseModel):
    quantity: int = Field(gt=0, le=100_000, description="The new number of seats.")


class AssignmentView(BaseModel):
    user_id: str
    email: str
    assigned_at: datetime


class PoolView(BaseModel):
    subscription_id: str
    status: str
    licence_type: LicenceType
    quantity: int
    scheduled_quantity: int | None
    term_end: datetime | None
    deprovision_at: datetime | None
    trial_ends_at: datetime | None
    assigned: int
    assignments: list[AssignmentView]

    @classmethod
    def of(cls, p: SeatPool) -> "PoolView":
        return cls(subscription_id=p.subscription_id, status=p.status.value,
                   licence_type=p.licence_type, quantity=p.quantity,
                   scheduled_quantity=p.scheduled_quantity, term_end=p.term_end,
                   deprovision_at=p.deprovision_at, trial_ends_at=p.trial_ends_at,
                   assigned=len(p.assignments),
                   assignments=[AssignmentView(**vars(a)) for a in p.assignments])


def routes(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/subscriptions/{subscription_id}", tags=["seats"])
    authenticated = runtime.authenticated

    @router.get("/seats", summary="The seat pool and its assignments (administrator only, R6)")
    async def pool(subscription_id: str, caller: Caller = authenticated) -> PoolView:
        async with runtime.db.connect() as conn:
            found = await SeatPoolRepository(conn).get(subscription_id)
        found.ensure_administered_by(caller.person_id, caller.account_id)
        return PoolView.of(found)

    @router.post("/seats/assignments", status_code=201, summary="Give a user a seat (R21, R25)")
    async def assign(subscription_id: str, body: AssignRequest, request: Request,
                     caller: Caller = authenticated):
        async def act(uow):
            assignment = await handlers.assign_seat(subscription_id, body.email, caller, uow,
                                                    runtime.settings.identity_public_url)
            return AssignmentView(**vars(assignment))
        return await runtime.command(request, caller, body, act, status_code=201)

    @router.post("/seats/quantity", summary="Change the quantity: increases now, decreases at term end (R25)")
    async def change_quantity(subscription_id: str, body: QuantityRequest, request: Request,
                              caller: Caller = authenticated):
        async def act(uow):
            return PoolView.of(await handlers.change_quantity(subscription_id, body.quantity, caller, uow))
        return await runtime.command(request, caller, body, act)

    return router
