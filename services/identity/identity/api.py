"""HTTP commands of the identity service."""
from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from identity import handlers
from servicekit.runtime import ServiceRuntime


class RegistrationRequest(BaseModel):
    company_name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=320)
    password: str = Field(min_length=1, max_length=1000)
    name: str = Field(min_length=1, max_length=200, description="First and last name.")
    locale: str = Field("en", pattern=r"^(en|fr|nl|de)$")


class SignInRequest(BaseModel):
    email: str
    password: str
    account_id: str | None = Field(None, description="Account to act for (R2); the first one if omitted.")


def routes(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["identity"])

    @router.post("/accounts", status_code=201, summary="Register a customer account and its administrator")
    async def register(body: RegistrationRequest, request: Request):
        async def act(uow):
            account, person = await handlers.register_account(
                body.company_name, body.email, body.password, body.name, body.locale, uow)
            return {"account_id": account.id, "person_id": person.id}
        # The password is in the body: fingerprint without it, never store it with the answer.
        safe = body.model_copy(update={"password": ""})
        return await runtime.command(request, None, safe, act, status_code=201)

    @router.post("/tokens", summary="Sign in: an access token for one account")
    async def sign_in(body: SignInRequest) -> dict:
        async with runtime.uow() as uow:
            token = await handlers.sign_in(body.email, body.password, body.account_id,
                                           runtime.settings.token_secret, uow)
        return {"access_token": token, "token_type": "bearer"}

    return router
