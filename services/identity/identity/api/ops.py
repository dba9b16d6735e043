"""Operator routes: accepting an account's documents (R3), and on a test stack only, the pending
verification link of an e-mail (so tests and the demo can click it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from contracts.errors import not_found
from identity.api.accounts import AccountAnswer, AccountView
from identity.api.schemas import OPERATOR, Id
from identity.handlers import accounts, registration
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.deps import REQUIRES_OPERATOR, Commands
from servicekit.http.fields import EmailAddress
from servicekit.runtime import Runtime

router = APIRouter(prefix="/ops", tags=["operations"], dependencies=[REQUIRES_OPERATOR])
test_stack_router = APIRouter(prefix="/ops", tags=["operations"], dependencies=[REQUIRES_OPERATOR])
"""Included only on a stack running on a test clock (`app.build`): a production service has no
route that hands out a live verification link."""


class PendingLink(BaseModel):
    email: str
    verify_url: str = Field(description="The latest verification link of the e-mail, while it works.")


@router.post(
    "/accounts/{account_id}/verification",
    response_model=AccountAnswer,
    summary="Accept the account's documents (R3)",
    description=OPERATOR,
)
async def verify_account(account_id: Id, request: Request, commands: Commands) -> Any:
    async def act(uow: IdentityUnitOfWork) -> AccountView:
        return AccountView.of(await accounts.accept_documents(account_id, uow))

    return await commands.run(request, None, None, act)


@test_stack_router.get(
    "/verification-links",
    response_model=PendingLink,
    summary="Test stack only: the pending verification link",
    description=f"{OPERATOR} Exists only on a stack running on a test clock.",
)
async def pending_link(email: Annotated[EmailAddress, Query()], runtime: Runtime) -> PendingLink:
    async with runtime.uow() as uow:
        url = await registration.pending_link(email, uow)
    if url is None:
        raise not_found("pending verification link for", email)
    return PendingLink(email=email, verify_url=url)
