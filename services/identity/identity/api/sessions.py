"""Sign in, switch account (R2), sign out, and the caller's accounts; sign-ins kept by refresh
tokens, listed and ended by their person (R42)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from identity.api.deps import ClientAddress, IssuerDep, OpenSessionCaller, SignInLimitsDep
from identity.api.schemas import ANYONE, ID_PATTERN, SIGNED_IN, CommandAnswer, Id
from identity.domain.sign_ins import MAX_DEVICE_NAME, MAX_REFRESH_TOKEN_LENGTH
from identity.handlers import accounts, sessions
from identity.handlers.sessions import SignedIn, SignIn
from identity.settings import IdentitySettings
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.deps import Commands
from servicekit.http.fields import EmailAddress, Line
from servicekit.http.pagination import PageRequest, page_request, paged
from servicekit.runtime import Runtime

router = APIRouter(tags=["identity"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # an answer holding a token is never cached


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
    keep_signed_in: bool = Field(
        False, description="R42: also a refresh token, to stay signed in for 30 days (a desktop product)."
    )
    device_name: Line | None = Field(
        None, max_length=MAX_DEVICE_NAME, description="R42: what the person will see in `GET /me/sign-ins`."
    )


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=MAX_REFRESH_TOKEN_LENGTH)


class SwitchRequest(BaseModel):
    account_id: str = Field(
        min_length=1, max_length=64, pattern=ID_PATTERN, description="Another account you are a contact of (R2)."
    )


class AccessToken(BaseModel):
    access_token: str = Field(description="Send it as `Authorization: Bearer <token>` to every service.")
    token_type: str = Field("bearer", description="Always `bearer`.")
    expires_in: int = Field(description="Seconds the token stays valid (`TOKEN_TTL_SECONDS`).")


class SignedInToken(AccessToken):
    refresh_token: str | None = Field(
        None, description="R42, with `keep_signed_in`: single use, for `POST /tokens/refresh`; keep it secret."
    )
    refresh_expires_at: datetime | None = Field(None, description="R42: 30 days from now.")


class SwitchedToken(AccessToken):
    account_id: str = Field(description="The account the new token acts for.")


class SignedOut(CommandAnswer):
    session_id: str = Field(description="The session that ended.")
    signed_out_at: datetime


class MySignIn(BaseModel):
    sign_in_id: str = Field(description="Its session: the `sid` of its tokens.")
    device_name: str | None
    signed_in_at: datetime
    last_used_at: datetime
    expires_at: datetime = Field(
        description="When its last token stops working (a kept one's: 30 days after its last refresh)."
    )
    current: bool = Field(description="True for the sign-in of the calling token.")


class EndedSignIn(CommandAnswer):
    sign_in_id: str
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
    "to 15 minutes; its owner, from an address that has not been failing, still signs in). "
    "With `keep_signed_in` (R42, a desktop product) the answer adds a refresh token, valid 30 days "
    "(`POST /tokens/refresh`)."
)


def _sign_in_description(per_client: int, per_minute: int) -> str:
    return SIGN_IN_DESCRIPTION.format(anyone=ANYONE, per_client=per_client, per_minute=per_minute)


_DEFAULTS = IdentitySettings.model_fields


@router.post(
    "/tokens",
    response_model=SignedInToken,
    response_model_exclude_none=True,
    summary="Sign in: an access token for one account (R1, R2)",
    description=_sign_in_description(
        _DEFAULTS["sign_in_failures_per_client"].default, _DEFAULTS["sign_in_failures_per_minute"].default
    ),
)
async def sign_in(
    body: SignInRequest, client: ClientAddress, runtime: Runtime, limits: SignInLimitsDep, issuer: IssuerDep
) -> JSONResponse:
    attempt = SignIn(body.email, body.password, body.account_id, client, body.keep_signed_in, body.device_name)
    async with runtime.uow() as uow:
        signed_in = await sessions.sign_in(attempt, limits, issuer, uow)
    return _signed_in_answer(signed_in, runtime.settings.token_ttl_seconds)


def _signed_in_answer(signed_in: SignedIn, ttl_seconds: int) -> JSONResponse:
    answer = SignedInToken(
        access_token=signed_in.access_token,
        expires_in=ttl_seconds,
        refresh_token=signed_in.refresh_token,
        refresh_expires_at=signed_in.refresh_expires_at,
    )
    return JSONResponse(answer.model_dump(mode="json", exclude_none=True), headers=NO_STORE)


def describe_sign_in_limits(app: FastAPI, settings: IdentitySettings) -> None:
    """`POST /tokens` states the limits this service is configured with: a router is made once
    for every app, so the app's own copy of the route is told them."""
    for route in app.routes:
        if isinstance(route, APIRoute) and route.endpoint is sign_in:
            route.description = _sign_in_description(
                settings.sign_in_failures_per_client, settings.sign_in_failures_per_minute
            )


@router.post(
    "/tokens/refresh",
    response_model=SignedInToken,
    summary="Stay signed in: a new access token and a new refresh token (R42)",
    description=f"{ANYONE} The refresh token of a kept sign-in buys one new access token in the same "
    "session (`sid`) and a new refresh token valid 30 days; it is spent doing so. Presenting a spent one "
    "again ends the whole sign-in (`identity.signed_out`): a copy of it is in someone else's hands.",
)
async def refresh(body: RefreshRequest, runtime: Runtime, issuer: IssuerDep) -> JSONResponse:
    async with runtime.uow() as uow:
        signed_in = await sessions.refresh(body.refresh_token, issuer, uow)
    return _signed_in_answer(signed_in, runtime.settings.token_ttl_seconds)


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
    "/me/sign-ins",
    response_model=list[MySignIn],
    summary="Where you are signed in (R42)",
    description=f"{SIGNED_IN} The caller's own open sign-ins, oldest first, a page at a time (see "
    '`Link: rel="next"`).',
)
async def my_sign_ins(
    request: Request, page: Annotated[PageRequest, Depends(page_request)], caller: OpenSessionCaller, runtime: Runtime
) -> Any:
    async with runtime.uow() as uow:
        found = await sessions.my_sign_ins(caller, page, uow)
    return paged(
        request,
        page,
        found,
        sort_key=lambda record: (record.started_at, record.session_id),
        item=lambda record: MySignIn(
            sign_in_id=record.session_id,
            device_name=record.device_name,
            signed_in_at=record.started_at,
            last_used_at=record.last_used_at or record.started_at,
            expires_at=record.expires_at,
            current=record.session_id == caller.session_id,
        ),
    )


@router.delete(
    "/me/sign-ins/{sign_in_id}",
    response_model=EndedSignIn,
    summary="End one of your sign-ins (R42): its tokens stop working everywhere",
    description=f"{SIGNED_IN} Its access and refresh tokens are refused from now on; the other services "
    "learn it from `identity.signed_out` (a floating lease bound to it is released). Another person's "
    "sign-in answers 404, as an unknown one.",
)
async def end_sign_in(sign_in_id: Id, request: Request, caller: OpenSessionCaller, commands: Commands) -> Any:
    async def act(uow: IdentityUnitOfWork) -> EndedSignIn:
        ended = await sessions.end_sign_in(caller, sign_in_id, uow)
        return EndedSignIn(sign_in_id=ended.session_id, signed_out_at=ended.signed_out_at)

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
