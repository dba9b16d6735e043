"""Registration and e-mail verification (R1)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from identity.api.billing_details import BillingDetailsRequest
from identity.api.deps import PortalUrlDep
from identity.api.schemas import ANYONE, CommandAnswer
from identity.domain import billing_details as billing_rules
from identity.domain.accounts import CustomerType
from identity.domain.people import TERMS_VERSION
from identity.handlers import registration
from identity.handlers.registration import Registered, Registration
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.deps import Commands
from servicekit.http.fields import EmailAddress, Line
from servicekit.runtime import Runtime

router = APIRouter(tags=["identity"])

LOCALE = Field("en", pattern=r"^(en|fr|nl|de)$", description="Language of their e-mails.")
TOKEN = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$", description="The token of the e-mailed link.")


class PersonRequest(BaseModel):
    email: EmailAddress
    password: str = Field(min_length=1, max_length=1000)
    name: Line = Field(min_length=1, max_length=200, description="First and last name.")
    locale: str = LOCALE
    accept_terms: bool = Field(
        False, description=f"Must be true: you accept the terms of use (version {TERMS_VERSION}) (R1)."
    )

    def registration(self) -> Registration:
        return Registration(self.email, self.password, self.name, self.locale, accept_terms=self.accept_terms)

    def without_password(self) -> PersonRequest:
        """Fingerprinted for Idempotency-Key replays; the password is never kept."""
        return self.model_copy(update={"password": ""})


class AccountRequest(PersonRequest):
    company_name: Line = Field(min_length=1, max_length=200)
    customer_type: CustomerType | None = Field(
        None, description="Decides the verification documents (R44); may be chosen later."
    )
    billing_details: BillingDetailsRequest | None = Field(
        None,
        description="The buyer invoices name (issue 15); may be given later. Checked before anything "
        "is created: 422 `unknown_country` or `invalid_vat_number`.",
    )


class VerificationRequest(BaseModel):
    token: str = TOKEN


class ResendRequest(BaseModel):
    email: EmailAddress


class PersonRegistered(BaseModel):
    person_id: str = Field(
        description="Whether or not the address was already registered, this "
        "answer looks the same (then the owner is e-mailed instead, R1)."
    )
    email_verified: bool = Field(description="False: open the link e-mailed to the address (R1).")


class AccountRegistered(PersonRegistered):
    account_id: str = Field(description="The new account, pending verification (R3).")


class EmailVerified(CommandAnswer):
    person_id: str
    email_verified: bool = Field(description="True: you may sign in (R1).")


class ResendAnswer(BaseModel):
    status: str


class HowToRegister(BaseModel):
    email: str = Field(description="The invited address, as in the invitation link.")
    register_with: str = Field(description="The route to call.")
    fields: list[str] = Field(description="What it takes.")
    terms_version: str = Field(description="The terms you accept by registering.")


RESEND_ANSWER = ResendAnswer(status="If this e-mail is registered and not yet verified, a new link is on its way.")


@router.post(
    "/accounts",
    status_code=201,
    response_model=AccountRegistered,
    summary="Register a customer account and its administrator",
    description=f"{ANYONE} The answer is the same whether or not the e-mail is "
    "already registered: the owner of a verified address is e-mailed instead and "
    "nothing is created; an unverified registration of the address is replaced by "
    "this one (its accounts are withdrawn), and only whoever controls the mailbox "
    "can verify it (R1, R3).",
)
async def register(body: AccountRequest, request: Request, commands: Commands, portal_url: PortalUrlDep) -> Any:
    # Checked here, before anything: the same refusal whether or not the address is registered.
    billing = billing_rules.checked(body.billing_details.raw()) if body.billing_details else None

    async def act(uow: IdentityUnitOfWork) -> AccountRegistered:
        registered = await registration.register_person(
            body.registration(),
            portal_url,
            uow,
            company_name=body.company_name,
            customer_type=body.customer_type,
            billing=billing,
        )
        return AccountRegistered(**_answer(registered), account_id=registered.account_id)

    return _without_event_ids(await commands.run(request, None, body.without_password(), act, status_code=201))


@router.post(
    "/people",
    status_code=201,
    response_model=PersonRegistered,
    summary="Register a person (e.g. an invited contact, R4)",
    description=f"{ANYONE} Answers alike for a new and an already registered "
    "e-mail, as `POST /accounts` does (R1, R4).",
)
async def register_person(body: PersonRequest, request: Request, commands: Commands, portal_url: PortalUrlDep) -> Any:
    async def act(uow: IdentityUnitOfWork) -> PersonRegistered:
        registered = await registration.register_person(body.registration(), portal_url, uow)
        return PersonRegistered(**_answer(registered))

    return _without_event_ids(await commands.run(request, None, body.without_password(), act, status_code=201))


@router.get(
    "/people/registration",
    response_model=HowToRegister,
    summary="How an invited contact registers (the invitation link)",
    description=f"{ANYONE} It carries no secret and tells nothing about the address.",
)
async def how_to_register(email: Annotated[Line, Query(max_length=254)] = "") -> HowToRegister:
    return HowToRegister(
        email=email,
        register_with="POST /people",
        fields=["email", "password", "name", "locale", "accept_terms"],
        terms_version=TERMS_VERSION,
    )


@router.post(
    "/verifications",
    response_model=EmailVerified,
    summary="Verify an e-mail with the token of its link (R1)",
    description=f"{ANYONE} The token proves the caller reads the mailbox.",
)
async def verify(body: VerificationRequest, request: Request, commands: Commands) -> Any:
    async def act(uow: IdentityUnitOfWork) -> EmailVerified:
        return await _verify(body.token, uow)

    return await commands.run(request, None, None, act)


@router.get(
    "/verifications",
    response_model=EmailVerified,
    summary="The e-mailed link: verify the e-mail (R1)",
    description=f"{ANYONE} What the link in the verification e-mail opens.",
)
async def verify_link(
    token: Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")],
    request: Request,
    commands: Commands,
) -> Any:
    async def act(uow: IdentityUnitOfWork) -> EmailVerified:
        return await _verify(token, uow)

    return await commands.run(request, None, None, act)


@router.post(
    "/verifications/resend",
    status_code=202,
    response_model=ResendAnswer,
    summary="Send a new verification link (R1)",
    description=f"{ANYONE} The answer is the same for any address; a link goes only "
    "to a registered, unverified one, at most five e-mails an hour per address.",
)
async def resend(body: ResendRequest, runtime: Runtime, portal_url: PortalUrlDep) -> ResendAnswer:
    async with runtime.uow() as uow:
        await registration.resend_verification(body.email, portal_url, uow)
        await uow.commit()
    return RESEND_ANSWER


def _answer(registered: Registered) -> dict[str, Any]:
    return {"person_id": registered.person_id, "email_verified": registered.email_verified}


def _without_event_ids(response: JSONResponse) -> JSONResponse:
    """Which events a registration caused (an e-mail to the owner, or a new person and link)
    would tell whether the address was registered: a registration answers without them."""
    body = json.loads(response.body)
    body.pop("event_ids", None)
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    return JSONResponse(body, status_code=response.status_code, headers=headers)


async def _verify(token: str, uow: IdentityUnitOfWork) -> EmailVerified:
    person = await registration.verify_email(token, uow)
    return EmailVerified(person_id=person.id, email_verified=True)
