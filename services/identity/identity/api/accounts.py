"""An account's status (R3) and its contacts (R4, R5)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from identity.api.deps import OpenSessionCaller, PortalUrlDep
from identity.api.schemas import ADMINISTRATOR, SIGNED_IN, CommandAnswer, Id
from identity.domain.accounts import Account, AccountContact, NewContact
from identity.handlers import accounts
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.deps import Commands
from servicekit.http.fields import EmailAddress, Line
from servicekit.http.pagination import PageRequest, page_request, paged
from servicekit.runtime import Runtime

router = APIRouter(tags=["accounts"])


class AccountView(BaseModel):
    account_id: str
    company_name: str
    status: str = Field(
        description="pending_verification, verified or verification_lapsed (R3); "
        "withdrawn when its founder never verified their e-mail and it was registered again."
    )
    registered_at: datetime
    verification_deadline: datetime = Field(description="Documents are due by then (R3).")
    verified_at: datetime | None
    customer_type: str | None = Field(
        None, description="design_office, contractor_engineer or student: decides the documents (R44)."
    )

    @classmethod
    def of(cls, a: Account) -> AccountView:
        return cls(
            account_id=a.id,
            company_name=a.company_name,
            status=a.status.value,
            registered_at=a.registered_at,
            verification_deadline=a.verification_deadline,
            verified_at=a.verified_at,
            customer_type=a.customer_type.value if a.customer_type else None,
        )


class AccountAnswer(AccountView, CommandAnswer):
    """An account, as a command that changed it answers."""


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
    def of(cls, c: AccountContact) -> ContactView:
        return cls(
            contact_id=c.id,
            email=c.email,
            first_name=c.first_name,
            last_name=c.last_name,
            locale=c.locale,
            role=c.role.value,
            status="linked" if c.linked else "invited",
            person_id=c.person_id,
        )


class ContactAnswer(ContactView, CommandAnswer):
    """The contact added."""


class ContactRequest(BaseModel):
    email: EmailAddress
    first_name: Line = Field(max_length=100, description="Required (R4).")
    last_name: Line = Field(max_length=100, description="Required (R4).")
    locale: str = Field("en", pattern=r"^(en|fr|nl|de)$", description="Language of their e-mails.")


@router.get(
    "/accounts/{account_id}",
    response_model=AccountView,
    summary="The account you act for, with its verification status (R3)",
    description=f"{SIGNED_IN} Any other account answers 404, as one that does not exist.",
)
async def read_account(account_id: Id, caller: OpenSessionCaller, runtime: Runtime) -> AccountView:
    async with runtime.uow() as uow:
        return AccountView.of(await accounts.account_for(caller, account_id, uow))


@router.get(
    "/accounts/{account_id}/contacts",
    response_model=list[ContactView],
    summary="The account's contacts (R4)",
    description=f"{SIGNED_IN} Any member of the account; in the order they were added, a "
    'page at a time (see `Link: rel="next"`). Any other account answers 404.',
)
async def list_contacts(
    account_id: Id,
    request: Request,
    page: Annotated[PageRequest, Depends(page_request)],
    caller: OpenSessionCaller,
    runtime: Runtime,
) -> Any:
    async with runtime.uow() as uow:
        found = await accounts.contacts_of(caller, account_id, page, uow)
    return paged(request, page, found, sort_key=lambda c: (c.added_at, c.id), item=ContactView.of)


@router.post(
    "/accounts/{account_id}/contacts",
    status_code=201,
    response_model=ContactAnswer,
    summary="Add a contact: linked if registered, else invited (R4)",
    description=f"{ADMINISTRATOR} An invited contact is e-mailed a link to register.",
)
async def add_contact(
    account_id: Id,
    body: ContactRequest,
    request: Request,
    caller: OpenSessionCaller,
    commands: Commands,
    portal_url: PortalUrlDep,
) -> Any:
    new = NewContact(body.email, body.first_name, body.last_name, body.locale)

    async def act(uow: IdentityUnitOfWork) -> ContactView:
        return ContactView.of(await accounts.add_contact(caller, account_id, new, portal_url, uow))

    return await commands.run(request, caller, body, act, status_code=201)


@router.delete(
    "/accounts/{account_id}/contacts/{contact_id}",
    status_code=204,
    response_class=Response,
    summary="Refused: contacts stay (R5)",
    description=f"{SIGNED_IN} Always refused: 409 `contacts_are_never_deleted` (R5) "
    "for the account the token acts for, 404 for any other.",
)
async def delete_contact(account_id: Id, contact_id: Id, caller: OpenSessionCaller, runtime: Runtime) -> None:
    async with runtime.uow() as uow:
        await accounts.remove_contact(caller, account_id, uow)
