"""HTTP queries of the billing service."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from billing.store import BillingRepository
from contracts.errors import not_found
from contracts.values import Money
from servicekit.auth import Caller
from servicekit.runtime import ServiceRuntime


class LineView(BaseModel):
    line_id: str
    description: str
    period_start: datetime
    period_end: datetime
    quantity_delta: int
    unit_price: Money
    days_remaining: int
    days_in_term: int
    amount: Money


class PendingLines(BaseModel):
    subscription_id: str
    lines: list[LineView]
    total: Money | None


def routes(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["billing"])

    @router.get("/subscriptions/{subscription_id}/invoice-lines",
                summary="Prorated lines waiting for the next invoice (R29)")
    async def lines(subscription_id: str, caller: Caller = runtime.authenticated) -> PendingLines:
        async with runtime.db.connect() as conn:
            repo = BillingRepository(conn)
            if await repo.administrator_of(subscription_id) != caller.person_id:
                raise not_found("subscription", subscription_id)
            found = await repo.lines_of(subscription_id)
        total = (Money(amount_minor=sum(l.amount.amount_minor for l in found),
                       currency=found[0].amount.currency) if found else None)
        return PendingLines(subscription_id=subscription_id, total=total,
                            lines=[LineView(**{k: getattr(l, k) for k in LineView.model_fields})
                                   for l in found])

    return router
