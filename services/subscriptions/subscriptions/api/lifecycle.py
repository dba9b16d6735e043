"""Routes that end or prolong a running subscription: cancellation and its withdrawal (R14),
renewal within the grace of any cycle (R15, R48). Each answers 404 to anyone but the
administrator."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from servicekit.http.deps import Commands, CurrentCaller
from servicekit.http.fields import Line
from subscriptions.api.deps import CatalogueDep
from subscriptions.api.schemas import ADMINISTRATOR_ONLY, TERM_ENDS_ON, SubscriptionAnswer, SubscriptionView
from subscriptions.handlers import lifecycle
from subscriptions.store.uow import SubscriptionsUnitOfWork


class CancellationRequest(BaseModel):
    reason: Line = Field(min_length=1, max_length=2000, description="Why the customer cancels (one line).")


class RenewalRequest(BaseModel):
    term_ends_on: date | None = TERM_ENDS_ON


router = APIRouter(prefix="/subscriptions/{subscription_id}", tags=["subscriptions"])


@router.post(
    "/cancellation",
    response_model=SubscriptionAnswer,
    summary="Cancel at the end of the term (R14)",
    description=f"{ADMINISTRATOR_ONLY} Annual: only in the last month of the term.",
)
async def cancel(
    subscription_id: str, body: CancellationRequest, request: Request, caller: CurrentCaller, commands: Commands
) -> JSONResponse:
    async def act(uow: SubscriptionsUnitOfWork) -> SubscriptionView:
        return SubscriptionView.of(await lifecycle.cancel(subscription_id, caller, body.reason, uow))

    return await commands.run(request, caller, body, act)


@router.post(
    "/cancellation/withdrawal",
    response_model=SubscriptionAnswer,
    summary="Withdraw a cancellation before the term end (R14)",
    description=ADMINISTRATOR_ONLY,
)
async def withdraw(subscription_id: str, request: Request, caller: CurrentCaller, commands: Commands) -> JSONResponse:
    async def act(uow: SubscriptionsUnitOfWork) -> SubscriptionView:
        return SubscriptionView.of(await lifecycle.withdraw_cancellation(subscription_id, caller, uow))

    return await commands.run(request, caller, None, act)


@router.post(
    "/renewal",
    response_model=SubscriptionAnswer,
    summary="Renew or extend within the 10 days of grace (R15, R48)",
    description=f"{ADMINISTRATOR_ONLY} Any cycle, cancelled or not, while `status` is `grace`: monthly and "
    "annual renew for one term of their cycle (no `term_ends_on`) and renew automatically again; a fixed "
    "term is extended to `term_ends_on`, which it requires.",
)
async def renew(
    subscription_id: str,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    catalogue: CatalogueDep,
    body: RenewalRequest | None = None,
) -> JSONResponse:
    renewal = body or RenewalRequest()

    async def act(uow: SubscriptionsUnitOfWork) -> SubscriptionView:
        return SubscriptionView.of(
            await lifecycle.renew_in_grace(subscription_id, caller, renewal.term_ends_on, uow, catalogue=catalogue)
        )

    return await commands.run(request, caller, renewal, act)
