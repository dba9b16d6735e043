"""`GET /licences`: the company-wide licence view (R39) — every licence the caller administers
in the account they act for, and its users with their seat, searchable by name or e-mail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from contracts.values import LicenceType
from seats.api.schemas import PAGINATED, page_answer
from seats.domain.users import UserStatus
from seats.store.licences import LicenceSummary, LicenceUser
from servicekit.http.deps import CurrentCaller
from servicekit.http.fields import Line
from servicekit.http.pagination import PageRequest, page_request
from servicekit.runtime import Runtime


class LicenceView(BaseModel):
    subscription_id: str
    product: str
    tier: str
    licence_type: LicenceType
    status: str = Field(description="The pool's: `locked`, `unlocked`, `closed` or `deprovisioned` (R21, R28).")
    quantity: int = Field(description="Seats in force (R25).")
    assigned: int = Field(description="Assignments in force.")


class LicenceUserView(BaseModel):
    subscription_id: str
    user_id: str
    email: str
    first_name: str
    last_name: str
    status: UserStatus
    seat_assigned: bool


class LicencesView(BaseModel):
    licences: list[LicenceView] = Field(description="Every licence the caller administers, on every page.")
    users: list[LicenceUserView] = Field(description="A page of their users, by e-mail.")


router = APIRouter(tags=["licences"])


@router.get(
    "/licences",
    response_model=LicencesView,
    summary="Every licence of the company the caller administers, with its users (R39)",
    description="Who may call: any signed-in person; the answer holds only the subscriptions they "
    "administer for the account they are signed in for (R6), none for anyone else. Users are "
    "ordered by e-mail, so one person's licences are side by side." + PAGINATED,
)
async def licences(
    request: Request,
    page: Annotated[PageRequest, Depends(page_request)],
    caller: CurrentCaller,
    runtime: Runtime,
    text: Annotated[Line | None, Query(max_length=200, description="E-mail or name contains this.")] = None,
) -> Any:
    async with runtime.uow() as uow:
        held = await uow.licences.administered(caller.person_id, caller.account_id)
        rows = await uow.licences.users([h.subscription_id for h in held], page, text) if held else []
    return page_answer(
        request,
        page,
        rows,
        lambda u: (u.email, u.user_id),
        lambda shown: LicencesView(licences=[_licence(h) for h in held], users=[_user(u) for u in shown]),
    )


def _licence(h: LicenceSummary) -> LicenceView:
    return LicenceView(**{**vars(h), "licence_type": LicenceType(h.licence_type)})


def _user(u: LicenceUser) -> LicenceUserView:
    return LicenceUserView(**{**vars(u), "status": UserStatus(u.status)})
