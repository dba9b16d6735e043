"""The users of a subscription: list, add and invite, assign, resend invitations, unassign."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from contracts.errors import RuleViolation
from seats import users
from seats.domain import SeatPool
from seats.domain.users import NewUser, SeatUser, UserStatus
from seats.people_store import PeopleRepository
from servicekit.auth import Caller
from servicekit.runtime import ServiceRuntime

EMAIL = dict(min_length=3, max_length=320, description="The user's e-mail address.")


class NewUserBody(BaseModel):
    email: str = Field(**EMAIL)
    first_name: str = Field(max_length=200, description="Required (R22).")
    last_name: str = Field(max_length=200, description="Required (R22).")
    locale: str | None = Field(None, pattern="^(en|fr|nl|de)$",
                               description="Language of the invitation; the administrator's by default.")


class AddUsersRequest(BaseModel):
    users: list[NewUserBody] = Field(min_length=1, max_length=1000, description="One or many users.")
    assign_seats: bool = Field(False, description="Also give each a seat; all or none, if enough are free (R25).")


class UserIdsRequest(BaseModel):
    user_ids: list[str] = Field(min_length=1, max_length=10_000)


class ResendRequest(BaseModel):
    user_ids: list[str] | None = Field(None, description="Exactly these users.")
    all: bool = Field(False, description="Every user who has not registered yet.")
    status: UserStatus | None = Field(None, description="Filter: users with this status.")
    text: str | None = Field(None, max_length=200, description="Filter: e-mail or name contains this.")


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
    def of(cls, u: SeatUser, pool: SeatPool) -> "UserView":
        return cls(user_id=u.user_id, email=u.email, first_name=u.first_name, last_name=u.last_name,
                   status=u.status, person_id=u.person_id, seat_assigned=pool.holds(u.user_id),
                   added_at=u.added_at, invited_at=u.invited_at)


class UsersView(BaseModel):
    users: list[UserView]


def routes(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/subscriptions/{subscription_id}/users", tags=["users"])
    authenticated, identity_url = runtime.authenticated, runtime.settings.identity_public_url

    async def answer(subscription_id: str, chosen: list[SeatUser], caller: Caller, uow) -> UsersView:
        pool, _ = await users.list_users(subscription_id, caller, uow)
        return UsersView(users=[UserView.of(u, pool) for u in chosen])

    @router.get("", summary="The subscription's users, with status and seat (administrator only)")
    async def list_users(subscription_id: str, status: UserStatus | None = None, text: str | None = None,
                         caller: Caller = authenticated) -> UsersView:
        async with runtime.uow(subject=subscription_id) as uow:
            pool, found = await users.list_users(subscription_id, caller, uow)
        found = [u for u in found if (status is None or u.status is status) and (not text or u.matches(text))]
        return UsersView(users=[UserView.of(u, pool) for u in found])

    @router.post("", status_code=201, summary="Add users and invite them; optionally assign seats (R22, R25)")
    async def add(subscription_id: str, body: AddUsersRequest, request: Request, caller: Caller = authenticated):
        async def act(uow):
            new = [NewUser(u.email, u.first_name, u.last_name, u.locale) for u in body.users]
            added = await users.add_users(subscription_id, new, body.assign_seats, identity_url, caller, uow)
            return await answer(subscription_id, added, caller, uow)
        return await runtime.command(request, caller, body, act, status_code=201)

    @router.post("/assignments", summary="Give listed users a seat (R25)")
    async def assign(subscription_id: str, body: UserIdsRequest, request: Request, caller: Caller = authenticated):
        async def act(uow):
            assigned = await users.assign_users(subscription_id, body.user_ids, caller, uow)
            return await answer(subscription_id, await _users(subscription_id, [a.user_id for a in assigned], uow),
                                caller, uow)
        return await runtime.command(request, caller, body, act)

    @router.post("/invitations/resend", summary="Invite again: a list, a filter, or all (R22)")
    async def resend(subscription_id: str, body: ResendRequest, request: Request, caller: Caller = authenticated):
        async def act(uow):
            selection = users.ResendSelection(user_ids=body.user_ids, everyone=body.all, status=body.status,
                                              text=body.text)
            chosen = await users.resend_invitations(subscription_id, selection, identity_url, caller, uow)
            return await answer(subscription_id, chosen, caller, uow)
        return await runtime.command(request, caller, body, act)

    @router.post("/unassign", summary="Free the seats of one or many users; access ends at once (R24)")
    async def unassign(subscription_id: str, body: UserIdsRequest, request: Request, caller: Caller = authenticated):
        async def act(uow):
            freed = await users.unassign_users(subscription_id, body.user_ids, caller, uow)
            return await answer(subscription_id, freed, caller, uow)
        return await runtime.command(request, caller, body, act)

    @router.delete("/{user_id}", summary="Refused: users are never deleted (R5); unassign them instead")
    async def delete(subscription_id: str, user_id: str, caller: Caller = authenticated):
        async with runtime.uow(subject=subscription_id) as uow:
            await users.administered_pool(subscription_id, caller, uow)
        raise RuleViolation("users_are_kept", "A user is never deleted from the subscription (R5); "
                            f"POST /subscriptions/{subscription_id}/users/unassign frees their seat.", rule="R5")

    return router


async def _users(subscription_id: str, user_ids: list[str], uow) -> list[SeatUser]:
    people = PeopleRepository(uow.conn)
    return [await people.get(subscription_id, i) for i in user_ids]
