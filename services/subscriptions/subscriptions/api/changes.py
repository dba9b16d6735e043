"""Routes that manage a running subscription: cancellation and its withdrawal (R14), renewal
within the grace (R15), tier changes (R12, R13), billing cycle (R16), administrator (R17),
purchase details (R18) and add-ons (R20). Each answers 404 to anyone but the administrator."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from contracts.errors import not_found
from servicekit.http.auth import Caller
from servicekit.http.fields import Line
from servicekit.runtime import ServiceRuntime
from subscriptions.api import administered
from subscriptions.api.views import (
    ADMINISTRATOR_ONLY, AddonRequest, AdministratorRequest, AmendmentAnswer, AmendmentRequest,
    AmendmentView, CancellationRequest, CycleChangeRequest, PurchaseDetailsRequest, RenewalRequest,
    SubscriptionAnswer, SubscriptionView, TierChangePreview,
)
from subscriptions.catalogue import Catalogue
from subscriptions.domain import amendments
from subscriptions.handlers import changes, lifecycle
from subscriptions.store import AmendmentRepository


def routes(runtime: ServiceRuntime, catalogue: Catalogue, portal_url: str) -> APIRouter:
    router = APIRouter(prefix="/subscriptions/{subscription_id}", tags=["subscriptions"])
    authenticated = runtime.authenticated

    async def run(request: Request, caller: Caller, body, act):
        """Run `act(uow)` as an idempotent command; answer the subscription it returns."""
        async def view(uow):
            return SubscriptionView.of(await act(uow))
        return await runtime.command(request, caller, body, view)

    @router.post("/cancellation", response_model=SubscriptionAnswer, summary="Cancel at the end of the term (R14)",
                 description=f"{ADMINISTRATOR_ONLY} Annual: only in the last month of the term.")
    async def cancel(subscription_id: str, body: CancellationRequest, request: Request,
                     caller: Caller = authenticated):
        return await run(request, caller, body, lambda uow: lifecycle.cancel(
            subscription_id, caller, body.reason, uow))

    @router.post("/cancellation/withdrawal", response_model=SubscriptionAnswer,
                 summary="Withdraw a cancellation before the term end (R14)", description=ADMINISTRATOR_ONLY)
    async def withdraw(subscription_id: str, request: Request, caller: Caller = authenticated):
        return await run(request, caller, None, lambda uow: lifecycle.withdraw_cancellation(
            subscription_id, caller, uow))

    @router.post("/renewal", response_model=SubscriptionAnswer,
                 summary="Renew or extend within the 10 days of grace (R15)", description=ADMINISTRATOR_ONLY)
    async def renew(subscription_id: str, request: Request, body: RenewalRequest | None = None,
                    caller: Caller = authenticated):
        body = body or RenewalRequest()
        return await run(request, caller, body, lambda uow: lifecycle.renew_in_grace(
            subscription_id, caller, body.term_ends_on, uow, catalogue=catalogue))

    @router.get("/tier-change-preview", response_model=TierChangePreview,
                summary="What a tier change would cost now (R12); no effect", description=ADMINISTRATOR_ONLY)
    async def preview(subscription_id: str, tier: Annotated[Line, Query(min_length=1, max_length=64)],
                      caller: Caller = authenticated) -> TierChangePreview:
        s = await administered(runtime, subscription_id, caller)
        return TierChangePreview.of(amendments.quote_tier_change(
            s, caller, tier, catalogue.product(s.product), runtime.clock.now()))

    @router.post("/amendments", status_code=201, response_model=AmendmentAnswer,
                 summary="Propose a tier change to accept (R12, R13)", description=ADMINISTRATOR_ONLY)
    async def propose(subscription_id: str, body: AmendmentRequest, request: Request,
                      caller: Caller = authenticated):
        async def act(uow):
            return AmendmentView.of(await changes.propose_amendment(
                subscription_id, caller, body.tier, uow, catalogue=catalogue, portal_url=portal_url))
        return await runtime.command(request, caller, body, act, status_code=201)

    @router.get("/amendments/{amendment_id}", response_model=AmendmentView,
                summary="An amendment to read and accept (R12)", description=f"{ADMINISTRATOR_ONLY} "
                "An amendment of another subscription answers 404 too.")
    async def amendment(subscription_id: str, amendment_id: str,
                        caller: Caller = authenticated) -> AmendmentView:
        await administered(runtime, subscription_id, caller)
        async with runtime.db.connect() as conn:
            found = await AmendmentRepository(conn).get(amendment_id)
        if found.subscription_id != subscription_id:
            raise not_found("amendment", amendment_id)
        return AmendmentView.of(found)

    @router.post("/amendments/{amendment_id}/acceptance", response_model=SubscriptionAnswer,
                 summary="Accept an amendment: the tier changes now (R12)", description=ADMINISTRATOR_ONLY)
    async def accept(subscription_id: str, amendment_id: str, request: Request,
                     caller: Caller = authenticated):
        return await run(request, caller, None, lambda uow: changes.accept_amendment(
            subscription_id, amendment_id, caller, uow, catalogue=catalogue))

    @router.post("/billing-cycle", response_model=SubscriptionAnswer,
                 summary="Change the cycle from the next renewal (R16)", description=ADMINISTRATOR_ONLY)
    async def cycle(subscription_id: str, body: CycleChangeRequest, request: Request,
                    caller: Caller = authenticated):
        return await run(request, caller, body, lambda uow: changes.change_cycle(
            subscription_id, caller, body.billing_cycle, uow))

    @router.post("/administrator", response_model=SubscriptionAnswer,
                 summary="Transfer the administrator rights to a contact of the company (R17, R38)",
                 description=f"{ADMINISTRATOR_ONLY} The new administrator is named by e-mail and must "
                 "be a registered contact of the company: 409 `not_a_company_contact` (add them with "
                 "identity's `POST /accounts/{account_id}/contacts` first) or `contact_not_registered` "
                 "(they register first) otherwise. The previous administrator loses every right at once.")
    async def transfer(subscription_id: str, body: AdministratorRequest, request: Request,
                       caller: Caller = authenticated):
        return await run(request, caller, body, lambda uow: changes.transfer_administrator(
            subscription_id, caller, body.email, uow))

    @router.put("/purchase-details", response_model=SubscriptionAnswer,
                summary="PO number now, payment method from the next renewal (R18)", description=ADMINISTRATOR_ONLY)
    async def purchase_details(subscription_id: str, body: PurchaseDetailsRequest, request: Request,
                               caller: Caller = authenticated):
        return await run(request, caller, body, lambda uow: changes.change_purchase_details(
            subscription_id, caller, body.po_number, body.payment_method, uow))

    @router.post("/addons", response_model=SubscriptionAnswer,
                 summary="Add an add-on module to a paid subscription (R20)", description=ADMINISTRATOR_ONLY)
    async def addon(subscription_id: str, body: AddonRequest, request: Request,
                    caller: Caller = authenticated):
        return await run(request, caller, body, lambda uow: changes.add_addon(
            subscription_id, caller, body.addon, uow, catalogue=catalogue))

    return router
