"""An account's status (R3) and its contacts (R4, R5)."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from identity.api.common import base_url, session_dependency
from identity.domain.accounts import Account, AccountContact, NewContact
from identity.handlers import accounts
from identity.settings import IdentitySettings
from servicekit.auth import Caller
from servicekit.runtime import ServiceRuntime


class AccountView(BaseModel):
    account_id: str
    company_name: str
    status: str = Field(description="pending_verification, verified or verification_lapsed (R3).")
    registered_at: datetime
    verification_deadline: datetime = Field(description="Documents are due by then (R3).")
    verified_at: datetime | None

    @classmethod
    def of(cls, a: Account) -> "AccountView":
        return cls(account_id=a.id, company_name=a.company_name, status=a.status.value,
                   registered_at=a.registered_at, verification_deadline=a.verification_deadline,
                   verified_at=a.verified_at)


class ContactView(BaseModel):
    contact_id: str
    email: str
    first_name: str
    last_name: str
    locale: str
    role: str
    status: str = Field(description="linked (a registered member) or invited (R4).")
    person_id: str | None

    @classmethod
    def of(cls, c: AccountContact) -> "ContactView":
        return cls(contact_id=c.id, email=c.email, first_name=c.first_name, last_name=c.last_name,
                   locale=c.locale, role=c.role.value, status="linked" if c.linked else "invited",
                   person_id=c.person_id)


class ContactRequest(BaseModel):
    email: str = Field(max_length=320)
    first_name: str = Field(max_length=100, description="Required (R4).")
    last_name: str = Field(max_length=100, description="Required (R4).")
    locale: str = Field("en", pattern=r"^(en|fr|nl|de)$", description="Language of their e-mails.")


def routes(runtime: ServiceRuntime, settings: IdentitySettings) -> APIRouter:
    router = APIRouter(tags=["accounts"])
    current = session_dependency(runtime)

    @router.get("/accounts/{account_id}", summary="The account you act for, with its verification status (R3)")
    async def read_account(account_id: str, caller: Caller = current) -> AccountView:
        async with runtime.uow() as uow:
            return AccountView.of(await accounts.account_for(caller, account_id, uow))

    @router.get("/accounts/{account_id}/contacts", summary="The account's contacts (R4)")
    async def list_contacts(account_id: str, caller: Caller = current) -> list[ContactView]:
        async with runtime.uow() as uow:
            return [ContactView.of(c) for c in await accounts.contacts_of(caller, account_id, uow)]

    @router.post("/accounts/{account_id}/contacts", status_code=201,
                 summary="Add a contact: linked if registered, else invited (R4; administrators)")
    async def add_contact(account_id: str, body: ContactRequest, request: Request, caller: Caller = current):
        new = NewContact(body.email, body.first_name, body.last_name, body.locale)

        async def act(uow):
            return ContactView.of(await accounts.add_contact(caller, account_id, new,
                                                             base_url(settings, request), uow))
        return await runtime.command(request, caller, body, act, status_code=201)

    @router.delete("/accounts/{account_id}/contacts/{contact_id}", summary="Refused: contacts stay (R5)")
    async def delete_contact(account_id: str, contact_id: str, caller: Caller = current):
        async with runtime.uow() as uow:
            await accounts.remove_contact(caller, account_id, uow)

    return router
