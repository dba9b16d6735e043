"""Routes that manage a running subscription: cancellation and its withdrawal (R14), renewal
within the grace (R15), tier changes (R12, R13), billing cycle (R16), administrator (R17),
purchase details (R18) and add-ons (R20). Each answers 404 to anyone but the administrator."""
from __future__ import annotations

from fastapi import APIRouter, Request

from contracts.errors import not_found
from contracts.values import Contact
from servicekit.auth import Caller
from servicekit.runtime import ServiceRuntime
from subscriptions.api import administered
from subscriptions.api.views import (
    AddonRequest, AdministratorRequest, AmendmentRequest, AmendmentView, CancellationRequest,
    CycleChangeRequest, PurchaseDetailsRequest, RenewalRequest, SubscriptionView, TierChangePreview,
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

    @router.post("/cancellation", summary="Cancel at the end of the term (R14)")
    async def cancel(subscription_id: str, body: CancellationRequest, request: Request,
                     caller: Caller = authenticated):
        return await run(request, caller, body, lambda uow: lifecycle.cancel(
            subscription_id, caller, body.reason, uow))

    @router.post("/cancellation/withdrawal", summary="Withdraw a cancellation before the term end (R14)")
    async def withdraw(subscription_id: str, request: Request, caller: Caller = authenticated):
        return await run(request, caller, None, lambda uow: lifecycle.withdraw_cancellation(
            subscription_id, caller, uow))

    @router.post("/renewal", summary="Renew or extend within the 10 days of grace (R15)")
    async def renew(subscription_id: str, request: Request, body: RenewalRequest | None = None,
                    caller: Caller = authenticated):
        body = body or RenewalRequest()
        return await run(request, caller, body, lambda uow: lifecycle.renew_in_grace(
            subscription_id, caller, body.term_ends_on, uow, catalogue=catalogue))

    @router.get("/tier-change-preview", summary="What a tier change would cost now (R12); no effect")
    async def preview(subscription_id: str, tier: str, caller: Caller = authenticated) -> TierChangePreview:
        s = await administered(runtime, subscription_id, caller)
        return TierChangePreview.of(amendments.quote_tier_change(
            s, caller, tier, catalogue.product(s.product), runtime.clock.now()))

    @router.post("/amendments", status_code=201, summary="Propose a tier change to accept (R12, R13)")
    async def propose(subscription_id: str, body: AmendmentRequest, request: Request,
                      caller: Caller = authenticated):
        async def act(uow):
            return AmendmentView.of(await changes.propose_amendment(
                subscription_id, caller, body.tier, uow, catalogue=catalogue, portal_url=portal_url))
        return await runtime.command(request, caller, body, act, status_code=201)

    @router.get("/amendments/{amendment_id}", summary="An amendment to read and accept (R12)")
    async def amendment(subscription_id: str, amendment_id: str,
                        caller: Caller = authenticated) -> AmendmentView:
        await administered(runtime, subscription_id, caller)
        async with runtime.db.connect() as conn:
            found = await AmendmentRepository(conn).get(amendment_id)
        if found.subscription_id != subscription_id:
            raise not_found("amendment", amendment_id)
        return AmendmentView.of(found)

    @router.post("/amendments/{amendment_id}/acceptance", summary="Accept an amendment: the tier changes now (R12)")
    async def accept(subscription_id: str, amendment_id: str, request: Request,
                     caller: Caller = authenticated):
        return await run(request, caller, None, lambda uow: changes.accept_amendment(
            subscription_id, amendment_id, caller, uow, catalogue=catalogue))

    @router.post("/billing-cycle", summary="Change the cycle from the next renewal (R16)")
    async def cycle(subscription_id: str, body: CycleChangeRequest, request: Request,
                    caller: Caller = authenticated):
        return await run(request, caller, body, lambda uow: changes.change_cycle(
            subscription_id, caller, body.billing_cycle, uow))

    @router.post("/administrator", summary="Transfer the administrator rights (R17)")
    async def transfer(subscription_id: str, body: AdministratorRequest, request: Request,
                       caller: Caller = authenticated):
        # Identity keeps no contact list yet: the details given are taken as they are.
        to = Contact(**body.model_dump())
        return await run(request, caller, body, lambda uow: changes.transfer_administrator(
            subscription_id, caller, to, uow))

    @router.put("/purchase-details", summary="PO number now, payment method from the next renewal (R18)")
    async def purchase_details(subscription_id: str, body: PurchaseDetailsRequest, request: Request,
                               caller: Caller = authenticated):
        return await run(request, caller, body, lambda uow: changes.change_purchase_details(
            subscription_id, caller, body.po_number, body.payment_method, uow))

    @router.post("/addons", summary="Add an add-on module to a paid subscription (R20)")
    async def addon(subscription_id: str, body: AddonRequest, request: Request,
                    caller: Caller = authenticated):
        return await run(request, caller, body, lambda uow: changes.add_addon(
            subscription_id, caller, body.addon, uow, catalogue=catalogue))

    return router
