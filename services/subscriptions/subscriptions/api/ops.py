"""Operator routes: immediate termination (R14) and the approver's decision on a reseller
order (R19). They need the operator token (see `servicekit.http.deps.REQUIRES_OPERATOR`)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from servicekit.http.deps import REQUIRES_OPERATOR
from servicekit.runtime import ServiceRuntime
from subscriptions.api.views import (
    OPERATOR_ONLY, DecisionRequest, SubscriptionAnswer, SubscriptionView, TerminationRequest,
)
from subscriptions.catalogue import Catalogue
from subscriptions.handlers import lifecycle, orders


def routes(runtime: ServiceRuntime, catalogue: Catalogue, portal_url: str) -> APIRouter:
    router = APIRouter(prefix="/ops", tags=["operations"], dependencies=[REQUIRES_OPERATOR])

    @router.post("/subscriptions/{subscription_id}/termination", response_model=SubscriptionAnswer,
                 summary="End a subscription now (R14)", description=f"{OPERATOR_ONLY} Seats are revoked (R28).")
    async def terminate(subscription_id: str, body: TerminationRequest, request: Request):
        async def act(uow):
            return SubscriptionView.of(await lifecycle.terminate(subscription_id, body.reason, uow))
        return await runtime.command(request, None, body, act)

    @router.post("/orders/{subscription_id}/decision", response_model=SubscriptionAnswer,
                 summary="Approve or reject a reseller order (R19)", description=OPERATOR_ONLY)
    async def decide(subscription_id: str, body: DecisionRequest, request: Request):
        async def act(uow):
            return SubscriptionView.of(await orders.decide_order(
                subscription_id, body.approved, uow, catalogue=catalogue, portal_url=portal_url))
        return await runtime.command(request, None, body, act)

    return router
