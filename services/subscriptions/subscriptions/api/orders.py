"""Routes to buy: purchase (R7, R11, R19) with its billing details and the acceptance of the
terms of sale (R45), trials and their conversion (R10), the acceptance of the agreement (R7,
R8), and the subscriptions one administers (R6). The agreements to read are `agreements`'."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from contracts.values import BillingCycle, LicenceType
from servicekit.http.deps import Commands, CurrentCaller
from servicekit.http.fields import Line
from servicekit.http.pagination import MAX_PAGE_SIZE, PageRequest, page_request, paged
from servicekit.runtime import Runtime
from subscriptions import domain
from subscriptions.api.deps import CatalogueDep, PortalUrl, administered
from subscriptions.api.schemas import (
    ADMINISTRATOR_ONLY,
    PAYMENT_METHOD,
    PO_NUMBER,
    TERM_ENDS_ON,
    BillingDetailsIn,
    SubscriptionAnswer,
    SubscriptionView,
)
from subscriptions.domain import sale
from subscriptions.handlers import orders
from subscriptions.store.uow import SubscriptionsUnitOfWork

SIGNED_IN_BUYER = (
    "Any signed-in person (bearer token from identity's `POST /tokens`), buying for "
    "the account their token acts for; they become the administrator (R6)."
)
SIGNED_IN_LIST = "Any signed-in person: only the subscriptions they administer for the account their token acts for."


class PurchaseRequest(BaseModel):
    product: Line = Field("designer", min_length=1, max_length=64, description="Product code from the catalogue.")
    tier: Line = Field("standard", min_length=1, max_length=64, description="standard, premium or premium_plus.")
    licence_type: LicenceType = Field(LicenceType.NAMED_USER)
    billing_cycle: BillingCycle = Field(BillingCycle.ANNUAL)
    quantity: int = Field(gt=0, le=100_000, description="Number of seats.")
    term_ends_on: date | None = TERM_ENDS_ON
    po_number: Line | None = PO_NUMBER
    payment_method: Line | None = PAYMENT_METHOD
    project_id: Line | None = Field(
        None, max_length=100, description="Reseller project; required for products that need approval (R19)."
    )
    billing: BillingDetailsIn | None = Field(None, description="Who is invoiced, and where (R45).")
    accept_terms_of_sale: bool = Field(
        False,
        description="The purchaser accepts the terms of sale (R45): required, true; "
        "without it the order is refused with 422 `terms_of_sale_not_accepted`.",
    )


class TrialRequest(BaseModel):
    product: Line = Field("designer", min_length=1, max_length=64, description="Product code from the catalogue.")
    licence_type: LicenceType = Field(LicenceType.NAMED_USER)


class ConversionRequest(BaseModel):
    billing_cycle: BillingCycle = Field(BillingCycle.ANNUAL)
    quantity: int = Field(gt=0, le=100_000, description="Seats to buy.")
    term_ends_on: date | None = TERM_ENDS_ON
    po_number: Line | None = PO_NUMBER


router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])


@router.post(
    "",
    status_code=201,
    response_model=SubscriptionAnswer,
    summary="Purchase a subscription (R7, R11, R19, R45)",
    description=f"{SIGNED_IN_BUYER} It waits for the agreement to be accepted "
    "(`POST /subscriptions/{id}/activation`), or for approval for a reseller product. "
    "The purchaser must accept the terms of sale (`accept_terms_of_sale: true`, R45); the "
    "order records when, and which version of the terms, with its billing details.",
)
async def purchase(
    body: PurchaseRequest,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    catalogue: CatalogueDep,
    portal_url: PortalUrl,
) -> JSONResponse:
    terms_of_sale_version = sale.require_terms_of_sale(body.accept_terms_of_sale)
    order = domain.Order(
        subscription_id=str(uuid.uuid4()),
        account_id=caller.account_id,
        administrator=orders.contact_of(caller),
        **body.model_dump(exclude={"billing", "accept_terms_of_sale"}),
        billing=body.billing.details() if body.billing else None,
        terms_of_sale_version=terms_of_sale_version,
    )

    async def act(uow: SubscriptionsUnitOfWork) -> SubscriptionView:
        return SubscriptionView.of(await orders.place_order(order, uow, catalogue=catalogue, portal_url=portal_url))

    return await commands.run(request, caller, body, act, status_code=201)


@router.post(
    "/trials",
    status_code=201,
    response_model=SubscriptionAnswer,
    summary="Start a free 30-day trial (R10)",
    description=f"{SIGNED_IN_BUYER} One trial per account and product, ever.",
)
async def trial(
    body: TrialRequest, request: Request, caller: CurrentCaller, commands: Commands, catalogue: CatalogueDep
) -> JSONResponse:
    async def act(uow: SubscriptionsUnitOfWork) -> SubscriptionView:
        return SubscriptionView.of(
            await orders.start_trial(
                str(uuid.uuid4()), caller, body.product, body.licence_type, uow, catalogue=catalogue
            )
        )

    return await commands.run(request, caller, body, act, status_code=201)


@router.post(
    "/{subscription_id}/conversion",
    response_model=SubscriptionAnswer,
    summary="Buy the tier of a running trial (R10)",
    description=ADMINISTRATOR_ONLY,
)
async def convert(
    subscription_id: str,
    body: ConversionRequest,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    catalogue: CatalogueDep,
    portal_url: PortalUrl,
) -> JSONResponse:
    # Product, tier and licence type are the trial's; the domain fills them in.
    order = domain.Order(
        subscription_id=subscription_id,
        account_id=caller.account_id,
        administrator=orders.contact_of(caller),
        product="",
        tier="",
        licence_type=LicenceType.NAMED_USER,
        **body.model_dump(),
    )

    async def act(uow: SubscriptionsUnitOfWork) -> SubscriptionView:
        return SubscriptionView.of(
            await orders.convert_trial(subscription_id, caller, order, uow, catalogue=catalogue, portal_url=portal_url)
        )

    return await commands.run(request, caller, body, act)


@router.post(
    "/{subscription_id}/activation",
    response_model=SubscriptionAnswer,
    summary="Accept the agreement and activate (R7, R8)",
    description=f"{ADMINISTRATOR_ONLY} Within 90 days of the order: later, 409 `activation_window_closed` (R8).",
)
async def accept(
    subscription_id: str, request: Request, caller: CurrentCaller, commands: Commands, catalogue: CatalogueDep
) -> JSONResponse:
    async def act(uow: SubscriptionsUnitOfWork) -> SubscriptionView:
        return SubscriptionView.of(await orders.accept_agreement(subscription_id, caller, uow, catalogue=catalogue))

    return await commands.run(request, caller, None, act)


@router.get(
    "",
    response_model=list[SubscriptionView],
    summary="Subscriptions the caller administers",
    description=f"{SIGNED_IN_LIST} Oldest order first, a page at a time: at most "
    f'`limit` (≤ {MAX_PAGE_SIZE}); the next page is in `Link: rel="next"` and `X-Next-Cursor`.',
)
async def mine(
    request: Request, page: Annotated[PageRequest, Depends(page_request)], caller: CurrentCaller, runtime: Runtime
) -> JSONResponse:
    async with runtime.uow() as uow:
        found = await uow.subscriptions.administered_by(caller.person_id, caller.account_id, page)
    return paged(request, page, found, lambda s: (s.ordered_at, s.id), SubscriptionView.of)


@router.get(
    "/{subscription_id}",
    response_model=SubscriptionView,
    summary="One subscription (its administrator only, R6)",
    description=ADMINISTRATOR_ONLY,
)
async def one(subscription_id: str, caller: CurrentCaller, runtime: Runtime) -> SubscriptionView:
    return SubscriptionView.of(await administered(runtime, subscription_id, caller))
