"""Sign in, switch account (R2), sign out, and the caller's accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from identity.api.deps import ClientAddress, IssuerDep, OpenSessionCaller, SignInLimitsDep
from identity.api.schemas import ANYONE, ID_PATTERN, SIGNED_IN, CommandAnswer
from identity.handlers import accounts, sessions
from identity.handlers.sessions import SignIn
from identity.settings import IdentitySettings
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.deps import Commands
from servicekit.http.fields import EmailAddress
from servicekit.http.pagination import PageRequest, page_request, paged
from servicekit.runtime import Runtime

router = APIRouter(tags=["identity"])


class SignInRequest(BaseModel):
    email: EmailAddress
    password: str = Field(min_length=1, max_length=1000)
    account_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=ID_PATTERN,
        description="Account to act for (R2); the first one if omitted.",
    )


class SwitchRequest(BaseModel):
    account_id: str = Field(
        min_length=1, max_length=64, pattern=ID_PATTERN, description="Another account you are a contact of (R2)."
    )


class AccessToken(BaseModel):
    access_token: str = Field(description="Send it as `Authorization: Bearer <token>` to every service.")
    token_type: str = Field("bearer", description="Always `bearer`.")
    expires_in: int = Field(description="Seconds the token stays valid (`TOKEN_TTL_SECONDS`).")


class SwitchedToken(AccessToken):
    account_id: str = Field(description="The account the new token acts for.")


class SignedOut(CommandAnswer):
    session_id: str = Field(description="The session that ended.")
    signed_out_at: datetime


class MyAccount(BaseModel):
    account_id: str
    company_name: str
    role: str = Field(description="administrator or member (R4).")
    status: str = Field(description="pending_verification, verified or verification_lapsed (R3).")
    acting_for: bool = Field(description="True for the account the calling token acts for.")


SIGN_IN_DESCRIPTION = (
    "{anyone} A person whose e-mail is verified gets a token for an account they are a member of. "
    "An unknown e-mail and a wrong password answer alike, in the same time. 429 with Retry-After: "
    "a client address past {per_client} failures in 15 minutes, the service past {per_minute} "
    "failures a minute, or a client that keeps failing for one e-mail (5 free, then 30 s doubling "
    "to 15 minutes; its owner, from an address that has not been failing, still signs in)."
)


def _sign_in_description(per_client: int, per_minute: int) -> str:
    return SIGN_IN_DESCRIPTION.format(anyone=ANYONE, per_client=per_client, per_minute=per_minute)


_DEFAULTS = IdentitySettings.model_fields


@router.post(
    "/tokens",
    response_model=AccessToken,
    summary="Sign in: an access token for one account (R1, R2)",
    description=_sign_in_description(
        _DEFAULTS["sign_in_failures_per_client"].default, _DEFAULTS["sign_in_failures_per_minute"].default
    ),
)
async def sign_in(
    body: SignInRequest, client: ClientAddress, runtime: Runtime, limits: SignInLimitsDep, issuer: IssuerDep
) -> AccessToken:
    attempt = SignIn(body.email, body.password, body.account_id, client)
    async with runtime.uow() as uow:
        token = await sessions.sign_in(attempt, limits, issuer, uow)
    return AccessToken(access_token=token, expires_in=runtime.settings.token_ttl_seconds)


def describe_sign_in_limits(app: FastAPI, settings: IdentitySettings) -> None:
    """`POST /tokens` states the limits this service is configured with: a router is made once
    for every app, so the app's own copy of the route is told them."""
    for route in app.routes:
        if isinstance(route, APIRoute) and route.endpoint is sign_in:
            route.description = _sign_in_description(
                settings.sign_in_failures_per_client, settings.sign_in_failures_per_minute
            )


@router.post(
    "/tokens/switch",
    response_model=SwitchedToken,
    summary="A token for another of your accounts (R2)",
    description=f"{SIGNED_IN} The new token keeps the session; the account must be one the caller is a member of.",
)
async def switch(body: SwitchRequest, caller: OpenSessionCaller, runtime: Runtime, issuer: IssuerDep) -> SwitchedToken:
    async with runtime.uow() as uow:
        token = await sessions.switch_account(caller, body.account_id, issuer, uow)
    return SwitchedToken(access_token=token, expires_in=runtime.settings.token_ttl_seconds, account_id=body.account_id)


@router.post(
    "/sessions/current/sign-out",
    response_model=SignedOut,
    summary="End this session: its tokens stop working everywhere",
    description=f"{SIGNED_IN} Identity refuses the session's tokens at once; the other "
    "services learn it from `identity.signed_out`.",
)
async def sign_out(request: Request, caller: OpenSessionCaller, commands: Commands) -> Any:
    async def act(uow: IdentityUnitOfWork) -> SignedOut:
        ended = await sessions.sign_out(caller, uow)
        return SignedOut(session_id=ended.session_id, signed_out_at=ended.signed_out_at)

    return await commands.run(request, caller, None, act)


@router.get(
    "/me/accounts",
    response_model=list[MyAccount],
    summary="The accounts you can act for (R2)",
    description=f'{SIGNED_IN} Only the caller\'s own memberships, a page at a time (see `Link: rel="next"`).',
)
async def my_accounts(
    request: Request, page: Annotated[PageRequest, Depends(page_request)], caller: OpenSessionCaller, runtime: Runtime
) -> Any:
    async with runtime.uow() as uow:
        found = await accounts.my_accounts(caller, page, uow)
    return paged(
        request,
        page,
        found,
        sort_key=lambda pair: (pair[1].added_at, pair[1].id),
        item=lambda pair: MyAccount(
            account_id=pair[0].id,
            company_name=pair[0].company_name,
            role=pair[1].role.value,
            status=pair[0].status.value,
            acting_for=pair[0].id == caller.account_id,
        ),
    )
