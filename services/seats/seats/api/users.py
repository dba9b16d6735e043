"""The users of a subscription: list, add and invite, assign, resend invitations, unassign."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from contracts.errors import ErrorBody, RuleViolation
from seats.api.deps import InvitationsDep
from seats.api.schemas import ADMINISTRATOR, PAGINATED, command_answer, page_answer
from seats.domain.pools import SeatPool
from seats.domain.users import NewUser, SeatUser, UserStatus
from seats.handlers import users
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.auth import Caller
from servicekit.http.deps import Commands, CurrentCaller
from servicekit.http.fields import EmailAddress, Line
from servicekit.http.pagination import PageRequest, page_request
from servicekit.runtime import Runtime

RECIPIENTS = users.MAX_RECIPIENTS_PER_REQUEST
LIMITED = (
    " Invitation e-mails count against the account's hourly limit "
    "(`SEATS_INVITATION_EMAILS_PER_ACCOUNT_PER_HOUR`): past it, 429 with Retry-After and nothing done."
)


class NewUserBody(BaseModel):
    email: EmailAddress = Field(description="The user's e-mail address: one address.")
    first_name: Line = Field(max_length=200, description="Required (R22); one line.")
    last_name: Line = Field(max_length=200, description="Required (R22); one line.")
    locale: str | None = Field(
        None, pattern="^(en|fr|nl|de)$", description="Language of the invitation; the administrator's by default."
    )


class AddUsersRequest(BaseModel):
    users: list[NewUserBody] = Field(min_length=1, max_length=RECIPIENTS, description="One or many users.")
    assign_seats: bool = Field(False, description="Also give each a seat; all or none, if enough are free (R25).")


class UserIdsRequest(BaseModel):
    user_ids: list[Annotated[Line, Field(max_length=64)]] = Field(min_length=1, max_length=RECIPIENTS)


class ResendRequest(BaseModel):
    user_ids: list[Annotated[Line, Field(max_length=64)]] | None = Field(
        None, max_length=RECIPIENTS, description="Exactly these users."
    )
    all: bool = Field(False, description=f"Every user who has not registered yet (at most {RECIPIENTS}).")
    status: UserStatus | None = Field(None, description="Filter: users with this status.")
    text: Line | None = Field(None, max_length=200, description="Filter: e-mail or name contains this.")


class UserView(BaseModel):
    user_id: str
    email: str
    first_name: str
    last_name: str
    status: UserStatus
    person_id: str | None
    seat_assigned: bool
    added_at: datetime
    invited_at: datetime | None

    @classmethod
    def of(cls, u: SeatUser, pool: SeatPool) -> UserView:
        return cls(
            user_id=u.user_id,
            email=u.email,
            first_name=u.first_name,
            last_name=u.last_name,
            status=u.status,
            person_id=u.person_id,
            seat_assigned=pool.holds(u.user_id),
            added_at=u.added_at,
            invited_at=u.invited_at,
        )


class UsersView(BaseModel):
    users: list[UserView]


router = APIRouter(prefix="/subscriptions/{subscription_id}/users", tags=["users"])


async def _answer(subscription_id: str, chosen: list[SeatUser], caller: Caller, uow: SeatsUnitOfWork) -> UsersView:
    pool = await users.administered_pool(subscription_id, caller, uow)
    return UsersView(users=[UserView.of(u, pool) for u in chosen])


@router.get(
    "",
    response_model=UsersView,
    summary="The subscription's users, with status and seat (R22)",
    description=ADMINISTRATOR + PAGINATED,
)
async def list_users(
    request: Request,
    subscription_id: str,
    page: Annotated[PageRequest, Depends(page_request)],
    caller: CurrentCaller,
    runtime: Runtime,
    status: UserStatus | None = None,
    text: Annotated[Line | None, Query(max_length=200, description=("E-mail or name contains this."))] = None,
) -> Any:
    async with runtime.uow(subject=subscription_id) as uow:
        pool = await users.administered_pool(subscription_id, caller, uow)
        found = await uow.users.page(subscription_id, page, status=status, text=text)
    return page_answer(
        request,
        page,
        found,
        lambda u: (u.added_at, u.user_id),
        lambda shown: UsersView(users=[UserView.of(u, pool) for u in shown]),
    )


@router.post(
    "",
    status_code=201,
    response_model=command_answer(UsersView),
    summary="Add users and invite them; optionally assign seats (R22, R25)",
    description=ADMINISTRATOR + f" At most {RECIPIENTS} users a request." + LIMITED,
)
async def add(
    subscription_id: str,
    body: AddUsersRequest,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    invitations: InvitationsDep,
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> UsersView:
        new = [NewUser(u.email, u.first_name, u.last_name, u.locale) for u in body.users]
        added = await users.add_users(subscription_id, new, body.assign_seats, invitations, caller, uow)
        return await _answer(subscription_id, added, caller, uow)

    return await commands.run(request, caller, body, act, status_code=201)


@router.post(
    "/assignments",
    response_model=command_answer(UsersView),
    summary="Give listed users a seat (R25)",
    description=ADMINISTRATOR + f" At most {RECIPIENTS} users a request. In a floating pool an "
    "assignment is the right to take a floating seat when one is free (R26).",
)
async def assign(
    subscription_id: str, body: UserIdsRequest, request: Request, caller: CurrentCaller, commands: Commands
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> UsersView:
        assigned = await users.assign_users(subscription_id, body.user_ids, caller, uow)
        chosen = [await uow.users.get(subscription_id, a.user_id) for a in assigned]
        return await _answer(subscription_id, chosen, caller, uow)

    return await commands.run(request, caller, body, act)


@router.post(
    "/invitations/resend",
    response_model=command_answer(UsersView),
    summary="Invite again: a list, a filter, or all (R22)",
    description=ADMINISTRATOR + f" At most {RECIPIENTS} recipients a request (422 beyond: narrow "
    "the filter)." + LIMITED,
)
async def resend(
    subscription_id: str,
    body: ResendRequest,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    invitations: InvitationsDep,
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> UsersView:
        selection = users.ResendSelection(user_ids=body.user_ids, everyone=body.all, status=body.status, text=body.text)
        chosen = await users.resend_invitations(subscription_id, selection, invitations, caller, uow)
        return await _answer(subscription_id, chosen, caller, uow)

    return await commands.run(request, caller, body, act)


@router.post(
    "/unassign",
    response_model=command_answer(UsersView),
    summary="Free the seats of one or many users; access ends at once (R24)",
    description=ADMINISTRATOR + " Their floating leases and node-locked keys are released at once, "
    "each with its event (`seats.lease_revoked`, `seats.device_deactivated`).",
)
async def unassign(
    subscription_id: str, body: UserIdsRequest, request: Request, caller: CurrentCaller, commands: Commands
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> UsersView:
        freed = await users.unassign_users(subscription_id, body.user_ids, caller, uow)
        return await _answer(subscription_id, freed, caller, uow)

    return await commands.run(request, caller, body, act)


@router.delete(
    "/{user_id}",
    status_code=409,
    response_model=ErrorBody,
    summary="Refused: users are never deleted (R5); unassign them instead",
    description=ADMINISTRATOR + " Always answers 409 `users_are_kept` to the administrator.",
)
async def delete(subscription_id: str, user_id: str, caller: CurrentCaller, runtime: Runtime) -> Any:
    async with runtime.uow(subject=subscription_id) as uow:
        await users.administered_pool(subscription_id, caller, uow)
    raise RuleViolation(
        "users_are_kept",
        "A user is never deleted from the subscription (R5); "
        f"POST /subscriptions/{subscription_id}/users/unassign frees their seat.",
        rule="R5",
    )
