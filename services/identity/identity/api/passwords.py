"""Forgotten passwords (R1) and the person's own profile: `POST /password-resets` mails a
single-use link, `POST /password-resets/completion` sets the new password with it;
`GET /me` and `PATCH /me` read and change the name and language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from identity.api.deps import ClientAddress, OpenSessionCaller, PortalUrlDep
from identity.api.registration import TOKEN
from identity.api.schemas import ANYONE, SIGNED_IN, CommandAnswer
from identity.domain.people import Person
from identity.handlers import passwords
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.deps import Commands
from servicekit.http.fields import EmailAddress, Line
from servicekit.runtime import Runtime

router = APIRouter(tags=["identity"])


class ResetRequest(BaseModel):
    email: EmailAddress


class ResetAnswer(BaseModel):
    status: str


class CompletionRequest(BaseModel):
    token: str = TOKEN
    password: str = Field(min_length=1, max_length=1000, description="The new password (as strong as at registration).")

    def without_password(self) -> CompletionRequest:
        """Fingerprinted for Idempotency-Key replays; the password is never kept."""
        return self.model_copy(update={"password": ""})


class PasswordChanged(CommandAnswer):
    password_changed: bool = Field(description="True: sign in with the new password.")
    sessions_ended: int = Field(description="Sessions of the person that ended (all of them).")


class Profile(BaseModel):
    person_id: str
    email: str = Field(description="Read-only: the address the person registered and verified.")
    name: str
    locale: str = Field(description="en, fr, nl or de: the language of their e-mails, pages and tokens.")
    registered_at: datetime
    email_verified_at: datetime | None

    @classmethod
    def of(cls, p: Person) -> Profile:
        return cls(
            person_id=p.id,
            email=p.email,
            name=p.name,
            locale=p.locale,
            registered_at=p.registered_at,
            email_verified_at=p.email_verified_at,
        )


class ProfileChange(BaseModel):
    name: Line | None = Field(None, min_length=1, max_length=200, description="First and last name.")
    locale: str | None = Field(
        None, pattern=r"^(en|fr|nl|de)$", description="Language of your e-mails, pages and next tokens."
    )


RESET_ANSWER = ResetAnswer(
    status="If this e-mail belongs to an account, a link to choose a new password is on its way."
)


@router.post(
    "/password-resets",
    status_code=202,
    response_model=ResetAnswer,
    summary="Forgotten password: e-mail a single-use link (R1)",
    description=f"{ANYONE} The answer is the same for any address; a link, valid one hour, goes "
    "only to a verified person (at most five e-mails an hour per address). 429 with Retry-After "
    "past 20 requests in 15 minutes from one client address.",
)
async def request_reset(
    body: ResetRequest, client: ClientAddress, runtime: Runtime, portal_url: PortalUrlDep
) -> ResetAnswer:
    async with runtime.uow() as uow:
        await passwords.request_reset(body.email, client, portal_url, uow)
        await uow.commit()
    return RESET_ANSWER


@router.post(
    "/password-resets/completion",
    response_model=PasswordChanged,
    summary="Set a new password with the e-mailed link's token (R1)",
    description=f"{ANYONE} The token proves the caller reads the mailbox. The password must be as "
    "strong as at registration; the link then stops working and every session of the person ends.",
)
async def complete_reset(body: CompletionRequest, request: Request, commands: Commands) -> Any:
    async def act(uow: IdentityUnitOfWork) -> PasswordChanged:
        changed = await passwords.complete_reset(body.token, body.password, uow)
        return PasswordChanged(password_changed=True, sessions_ended=changed.sessions_ended)

    return await commands.run(request, None, body.without_password(), act)


@router.get("/me", response_model=Profile, summary="Your profile", description=SIGNED_IN)
async def my_profile(caller: OpenSessionCaller, runtime: Runtime) -> Profile:
    async with runtime.uow() as uow:
        return Profile.of(await passwords.profile(caller.person_id, uow))


@router.patch(
    "/me",
    response_model=Profile,
    summary="Change your name or language",
    description=f"{SIGNED_IN} The language is that of your e-mails and pages; tokens issued from "
    "now on (sign in, switch account) carry it.",
)
async def change_profile(body: ProfileChange, caller: OpenSessionCaller, runtime: Runtime) -> Profile:
    async with runtime.uow() as uow:
        person = await passwords.update_profile(caller.person_id, body.name, body.locale, uow)
        await uow.commit()
    return Profile.of(person)
