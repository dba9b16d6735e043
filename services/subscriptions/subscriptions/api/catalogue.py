"""The catalogue as a customer reads it before buying (R50): products, their tiers (R9) with
the price of one seat per cycle (R11) and what each unlocks (modules, limits), licence types,
add-ons (R20), the trial offer (R10) and how the product is used (web or desktop, its start
and download links, issue 14), each product marking what the caller's company already owns.

"Owned" is every subscription of the caller's account that is not over (ended, lapsed or
rejected): its tier, licence type and status, so that a page can say "You own this". Its id
is shown only to its administrator (R6), who may act on it (accept, convert a trial); a
colleague learns that the company owns it, not how to reach it.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from contracts.values import LicenceType
from servicekit.http.deps import CurrentCaller
from servicekit.runtime import Runtime
from subscriptions.adapters.catalogue import CyclePrices, Product, SoftwareTable
from subscriptions.api.deps import CatalogueDep
from subscriptions.domain.subscription import OVER
from subscriptions.store.tables import subscriptions

SIGNED_IN_READER = (
    "Any signed-in person (bearer token from identity's `POST /tokens`); what is marked as "
    "owned is their account's, and a subscription's id only to its administrator (R6)."
)


class PricesView(BaseModel):
    monthly: int = Field(description="Minor units per month.")
    annual: int = Field(description="Minor units per year.")

    @classmethod
    def of(cls, prices: CyclePrices) -> PricesView:
        return cls(monthly=prices.monthly, annual=prices.annual)


class TierView(BaseModel):
    code: str
    rank: int = Field(description="Position on the ladder; higher is an upgrade (R13).")
    self_service: bool = Field(description="False: sold by the sales team only (R9).")
    prices: PricesView | None = Field(description="Per seat and per term; none when not self-service.")
    modules: list[str] = Field(description="Modules the tier unlocks.")
    limits: dict[str, int] = Field(description="Caps of the tier, e.g. projects: 50; a limit not named is not capped.")


class SoftwareView(BaseModel):
    kind: str = Field(description="`web` (opened in a browser) or `desktop` (downloaded and installed).")
    start_url: str = Field(description="Where the product opens (web) or its page (desktop).")
    download_url: str | None = Field(description="Desktop products: where the installer is; none for web.")

    @classmethod
    def of(cls, software: SoftwareTable) -> SoftwareView:
        return cls(kind=software.kind, start_url=software.start_url, download_url=software.download_url)


class AddonView(BaseModel):
    code: str
    name: str
    prices: PricesView = Field(description="Flat per subscription and per term (R20).")


class TrialView(BaseModel):
    tier: str
    days: int
    fallback_tier: str = Field(description="The tier a trial not bought falls back to (R10).")
    available: bool = Field(description="False once the caller's account had a trial of this product (R10).")


class OwnedView(BaseModel):
    subscription_id: str | None = Field(description="Only for the subscription's administrator (R6).")
    administered_by_you: bool
    tier: str
    licence_type: LicenceType
    status: str


class ProductView(BaseModel):
    code: str
    name: str
    currency: str
    licence_types: list[LicenceType]
    software: SoftwareView = Field(description="How the product is used (issue 14).")
    tier_changes: str = Field(description="any, or upgrade_only (software assurance, R13).")
    requires_approval: bool = Field(description="Ordered by a reseller on a project, not self-service (R19).")
    term_discount_percent: int = Field(
        description="Fixed term: the annual price pro rata for its days, less this discount beyond 12 months (R11)."
    )
    tiers: list[TierView]
    addons: list[AddonView]
    trial: TrialView | None
    owned: list[OwnedView] = Field(description="What the caller's company already has of this product (R50).")


class CatalogueView(BaseModel):
    products: list[ProductView]


router = APIRouter(tags=["catalogue"])


@router.get(
    "/catalogue",
    response_model=CatalogueView,
    summary="What can be bought, and what the company already owns (R50)",
    description=f"{SIGNED_IN_READER} Products in catalogue order, tiers by rank.",
)
async def catalogue(caller: CurrentCaller, runtime: Runtime, offer: CatalogueDep) -> CatalogueView:
    async with runtime.uow() as uow:
        rows = (
            await uow.conn.execute(
                select(
                    subscriptions.c.id,
                    subscriptions.c.product,
                    subscriptions.c.tier,
                    subscriptions.c.licence_type,
                    subscriptions.c.status,
                    subscriptions.c.admin_person_id,
                    subscriptions.c.started_as_trial,
                )
                .where(subscriptions.c.account_id == caller.account_id)
                .order_by(subscriptions.c.ordered_at, subscriptions.c.id)
            )
        ).all()
    over = {s.value for s in OVER}
    owned: dict[str, list[OwnedView]] = {}
    trialled: set[str] = set()
    for row in rows:
        if row.started_as_trial:
            trialled.add(row.product)  # R10: once per account and product, whatever became of it
        if row.status in over:
            continue
        mine = row.admin_person_id == caller.person_id
        owned.setdefault(row.product, []).append(
            OwnedView(
                subscription_id=row.id if mine else None,
                administered_by_you=mine,
                tier=row.tier,
                licence_type=LicenceType(row.licence_type),
                status=row.status,
            )
        )
    return CatalogueView(
        products=[_product(p, owned.get(code, []), code in trialled) for code, p in offer.products.items()]
    )


def _product(product: Product, owned: list[OwnedView], had_trial: bool) -> ProductView:
    trial = product.trial
    return ProductView(
        code=product.code,
        name=product.name,
        currency=product.currency,
        licence_types=list(product.licence_types),
        software=SoftwareView.of(product.software),
        tier_changes=product.tier_changes,
        requires_approval=product.requires_approval,
        term_discount_percent=product.term_discount_percent,
        tiers=[
            TierView(
                code=t.code,
                rank=t.rank,
                self_service=t.self_service,
                prices=PricesView.of(t.prices) if t.prices else None,
                modules=list(t.modules),
                limits=dict(t.limits),
            )
            for t in sorted(product.tiers, key=lambda t: t.rank)
        ],
        addons=[AddonView(code=a.code, name=a.name, prices=PricesView.of(a.prices)) for a in product.addons],
        trial=None
        if trial is None
        else TrialView(tier=trial.tier, days=trial.days, fallback_tier=trial.fallback_tier, available=not had_trial),
        owned=owned,
    )
