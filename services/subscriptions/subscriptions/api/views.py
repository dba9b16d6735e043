"""Bodies of the subscriptions HTTP API: what commands take and what they answer."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from contracts.values import BillingCycle, LicenceType, Money
from subscriptions import domain
from subscriptions.domain.amendments import Amendment, TierChangeQuote

PO_NUMBER = Field(None, max_length=100, description="Purchase-order number, shown on invoices (R31).")
PAYMENT_METHOD = Field(None, max_length=200, description="A label such as 'Visa ending 4242' or "
                       "'SEPA mandate 12'; never a card number (R18).")
TERM_ENDS_ON = Field(None, description="Fixed term only: the date the term ends, 30 days to "
                     "5 years away (R11).")


class PurchaseRequest(BaseModel):
    product: str = Field("designer", description="Product code from the catalogue.")
    tier: str = Field("standard", description="standard, premium or premium_plus.")
    licence_type: LicenceType = Field(LicenceType.NAMED_USER)
    billing_cycle: BillingCycle = Field(BillingCycle.ANNUAL)
    quantity: int = Field(gt=0, le=100_000, description="Number of seats.")
    term_ends_on: date | None = TERM_ENDS_ON
    po_number: str | None = PO_NUMBER
    payment_method: str | None = PAYMENT_METHOD
    project_id: str | None = Field(None, max_length=100, description="Reseller project; required "
                                   "for products that need approval (R19).")


class TrialRequest(BaseModel):
    product: str = Field("designer", description="Product code from the catalogue.")
    licence_type: LicenceType = Field(LicenceType.NAMED_USER)


class ConversionRequest(BaseModel):
    billing_cycle: BillingCycle = Field(BillingCycle.ANNUAL)
    quantity: int = Field(gt=0, le=100_000, description="Seats to buy.")
    term_ends_on: date | None = TERM_ENDS_ON
    po_number: str | None = PO_NUMBER


class CancellationRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why the customer cancels.")


class TerminationRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why the operator terminates.")


class RenewalRequest(BaseModel):
    term_ends_on: date | None = TERM_ENDS_ON


class AmendmentRequest(BaseModel):
    tier: str = Field(description="The tier to change to.")


class CycleChangeRequest(BaseModel):
    billing_cycle: BillingCycle = Field(description="monthly or annual, from the next renewal (R16).")


class AdministratorRequest(BaseModel):
    person_id: str = Field(min_length=1, max_length=64)
    email: str = Field(min_length=3, max_length=320)
    name: str = Field("", max_length=200)
    locale: str = Field("en", pattern="^(en|fr|nl|de)$")


class PurchaseDetailsRequest(BaseModel):
    po_number: str | None = PO_NUMBER
    payment_method: str | None = PAYMENT_METHOD


class AddonRequest(BaseModel):
    addon: str = Field(min_length=1, max_length=64, description="Add-on code from the catalogue.")


class DecisionRequest(BaseModel):
    approved: bool


class SubscriptionView(BaseModel):
    id: str
    account_id: str
    administrator_id: str
    product: str
    tier: str
    licence_type: LicenceType
    billing_cycle: BillingCycle
    scheduled_billing_cycle: BillingCycle | None = Field(description="Cycle from the next renewal (R16).")
    quantity: int = Field(description="Seats in force.")
    unit_price: Money
    status: str = Field(description=", ".join(s.value for s in domain.Status))
    ordered_at: datetime
    activation_deadline: datetime
    term_start: datetime | None
    term_end: datetime | None
    term_ends_on: datetime | None = Field(description="Fixed term: the end chosen at purchase.")
    cancels_at: datetime | None
    grace_ends_at: datetime | None
    trial_ends_at: datetime | None
    ended_at: datetime | None
    ended_reason: str | None
    po_number: str | None
    payment_method: str | None
    next_payment_method: str | None = Field(description="Used from the next renewal (R18).")
    project_id: str | None
    addons: list[str]

    @classmethod
    def of(cls, s: domain.Subscription) -> "SubscriptionView":
        return cls(id=s.id, account_id=s.account_id, administrator_id=s.administrator.person_id,
                   product=s.product, tier=s.tier, licence_type=s.licence_type,
                   billing_cycle=s.billing_cycle, scheduled_billing_cycle=s.scheduled_cycle,
                   quantity=s.quantity, unit_price=s.unit_price, status=s.status.value,
                   ordered_at=s.ordered_at, activation_deadline=s.activation_deadline,
                   term_start=s.term_start, term_end=s.term_end, term_ends_on=s.fixed_term_end,
                   cancels_at=s.cancels_at, grace_ends_at=s.grace_ends_at,
                   trial_ends_at=s.trial_ends_at, ended_at=s.ended_at, ended_reason=s.ended_reason,
                   po_number=s.po_number, payment_method=s.payment_method,
                   next_payment_method=s.next_payment_method, project_id=s.project_id,
                   addons=s.addons)


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
    def of(cls, q: TierChangeQuote) -> "TierChangePreview":
        return cls(from_tier=q.from_tier, to_tier=q.to_tier, quantity=q.quantity,
                   days_remaining=q.days_remaining, days_in_term=q.days_in_term, credit=q.credit,
                   charge=q.charge, net=q.net, new_unit_price=q.new_unit_price)


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
    def of(cls, a: Amendment) -> "AmendmentView":
        return cls(id=a.id, subscription_id=a.subscription_id, from_tier=a.from_tier,
                   to_tier=a.to_tier, new_unit_price=a.new_unit_price, status=a.status.value,
                   proposed_at=a.proposed_at,
                   accept={"method": "POST", "path": f"/subscriptions/{a.subscription_id}"
                                                     f"/amendments/{a.id}/acceptance"})
