"""Sign in, switch account (R2), sign out, and the caller's accounts."""
from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from identity.api.common import session_dependency
from identity.handlers import accounts, sessions
from servicekit.auth import Caller
from servicekit.runtime import ServiceRuntime


class SignInRequest(BaseModel):
    email: str
    password: str
    account_id: str | None = Field(None, description="Account to act for (R2); the first one if omitted.")


class SwitchRequest(BaseModel):
    account_id: str = Field(description="Another account you are a contact of (R2).")


def routes(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["identity"])
    secret = runtime.settings.token_secret
    current = session_dependency(runtime)

    @router.post("/tokens", summary="Sign in: an access token for one account (R1, R2)")
    async def sign_in(body: SignInRequest) -> dict:
        async with runtime.uow() as uow:
            token = await sessions.sign_in(body.email, body.password, body.account_id, secret, uow)
        return {"access_token": token, "token_type": "bearer"}

    @router.post("/tokens/switch", summary="A token for another of your accounts (R2)")
    async def switch(body: SwitchRequest, caller: Caller = current) -> dict:
        async with runtime.uow() as uow:
            token = await sessions.switch_account(caller, body.account_id, secret, uow)
        return {"access_token": token, "token_type": "bearer", "account_id": body.account_id}

    @router.post("/sessions/current/sign-out", summary="End this session (its tokens stop working here "
                 "at once, elsewhere when they expire)")
    async def sign_out(request: Request, caller: Caller = current):
        async def act(uow):
            ended = await sessions.sign_out(caller, uow)
            return {"session_id": ended.session_id, "signed_out_at": ended.signed_out_at.isoformat()}
        return await runtime.command(request, caller, None, act)

    @router.get("/me/accounts", summary="The accounts you can act for (R2)")
    async def my_accounts(caller: Caller = current) -> list[dict]:
        async with runtime.uow() as uow:
            found = await accounts.my_accounts(caller, uow)
        return [{"account_id": a.id, "company_name": a.company_name, "role": m.role.value,
                 "status": a.status.value, "acting_for": a.id == caller.account_id} for a, m in found]

    return router
