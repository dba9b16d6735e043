"""Bodies of the subscriptions HTTP API: what commands take and what they answer.

Every text a customer types here can reach an e-mail header, an invoice, a log line or a
file, so it is a `servicekit.fields.Line` (one line, no control characters) and an address
is an `EmailAddress` (exactly one, checked by a real parser): a line break is refused with
422 at the edge instead of breaking an e-mail later (issue 11, item 2).
"""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from contracts.values import BillingCycle, LicenceType, Money
from servicekit.http.fields import EmailAddress, Line
from subscriptions import domain
from subscriptions.domain.amendments import Amendment, TierChangeQuote

PO_NUMBER = Field(None, max_length=100, description="Purchase-order number, shown on invoices (R31).")
PAYMENT_METHOD = Field(None, max_length=200, description="A label such as 'Visa ending 4242' or "
                       "'SEPA mandate 12'; never a card number (R18).")
TERM_ENDS_ON = Field(None, description="Fixed term only: the date the term ends, 30 days to "
                     "5 years away, both ends included (R11).")
CODE = dict(min_length=1, max_length=64)


class PurchaseRequest(BaseModel):
    product: Line = Field("designer", **CODE, description="Product code from the catalogue.")
    tier: Line = Field("standard", **CODE, description="standard, premium or premium_plus.")
    licence_type: LicenceType = Field(LicenceType.NAMED_USER)
    billing_cycle: BillingCycle = Field(BillingCycle.ANNUAL)
    quantity: int = Field(gt=0, le=100_000, description="Number of seats.")
    term_ends_on: date | None = TERM_ENDS_ON
    po_number: Line | None = PO_NUMBER
    payment_method: Line | None = PAYMENT_METHOD
    project_id: Line | None = Field(None, max_length=100, description="Reseller project; required "
                                    "for products that need approval (R19).")


class TrialRequest(BaseModel):
    product: Line = Field("designer", **CODE, description="Product code from the catalogue.")
    licence_type: LicenceType = Field(LicenceType.NAMED_USER)


class ConversionRequest(BaseModel):
    billing_cycle: BillingCycle = Field(BillingCycle.ANNUAL)
    quantity: int = Field(gt=0, le=100_000, description="Seats to buy.")
    term_ends_on: date | None = TERM_ENDS_ON
    po_number: Line | None = PO_NUMBER


class CancellationRequest(BaseModel):
    reason: Line = Field(min_length=1, max_length=2000, description="Why the customer cancels (one line).")


class TerminationRequest(BaseModel):
    reason: Line = Field(min_length=1, max_length=2000, description="Why the operator terminates (one line).")


class RenewalRequest(BaseModel):
    term_ends_on: date | None = TERM_ENDS_ON


class AmendmentRequest(BaseModel):
    tier: Line = Field(**CODE, description="The tier to change to.")


class CycleChangeRequest(BaseModel):
    billing_cycle: BillingCycle = Field(description="monthly or annual, from the next renewal (R16).")


class AdministratorRequest(BaseModel):
    email: EmailAddress = Field(description="The new administrator: one e-mail address of a registered "
                                "contact of the company (R17, R38). Add them first with identity's "
                                "`POST /accounts/{account_id}/contacts` if they are not one yet.")


class PurchaseDetailsRequest(BaseModel):
    po_number: Line | None = PO_NUMBER
    payment_method: Line | None = PAYMENT_METHOD


class AddonRequest(BaseModel):
    addon: Line = Field(**CODE, description="Add-on code from the catalogue.")


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


class SubscriptionAnswer(SubscriptionView):
    """The subscription as a command left it."""

    event_ids: list[str] = Field(default_factory=list, description="Ids of the events the command caused.")


class AgreementView(BaseModel):
    """The agreement an administrator reads before accepting it (R7, R8)."""

    subscription_id: str
    status: str
    accept_by: datetime = Field(description="After this the order lapses (R8).")
    text: str = Field(description="What is agreed: seats, product, tier, cycle, term and price.")
    accept: dict = Field(description="How to accept it: `{method, path}`.")


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


class AmendmentAnswer(AmendmentView):
    """The amendment as the proposal left it."""

    event_ids: list[str] = Field(default_factory=list, description="Ids of the events the command caused.")


# Who may call a route: said in each operation's description (issue 11, item 22).
ADMINISTRATOR_ONLY = ("The subscription's administrator only, signed in (bearer token) for the "
                      "account that owns it (R6). Anyone else gets 404, exactly as for a "
                      "subscription that does not exist.")
SIGNED_IN_BUYER = ("Any signed-in person (bearer token from identity's `POST /tokens`), buying for "
                   "the account their token acts for; they become the administrator (R6).")
SIGNED_IN_LIST = ("Any signed-in person: only the subscriptions they administer for the account "
                  "their token acts for.")
OPERATOR_ONLY = "Operators only: header `X-Operator-Token` (see `OPERATOR_TOKEN`)."
