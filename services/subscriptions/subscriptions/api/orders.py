"""Routes to buy: purchase (R7, R11, R19), trials and their conversion (R10), the agreement
and its acceptance (R7, R8), and the subscriptions one administers (R6)."""
from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from contracts.values import Contact, LicenceType
from servicekit.http.auth import Caller
from servicekit.http.pagination import MAX_PAGE_SIZE, PageRequest, page_request, paged
from servicekit.runtime import ServiceRuntime
from subscriptions import domain
from subscriptions.api import administered
from subscriptions.api.views import (
    ADMINISTRATOR_ONLY, SIGNED_IN_BUYER, SIGNED_IN_LIST, AgreementView, ConversionRequest,
    PurchaseRequest, SubscriptionAnswer, SubscriptionView, TrialRequest,
)
from subscriptions.catalogue import Catalogue
from subscriptions.handlers import orders
from subscriptions.store import SubscriptionRepository


def contact_of(caller: Caller) -> Contact:
    return Contact(person_id=caller.person_id, email=caller.email, name=caller.name, locale=caller.locale)


def routes(runtime: ServiceRuntime, catalogue: Catalogue, portal_url: str) -> APIRouter:
    router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])
    authenticated, setup = runtime.authenticated, dict(catalogue=catalogue, portal_url=portal_url)

    @router.post("", status_code=201, response_model=SubscriptionAnswer,
                 summary="Purchase a subscription (R7, R11, R19)",
                 description=f"{SIGNED_IN_BUYER} It waits for the agreement to be accepted "
                 "(`POST /subscriptions/{id}/activation`), or for approval for a reseller product.")
    async def purchase(body: PurchaseRequest, request: Request, caller: Caller = authenticated):
        order = domain.Order(subscription_id=str(uuid.uuid4()), account_id=caller.account_id,
                             administrator=contact_of(caller), **body.model_dump())

        async def act(uow):
            return SubscriptionView.of(await orders.place_order(order, uow, **setup))
        return await runtime.command(request, caller, body, act, status_code=201)

    @router.post("/trials", status_code=201, response_model=SubscriptionAnswer,
                 summary="Start a free 30-day trial (R10)",
                 description=f"{SIGNED_IN_BUYER} One trial per account and product, ever.")
    async def trial(body: TrialRequest, request: Request, caller: Caller = authenticated):
        async def act(uow):
            return SubscriptionView.of(await orders.start_trial(
                str(uuid.uuid4()), caller, body.product, body.licence_type, uow, catalogue=catalogue))
        return await runtime.command(request, caller, body, act, status_code=201)

    @router.post("/{subscription_id}/conversion", response_model=SubscriptionAnswer,
                 summary="Buy the tier of a running trial (R10)", description=ADMINISTRATOR_ONLY)
    async def convert(subscription_id: str, body: ConversionRequest, request: Request,
                      caller: Caller = authenticated):
        # Product, tier and licence type are the trial's; the domain fills them in.
        order = domain.Order(subscription_id=subscription_id, account_id=caller.account_id,
                             administrator=contact_of(caller), product="", tier="",
                             licence_type=LicenceType.NAMED_USER, **body.model_dump())

        async def act(uow):
            return SubscriptionView.of(await orders.convert_trial(subscription_id, caller, order, uow,
                                                                  **setup))
        return await runtime.command(request, caller, body, act)

    @router.post("/{subscription_id}/activation", response_model=SubscriptionAnswer,
                 summary="Accept the agreement and activate (R7, R8)",
                 description=f"{ADMINISTRATOR_ONLY} Within 90 days of the order: later, 409 "
                 "`activation_window_closed` (R8).")
    async def accept(subscription_id: str, request: Request, caller: Caller = authenticated):
        async def act(uow):
            return SubscriptionView.of(await orders.accept_agreement(subscription_id, caller, uow))
        return await runtime.command(request, caller, None, act)

    @router.get("", response_model=list[SubscriptionView], summary="Subscriptions the caller administers",
                description=f"{SIGNED_IN_LIST} Oldest order first, a page at a time: at most "
                f"`limit` (≤ {MAX_PAGE_SIZE}); the next page is in `Link: rel=\"next\"` and `X-Next-Cursor`.")
    async def mine(request: Request, page: Annotated[PageRequest, Depends(page_request)],
                   caller: Caller = authenticated):
        async with runtime.db.connect() as conn:
            found = await SubscriptionRepository(conn).administered_by(caller.person_id, caller.account_id, page)
        return paged(request, page, found, lambda s: (s.ordered_at, s.id), SubscriptionView.of)

    @router.get("/{subscription_id}", response_model=SubscriptionView,
                summary="One subscription (its administrator only, R6)", description=ADMINISTRATOR_ONLY)
    async def one(subscription_id: str, caller: Caller = authenticated) -> SubscriptionView:
        return SubscriptionView.of(await administered(runtime, subscription_id, caller))

    @router.get("/{subscription_id}/agreement", response_model=AgreementView,
                summary="The agreement to accept (R7)", description=f"{ADMINISTRATOR_ONLY} The link "
                "of the agreement e-mail; it carries no secret.")
    async def agreement(subscription_id: str, caller: Caller = authenticated) -> AgreementView:
        s = await administered(runtime, subscription_id, caller)
        term = f", until {s.fixed_term_end:%Y-%m-%d}" if s.fixed_term_end else ""
        return AgreementView(
            subscription_id=s.id, status=s.status.value, accept_by=s.activation_deadline,
            text=f"Licence agreement for {s.quantity} {s.licence_type.value} seat(s) of "
                 f"{s.product} {s.tier}, billed {s.billing_cycle.value}{term} at "
                 f"{s.unit_price.amount_minor / 100:.2f} {s.unit_price.currency} per seat.",
            accept={"method": "POST", "path": f"/subscriptions/{s.id}/activation"})

    return router
