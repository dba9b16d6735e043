"""A subscription's prorated invoice lines (R29)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from billing.api.schemas import PAGES, LineView
from billing.store.uow import BillingUnitOfWork
from contracts.errors import not_found
from contracts.values import Money
from servicekit.http.deps import CurrentCaller
from servicekit.http.pagination import PageRequest, page_request, paged
from servicekit.runtime import Runtime

# Who may call it (issue 11, item 22).
ADMINISTRATOR_OF_IT = (
    "The subscription's administrator only, signed in (bearer token) for the account "
    "that owns it (R6). Anyone else gets 404, exactly as for a subscription that does "
    "not exist."
)

router = APIRouter(tags=["billing"])


class PendingLines(BaseModel):
    subscription_id: str
    lines: list[LineView] = Field(description="One page of the lines, oldest period first.")
    total: Money | None = Field(description="The sum of every line (all pages); null when there is none.")


@router.get(
    "/subscriptions/{subscription_id}/invoice-lines",
    response_model=PendingLines,
    summary="Prorated lines of a subscription: seats, tier changes, add-ons (R29)",
    description=f"{ADMINISTRATOR_OF_IT} {PAGES.replace('items', 'lines')}",
)
async def lines(
    subscription_id: str,
    request: Request,
    page: Annotated[PageRequest, Depends(page_request)],
    caller: CurrentCaller,
    runtime: Runtime,
) -> JSONResponse:
    uow: BillingUnitOfWork
    async with runtime.uow() as uow:
        if not await uow.subscriptions.administers(caller.person_id, caller.account_id, subscription_id):
            raise not_found("subscription", subscription_id)
        found = await uow.lines.page_of_lines(subscription_id, page, prorated_only=True)
        total = await uow.lines.total_of_lines(subscription_id, prorated_only=True)
    # The kit's page of a list, wrapped in this route's object: the links are the same.
    listed = paged(request, page, found, lambda line: (line.period_start, line.line_id), LineView.of)
    body = PendingLines(
        subscription_id=subscription_id, total=total, lines=[LineView.of(line) for line in found[: page.limit]]
    )
    return JSONResponse(
        jsonable_encoder(body),
        headers={name: value for name, value in listed.headers.items() if name.lower() in ("link", "x-next-cursor")},
    )
