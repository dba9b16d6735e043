"""Operator routes: immediate termination (R14) and the approver's decision on a reseller
order (R19). They need the operator token (see `servicekit.http.deps.REQUIRES_OPERATOR`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from servicekit.http.deps import OPERATOR_ONLY, REQUIRES_OPERATOR, Commands
from servicekit.http.fields import Line
from subscriptions.api.deps import CatalogueDep, PortalUrl
from subscriptions.api.schemas import SubscriptionAnswer, SubscriptionView
from subscriptions.handlers import lifecycle, orders
from subscriptions.store.uow import SubscriptionsUnitOfWork


class TerminationRequest(BaseModel):
    reason: Line = Field(min_length=1, max_length=2000, description="Why the operator terminates (one line).")


class DecisionRequest(BaseModel):
    approved: bool


router = APIRouter(prefix="/ops", tags=["operations"], dependencies=[REQUIRES_OPERATOR])


@router.post(
    "/subscriptions/{subscription_id}/termination",
    response_model=SubscriptionAnswer,
    summary="End a subscription now (R14)",
    description=f"{OPERATOR_ONLY} Seats are revoked (R28).",
)
async def terminate(
    subscription_id: str, body: TerminationRequest, request: Request, commands: Commands
) -> JSONResponse:
    async def act(uow: SubscriptionsUnitOfWork) -> SubscriptionView:
        return SubscriptionView.of(await lifecycle.terminate(subscription_id, body.reason, uow))

    return await commands.run(request, None, body, act)


@router.post(
    "/orders/{subscription_id}/decision",
    response_model=SubscriptionAnswer,
    summary="Approve or reject a reseller order (R19)",
    description=OPERATOR_ONLY,
)
async def decide(
    subscription_id: str,
    body: DecisionRequest,
    request: Request,
    commands: Commands,
    catalogue: CatalogueDep,
    portal_url: PortalUrl,
) -> JSONResponse:
    async def act(uow: SubscriptionsUnitOfWork) -> SubscriptionView:
        return SubscriptionView.of(
            await orders.decide_order(subscription_id, body.approved, uow, catalogue=catalogue, portal_url=portal_url)
        )

    return await commands.run(request, None, body, act)
