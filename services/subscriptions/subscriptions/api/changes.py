"""Routes that change a running subscription: tier changes (R12, R13), billing cycle (R16),
administrator (R17), purchase details (R18) and add-ons (R20). Each answers 404 to anyone but
the administrator."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from contracts.errors import not_found
from contracts.values import BillingCycle, Money
from servicekit.http.deps import Commands, CurrentCaller
from servicekit.http.fields import EmailAddress, Line
from servicekit.runtime import Runtime
from subscriptions.api.deps import CatalogueDep, PortalUrl, administered
from subscriptions.api.schemas import (
    ADMINISTRATOR_ONLY,
    PAYMENT_METHOD,
    PO_NUMBER,
    SubscriptionAnswer,
    SubscriptionView,
)
from subscriptions.domain import amendments
from subscriptions.domain.amendments import Amendment, TierChangeQuote
from subscriptions.handlers import changes
from subscriptions.store.uow import SubscriptionsUnitOfWork


class AmendmentRequest(BaseModel):
    tier: Line = Field(min_length=1, max_length=64, description="The tier to change to.")


class CycleChangeRequest(BaseModel):
    billing_cycle: BillingCycle = Field(description="monthly or annual, from the next renewal (R16).")


class AdministratorRequest(BaseModel):
    email: EmailAddress = Field(
        description="The new administrator: one e-mail address of a registered "
        "contact of the company (R17, R38). Add them first with identity's "
        "`POST /accounts/{account_id}/contacts` if they are not one yet."
    )


class PurchaseDetailsRequest(BaseModel):
    po_number: Line | None = PO_NUMBER
    payment_method: Line | None = PAYMENT_METHOD


class AddonRequest(BaseModel):
    addon: Line = Field(min_length=1, max_length=64, description="Add-on code from the catalogue.")


class TierChangePreview(BaseModel):
    from_tier: str
    to_tier: str
    quantity: int = Field(description="Seats in force, to which both prices apply.")
    days_remaining: int
    days_in_term: int
    credit: Money = Field(description="Unused balance of the current tier (≤ 0).")
    charge: Money = Field(description="Rest of the term in the new tier (≥ 0).")
    net: Money
    new_unit_price: Money = Field(description="Price of one seat per term in the new tier.")

    @classmethod
    def of(cls, q: TierChangeQuote) -> TierChangePreview:
        return cls(
            from_tier=q.from_tier,
            to_tier=q.to_tier,
            quantity=q.quantity,
            days_remaining=q.days_remaining,
            days_in_term=q.days_in_term,
            credit=q.credit,
            charge=q.charge,
            net=q.net,
            new_unit_price=q.new_unit_price,
        )


class AmendmentView(BaseModel):
    id: str
    subscription_id: str
    from_tier: str
    to_tier: str
    new_unit_price: Money
    status: str
    proposed_at: datetime
    accept: dict = Field(description="How to accept it.")

    @classmethod
    def of(cls, a: Amendment) -> AmendmentView:
        return cls(
            id=a.id,
            subscription_id=a.subscription_id,
            from_tier=a.from_tier,
            to_tier=a.to_tier,
            new_unit_price=a.new_unit_price,
            status=a.status.value,
            proposed_at=a.proposed_at,
            accept={"method": "POST", "path": f"/subscriptions/{a.subscription_id}/amendments/{a.id}/acceptance"},
        )


class AmendmentAnswer(AmendmentView):
    """The amendment as the proposal left it."""

    event_ids: list[str] = Field(default_factory=list, description="Ids of the events the command caused.")


router = APIRouter(prefix="/subscriptions/{subscription_id}", tags=["subscriptions"])


@router.get(
    "/tier-change-preview",
    response_model=TierChangePreview,
    summary="What a tier change would cost now (R12); no effect",
    description=ADMINISTRATOR_ONLY,
)
async def preview(
    subscription_id: str,
    tier: Annotated[Line, Query(min_length=1, max_length=64)],
    caller: CurrentCaller,
    runtime: Runtime,
    catalogue: CatalogueDep,
) -> TierChangePreview:
    s = await administered(runtime, subscription_id, caller)
    return TierChangePreview.of(
        amendments.quote_tier_change(s, caller, tier, catalogue.product(s.product), runtime.clock.now())
    )


@router.post(
    "/amendments",
    status_code=201,
    response_model=AmendmentAnswer,
    summary="Propose a tier change to accept (R12, R13)",
    description=ADMINISTRATOR_ONLY,
)
async def propose(
    subscription_id: str,
    body: AmendmentRequest,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    catalogue: CatalogueDep,
    portal_url: PortalUrl,
) -> JSONResponse:
    async def act(uow: SubscriptionsUnitOfWork) -> AmendmentView:
        return AmendmentView.of(
            await changes.propose_amendment(
                subscription_id, caller, body.tier, uow, catalogue=catalogue, portal_url=portal_url
            )
        )

    return await commands.run(request, caller, body, act, status_code=201)


@router.get(
    "/amendments/{amendment_id}",
    response_model=AmendmentView,
    summary="An amendment to read and accept (R12)",
    description=f"{ADMINISTRATOR_ONLY} An amendment of another subscription answers 404 too.",
)
async def amendment(subscription_id: str, amendment_id: str, caller: CurrentCaller, runtime: Runtime) -> AmendmentView:
    await administered(runtime, subscription_id, caller)
    async with runtime.uow() as uow:
        found: Amendment = await uow.amendments.get(amendment_id)
    if found.subscription_id != subscription_id:
        raise not_found("amendment", amendment_id)
    return AmendmentView.of(found)


@router.post(
    "/amendments/{amendment_id}/acceptance",
    response_model=SubscriptionAnswer,
    summary="Accept an amendment: the tier changes now (R12)",
    description=ADMINISTRATOR_ONLY,
)
async def accept(
    subscription_id: str,
    amendment_id: str,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    catalogue: CatalogueDep,
) -> JSONResponse:
    async def act(uow: SubscriptionsUnitOfWork) -> SubscriptionView:
        return SubscriptionView.of(
            await changes.accept_amendment(subscription_id, amendment_id, caller, uow, catalogue=catalogue)
        )

    return await commands.run(request, caller, None, act)


@router.post(
    "/billing-cycle",
    response_model=SubscriptionAnswer,
    summary="Change the cycle from the next renewal (R16)",
    description=ADMINISTRATOR_ONLY,
)
async def cycle(
    subscription_id: str, body: CycleChangeRequest, request: Request, caller: CurrentCaller, commands: Commands
) -> JSONResponse:
    async def act(uow: SubscriptionsUnitOfWork) -> SubscriptionView:
        return SubscriptionView.of(await changes.change_cycle(subscription_id, caller, body.billing_cycle, uow))

    return await commands.run(request, caller, body, act)


@router.post(
    "/administrator",
    response_model=SubscriptionAnswer,
    summary="Transfer the administrator rights to a contact of the company (R17, R38)",
    description=f"{ADMINISTRATOR_ONLY} The new administrator is named by e-mail and must "
    "be a registered contact of the company: 409 `not_a_company_contact` (add them with "
    "identity's `POST /accounts/{account_id}/contacts` first) or `contact_not_registered` "
    "(they register first) otherwise. The previous administrator loses every right at once.",
)
async def transfer(
    subscription_id: str, body: AdministratorRequest, request: Request, caller: CurrentCaller, commands: Commands
) -> JSONResponse:
    async def act(uow: SubscriptionsUnitOfWork) -> SubscriptionView:
        return SubscriptionView.of(await changes.transfer_administrator(subscription_id, caller, body.email, uow))

    return await commands.run(request, caller, body, act)


@router.put(
    "/purchase-details",
    response_model=SubscriptionAnswer,
    summary="PO number now, payment method from the next renewal (R18)",
    description=ADMINISTRATOR_ONLY,
)
async def purchase_details(
    subscription_id: str, body: PurchaseDetailsRequest, request: Request, caller: CurrentCaller, commands: Commands
) -> JSONResponse:
    async def act(uow: SubscriptionsUnitOfWork) -> SubscriptionView:
        return SubscriptionView.of(
            await changes.change_purchase_details(subscription_id, caller, body.po_number, body.payment_method, uow)
        )

    return await commands.run(request, caller, body, act)


@router.post(
    "/addons",
    response_model=SubscriptionAnswer,
    summary="Add an add-on module to a paid subscription (R20)",
    description=f"{ADMINISTRATOR_ONLY} Only an active subscription whose invoices are paid takes an "
    "add-on (R20, issue 15): while billing reports one of its invoices open, partially paid, overdue "
    "or written off (uncollectible), the answer is 409 `base_not_paid`, naming the invoices still to "
    "pay. An add-on already added answers 409 `addon_already_added`.",
)
async def addon(
    subscription_id: str,
    body: AddonRequest,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    catalogue: CatalogueDep,
) -> JSONResponse:
    async def act(uow: SubscriptionsUnitOfWork) -> SubscriptionView:
        return SubscriptionView.of(
            await changes.add_addon(subscription_id, caller, body.addon, uow, catalogue=catalogue)
        )

    return await commands.run(request, caller, body, act)
