"""HTTP commands and queries of the subscriptions service."""
from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from contracts.subscriptions import PurchaseSubscription
from contracts.values import BillingCycle, Contact, LicenceType, Money
from servicekit.auth import Caller
from servicekit.runtime import ServiceRuntime
from subscriptions import handlers
from subscriptions.domain import Subscription
from subscriptions.store import SubscriptionRepository


class PurchaseRequest(BaseModel):
    product: str = Field("designer", description="Product code from the catalogue.")
    tier: str = Field("standard", description="standard, premium or premium_plus.")
    licence_type: LicenceType = Field(LicenceType.NAMED_USER)
    billing_cycle: BillingCycle = Field(BillingCycle.ANNUAL)
    quantity: int = Field(gt=0, le=100_000, description="Number of seats.")


class CancellationRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why the customer cancels.")


class SubscriptionView(BaseModel):
    id: str
    account_id: str
    administrator_id: str
    product: str
    tier: str
    licence_type: LicenceType
    billing_cycle: BillingCycle
    quantity: int
    unit_price: Money
    status: str
    ordered_at: datetime
    activation_deadline: datetime
    term_start: datetime | None
    term_end: datetime | None
    cancels_at: datetime | None
    ended_at: datetime | None

    @classmethod
    def of(cls, s: Subscription) -> "SubscriptionView":
        return cls(id=s.id, account_id=s.account_id, administrator_id=s.administrator.person_id,
                   product=s.product, tier=s.tier, licence_type=s.licence_type,
                   billing_cycle=s.billing_cycle, quantity=s.quantity, unit_price=s.unit_price,
                   status=s.status.value, ordered_at=s.ordered_at,
                   activation_deadline=s.activation_deadline, term_start=s.term_start,
                   term_end=s.term_end, cancels_at=s.cancels_at, ended_at=s.ended_at)


def routes(runtime: ServiceRuntime, portal_url: str) -> APIRouter:
    router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])
    authenticated = runtime.authenticated

    @router.post("", status_code=201, summary="Purchase a subscription (R7)")
    async def purchase(body: PurchaseRequest, request: Request, caller: Caller = authenticated):
        command = PurchaseSubscription(
            subscription_id=str(uuid.uuid4()), account_id=caller.account_id,
            administrator=Contact(person_id=caller.person_id, email=caller.email,
                                  name=caller.name, locale=caller.locale),
            **body.model_dump())

        async def act(uow):
            return SubscriptionView.of(await handlers.purchase(command, uow, portal_url=portal_url))
        return await runtime.command(request, caller, body, act, status_code=201)

    @router.post("/{subscription_id}/activation", summary="Accept the agreement and activate (R7, R8)")
    async def accept(subscription_id: str, request: Request, caller: Caller = authenticated):
        async def act(uow):
            return SubscriptionView.of(await handlers.accept_agreement(subscription_id, caller, uow))
        return await runtime.command(request, caller, None, act)

    @router.post("/{subscription_id}/cancellation", summary="Cancel at the end of the term (R14)")
    async def cancel(subscription_id: str, body: CancellationRequest, request: Request,
                     caller: Caller = authenticated):
        async def act(uow):
            return SubscriptionView.of(await handlers.cancel(subscription_id, caller, body.reason, uow))
        return await runtime.command(request, caller, body, act)

    @router.get("", summary="Subscriptions the caller administers")
    async def mine(caller: Caller = authenticated) -> list[SubscriptionView]:
        async with runtime.db.connect() as conn:
            found = await SubscriptionRepository(conn).administered_by(caller.person_id)
        return [SubscriptionView.of(s) for s in found if s.account_id == caller.account_id]

    @router.get("/{subscription_id}", summary="One subscription (its administrator only, R6)")
    async def one(subscription_id: str, caller: Caller = authenticated) -> SubscriptionView:
        return SubscriptionView.of(await _administered(runtime, subscription_id, caller))

    @router.get("/{subscription_id}/agreement", summary="The agreement to accept")
    async def agreement(subscription_id: str, caller: Caller = authenticated) -> dict:
        s = await _administered(runtime, subscription_id, caller)
        return {"subscription_id": s.id, "status": s.status.value,
                "accept_by": s.activation_deadline.isoformat(),
                "text": f"Licence agreement for {s.quantity} {s.licence_type.value} seat(s) of "
                        f"{s.product} {s.tier}, billed {s.billing_cycle.value} at "
                        f"{s.unit_price.amount_minor / 100:.2f} {s.unit_price.currency} per seat.",
                "accept": {"method": "POST", "path": f"/subscriptions/{s.id}/activation"}}

    return router


async def _administered(runtime: ServiceRuntime, subscription_id: str, caller: Caller) -> Subscription:
    async with runtime.db.connect() as conn:
        subscription = await SubscriptionRepository(conn).get(subscription_id)
    subscription.ensure_administered_by(caller.person_id)
    return subscription
