"""Registration and e-mail verification (R1)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from identity.api.common import base_url
from identity.domain.people import TERMS_VERSION
from identity.handlers import registration
from identity.handlers.registration import Registration
from identity.settings import IdentitySettings
from servicekit.runtime import ServiceRuntime


class PersonRequest(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(min_length=1, max_length=1000)
    name: str = Field(min_length=1, max_length=200, description="First and last name.")
    locale: str = Field("en", pattern=r"^(en|fr|nl|de)$")
    accept_terms: bool = Field(False, description=f"Must be true: you accept the terms of use "
                                           f"(version {TERMS_VERSION}) (R1).")

    def registration(self) -> Registration:
        return Registration(self.email, self.password, self.name, self.locale, accept_terms=self.accept_terms)

    def without_password(self):
        """Fingerprinted for Idempotency-Key replays; the password is never kept."""
        return self.model_copy(update={"password": ""})


class AccountRequest(PersonRequest):
    company_name: str = Field(min_length=1, max_length=200)


class VerificationRequest(BaseModel):
    token: str = Field(min_length=1, max_length=200, description="The token of the e-mailed link.")


class ResendRequest(BaseModel):
    email: str = Field(max_length=320)


RESEND_ANSWER = {"status": "If this e-mail is registered and not yet verified, a new link is on its way."}


def routes(runtime: ServiceRuntime, settings: IdentitySettings) -> APIRouter:
    router = APIRouter(tags=["identity"])

    @router.post("/accounts", status_code=201, summary="Register a customer account and its administrator")
    async def register(body: AccountRequest, request: Request):
        async def act(uow):
            account, person = await registration.register_account(
                body.company_name, body.registration(), base_url(settings, request), uow)
            return {"account_id": account.id, "person_id": person.id, "email_verified": person.verified}
        return await runtime.command(request, None, body.without_password(), act, status_code=201)

    @router.post("/people", status_code=201, summary="Register a person (e.g. an invited contact, R4)")
    async def register_person(body: PersonRequest, request: Request):
        async def act(uow):
            person = await registration.register_person(
                body.registration(), base_url(settings, request), uow)
            return {"person_id": person.id, "email_verified": person.verified}
        return await runtime.command(request, None, body.without_password(), act, status_code=201)

    @router.get("/people/registration", summary="How an invited contact registers (the invitation link)")
    async def how_to_register(email: str = "") -> dict:
        return {"email": email, "register_with": "POST /people",
                "fields": ["email", "password", "name", "locale", "accept_terms"], "terms_version": TERMS_VERSION}

    @router.post("/verifications", summary="Verify an e-mail with the token of its link (R1)")
    async def verify(body: VerificationRequest, request: Request):
        return await runtime.command(request, None, None, lambda uow: _verify(body.token, uow))

    @router.get("/verifications", summary="The e-mailed link: verify the e-mail (R1)")
    async def verify_link(token: str, request: Request):
        return await runtime.command(request, None, None, lambda uow: _verify(token, uow))

    @router.post("/verifications/resend", status_code=202, summary="Send a new verification link (R1)")
    async def resend(body: ResendRequest, request: Request) -> dict:
        async with runtime.uow() as uow:
            await registration.resend_verification(body.email, base_url(settings, request), uow)
            await uow.commit()
        return RESEND_ANSWER

    return router


async def _verify(token: str, uow) -> dict:
    person = await registration.verify_email(token, uow)
    return {"person_id": person.id, "email_verified": True}
