"""Events and commands of the subscriptions service (keyed by subscription id)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, Field

from contracts.envelope import Command, Event
from contracts.values import BillingCycle, Contact, LicenceType, Money, Software


class BillingDetails(BaseModel):
    """Who is invoiced for an order, and where (R45). Checked when the order was placed: the
    country is an ISO 3166-1 alpha-2 code, the VAT number a valid one (EU or another country
    python-stdnum checks, such as GB, CH or NO) in its compact form."""

    company_name: str = Field(description="Company invoiced.")
    contact_name: str = Field(description="Person the invoices are addressed to.")
    billing_email: str = Field(description="Where invoices are sent.")
    address: str = Field(description="Street and number.")
    address_extra: str | None = Field(None, description="Second address line (building, floor, PO box).")
    postal_code: str = Field(description="Postal code.")
    city: str = Field(description="City.")
    country: str = Field(description="ISO 3166-1 alpha-2 code, upper case, e.g. `FR`.")
    vat_number: str | None = Field(
        None, description="VAT number of the country, compact, e.g. `FR40303265045` (EU: with its prefix)."
    )


class SubscriptionPurchased(Event):
    """A subscription was ordered; it waits for its administrator to accept the agreement (R7)."""

    type: ClassVar[str] = "subscription.purchased"
    subscription_id: str = Field(description="The new subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    administrator: Contact = Field(description="Who must accept the agreement (the purchaser, R6).")
    product: str = Field(description="Product code from the catalogue.")
    tier: str = Field(description="Tier code, e.g. `standard`, `premium`.")
    licence_type: LicenceType = Field(description="How seats are used (R9).")
    billing_cycle: BillingCycle = Field(description="How the subscription is charged (R11).")
    quantity: int = Field(gt=0, description="Number of seats purchased.")
    unit_price: Money = Field(description="Price of one seat for one term.")
    ordered_at: datetime = Field(description="When the order was placed.")
    activation_deadline: datetime = Field(description="Acceptance after this lapses the order (R8).")
    agreement_url: str = Field(description="Page where the administrator reads and accepts; no secret.")
    term_ends_on: datetime | None = Field(None, description="Fixed term only: the end date chosen at purchase (R11).")
    po_number: str | None = Field(None, description="Purchase-order number given with the order (R18, R31).")
    project_id: str | None = Field(None, description="Reseller project the order belongs to (R19).")
    converts_trial: bool = Field(False, description="True when this order buys the tier of a running trial (R10).")
    billing: BillingDetails | None = Field(
        None, description="Billing details and address given with the order (R45); absent on older events."
    )
    terms_of_sale_accepted_at: datetime | None = Field(
        None, description="When the purchaser accepted the terms of sale (R45); absent on older events."
    )
    terms_of_sale_version: str | None = Field(None, description="The version of the terms of sale accepted (R45).")


class SubscriptionActivated(Event):
    """The administrator accepted the agreement; the first term starts now (R7)."""

    type: ClassVar[str] = "subscription.activated"
    subscription_id: str = Field(description="The activated subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    administrator: Contact = Field(description="The administrator (R6); seats and e-mails need them.")
    licence_type: LicenceType = Field(description="How seats are used.")
    billing_cycle: BillingCycle = Field(description="How the subscription is charged.")
    quantity: int = Field(gt=0, description="Seats to unlock (R21).")
    unit_price: Money = Field(description="Price of one seat for one term.")
    activated_at: datetime = Field(description="When the agreement was accepted.")
    term_start: datetime = Field(description="Start of the current term.")
    term_end: datetime = Field(description="End of the current term (exclusive).")
    product: str = Field("", description="Product code from the catalogue.")
    tier: str = Field("", description="Tier code in force.")
    po_number: str | None = Field(None, description="Purchase-order number in force (R31).")
    payment_method: str | None = Field(None, description="Label of the payment method, never its secret (R18).")
    agreement_version: str | None = Field(
        None, description="Version of the agreement accepted (R36); absent on older events and older orders."
    )
    software: Software | None = Field(
        None, description="How the product is used at the tier in force (issue 14); absent on older events."
    )


class ActivationExpired(Event):
    """The agreement was not accepted within the activation window; the order lapsed (R8)."""

    type: ClassVar[str] = "subscription.activation_expired"
    subscription_id: str = Field(description="The lapsed subscription.")
    account_id: str = Field(description="Customer account that owned it.")
    ordered_at: datetime = Field(description="When it was ordered.")
    expired_at: datetime = Field(description="When the window closed.")


class CancellationScheduled(Event):
    """The administrator cancelled; access continues until `effective_at`, the term end (R14)."""

    type: ClassVar[str] = "subscription.cancellation_scheduled"
    subscription_id: str = Field(description="The cancelled subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    administrator: Contact = Field(description="Who receives the cancellation confirmation.")
    reason: str = Field(description="Why the customer cancelled, in their words.")
    requested_at: datetime = Field(description="When the cancellation was requested.")
    effective_at: datetime = Field(description="When access ends: the end of the current term.")


class SubscriptionEnded(Event):
    """The subscription's last term is over; every seat must be revoked (R28)."""

    type: ClassVar[str] = "subscription.ended"
    subscription_id: str = Field(description="The ended subscription.")
    account_id: str = Field(description="Customer account that owned it.")
    ended_at: datetime = Field(description="When it ended.")
    reason: str = Field(
        description="`cancelled` (R14), `lapsed` (grace over, R15), `terminated` "
        "(operator, at once) or `trial_ended` (R10)."
    )


class AddonInTerm(BaseModel):
    """An add-on carried into a new term, at its price for that term."""

    addon: str = Field(description="Add-on code from the catalogue.")
    unit_price: Money = Field(description="Price of the add-on for the whole new term.")


class SubscriptionRenewed(Event):
    """A new term started: automatically (monthly, annual) or by renewing/extending (R11, R15, R16)."""

    type: ClassVar[str] = "subscription.renewed"
    subscription_id: str = Field(description="The renewed subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    administrator: Contact = Field(description="The administrator.")
    product: str = Field(description="Product code.")
    tier: str = Field(description="Tier in force for the new term.")
    billing_cycle: BillingCycle = Field(description="Cycle of the new term (a scheduled change applies here, R16).")
    unit_price: Money = Field(description="Price of one seat for the new term.")
    term_start: datetime = Field(description="Start of the new term.")
    term_end: datetime = Field(description="End of the new term (exclusive).")
    renewed_at: datetime = Field(description="When the renewal happened.")
    how: str = Field(
        description="`automatic`, or `renewed_in_grace` when the administrator renewed or extended a lapsed term (R15)."
    )
    po_number: str | None = Field(None, description="Purchase-order number in force (R31).")
    payment_method: str | None = Field(None, description="Payment method used from this term (R18).")
    addons: list[AddonInTerm] = Field(
        default_factory=list, description="Add-ons renewed with it, charged for the new term (R20)."
    )


class GraceStarted(Event):
    """The term ended without renewal; the administrator has 10 days to renew or extend (R15)."""

    type: ClassVar[str] = "subscription.grace_started"
    subscription_id: str = Field(description="The lapsed subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    administrator: Contact = Field(description="Who may renew it.")
    term_end: datetime = Field(description="When the last term ended.")
    grace_ends_at: datetime = Field(description="After this the subscription ends and seats are revoked.")
    cancelled: bool = Field(
        False,
        description="The term ended because it was cancelled (R14): its seats are revoked at once "
        "(R28), and come back unassigned if it is renewed within the grace (R48). False: an unrenewed "
        "term keeps its seats through the grace.",
    )


class CancellationWithdrawn(Event):
    """The administrator withdrew a scheduled cancellation before the term end; it renews as usual."""

    type: ClassVar[str] = "subscription.cancellation_withdrawn"
    subscription_id: str = Field(description="The subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    withdrawn_at: datetime = Field(description="When the cancellation was withdrawn.")


class AmendmentProposed(Event):
    """A tier change was requested; the amended agreement waits for the administrator (R12, R13)."""

    type: ClassVar[str] = "subscription.amendment_proposed"
    amendment_id: str = Field(description="Id of the amendment to accept.")
    subscription_id: str = Field(description="The subscription to amend.")
    account_id: str = Field(description="Customer account that owns it.")
    administrator: Contact = Field(description="Who must accept the amendment.")
    from_tier: str = Field(description="Tier in force now.")
    to_tier: str = Field(description="Tier after acceptance.")
    new_unit_price: Money = Field(description="Price of one seat per term in the new tier.")
    quoted_credit: Money = Field(description="Unused balance of the old tier, if accepted when proposed (≤ 0).")
    quoted_charge: Money = Field(description="Rest of the term in the new tier, if accepted when proposed (≥ 0).")
    proposed_at: datetime = Field(description="When it was proposed.")
    accept_url: str = Field(description="Page where the administrator reads and accepts it; no secret.")


class TierChanged(Event):
    """An amendment was accepted: the new tier applies now and the unused balance is credited (R12)."""

    type: ClassVar[str] = "subscription.tier_changed"
    amendment_id: str = Field(description="The accepted amendment.")
    subscription_id: str = Field(description="The subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    billing_cycle: BillingCycle = Field(description="Cycle of the current term.")
    from_tier: str = Field(description="Previous tier.")
    to_tier: str = Field(description="Tier from `effective_at`.")
    previous_unit_price: Money = Field(description="Old price of one seat per term.")
    new_unit_price: Money = Field(description="New price of one seat per term.")
    quantity: int = Field(description="Seats in force, to which both prices apply.")
    effective_at: datetime = Field(description="When the new tier took effect (acceptance).")
    term_start: datetime = Field(description="Start of the current term.")
    term_end: datetime = Field(description="End of the current term; proration runs to here.")
    agreement_version: str | None = Field(
        None, description="Version of the amendment's agreement accepted (R36); absent on older events."
    )
    software: Software | None = Field(
        None, description="How the product is used at the tier in force (issue 14); absent on older events."
    )


class BillingCycleChangeScheduled(Event):
    """A cycle change was accepted; it applies at the next renewal (R16)."""

    type: ClassVar[str] = "subscription.billing_cycle_change_scheduled"
    subscription_id: str = Field(description="The subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    from_cycle: BillingCycle = Field(description="Cycle now.")
    to_cycle: BillingCycle = Field(description="Cycle from `effective_at`.")
    requested_at: datetime = Field(description="When it was requested.")
    effective_at: datetime = Field(description="The next renewal: the end of the current term.")


class AdministratorTransferred(Event):
    """Administrator rights moved; the previous administrator lost every right at once (R17)."""

    type: ClassVar[str] = "subscription.administrator_transferred"
    subscription_id: str = Field(description="The subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    previous_administrator: Contact = Field(description="Who lost the rights.")
    new_administrator: Contact = Field(description="Who has them now; receives a confirmation e-mail.")
    transferred_at: datetime = Field(description="When it happened.")


class PurchaseDetailsChanged(Event):
    """The PO number or the payment method changed (R18): PO on the next invoice, payment from the next renewal."""

    type: ClassVar[str] = "subscription.purchase_details_changed"
    subscription_id: str = Field(description="The subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    po_number: str | None = Field(description="Purchase-order number in force from now (R31).")
    payment_method: str | None = Field(description="Payment method label used from the next renewal.")
    changed_at: datetime = Field(description="When it was changed.")


class OrderAwaitingApproval(Event):
    """A reseller order waits for approval; no other order on its project until decided (R19)."""

    type: ClassVar[str] = "subscription.order_awaiting_approval"
    subscription_id: str = Field(description="The order (a subscription not yet purchased).")
    account_id: str = Field(description="Customer account ordered for.")
    project_id: str = Field(description="Reseller project the order belongs to.")
    reseller: Contact = Field(description="Who placed the order; told who approves it.")
    approver_email: str = Field(description="Where the approval request goes.")
    product: str = Field(description="Product code.")
    tier: str = Field(description="Tier code.")
    quantity: int = Field(description="Seats ordered.")
    ordered_at: datetime = Field(description="When the order was placed.")


class OrderDecided(Event):
    """The approver approved (the order proceeds to purchase) or rejected a reseller order (R19)."""

    type: ClassVar[str] = "subscription.order_decided"
    subscription_id: str = Field(description="The order.")
    account_id: str = Field(description="Customer account ordered for.")
    project_id: str = Field(description="Reseller project; open for a new order from now.")
    approved: bool = Field(description="True when approved.")
    decided_at: datetime = Field(description="When it was decided.")


class AddonAdded(Event):
    """An add-on module was added to a paid subscription (R20); billed prorated for the rest of the term."""

    type: ClassVar[str] = "subscription.addon_added"
    subscription_id: str = Field(description="The base subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    addon: str = Field(description="Add-on code from the catalogue.")
    unit_price: Money = Field(description="Price of the add-on for one whole term.")
    effective_at: datetime = Field(description="When it was added.")
    term_start: datetime = Field(description="Start of the current term.")
    term_end: datetime = Field(description="End of the current term.")


class TrialStarted(Event):
    """A free trial of a premium tier started; it is usable at once (R10)."""

    type: ClassVar[str] = "subscription.trial_started"
    subscription_id: str = Field(description="The trial.")
    account_id: str = Field(description="Customer account.")
    administrator: Contact = Field(description="Who started it.")
    product: str = Field(description="Product code.")
    tier: str = Field(description="The tier on trial, e.g. `premium`.")
    licence_type: LicenceType = Field(description="How the trial seat is used.")
    started_at: datetime = Field(description="When it started.")
    ends_at: datetime = Field(description="When it ends (30 days later).")
    software: Software | None = Field(
        None, description="How the product is used at the tier in force (issue 14); absent on older events."
    )


class TrialEnded(Event):
    """A trial ended: converted into a purchase of its tier, or fallen back to the free tier (R10)."""

    type: ClassVar[str] = "subscription.trial_ended"
    subscription_id: str = Field(description="The trial.")
    account_id: str = Field(description="Customer account.")
    administrator: Contact = Field(description="The administrator.")
    outcome: str = Field(description="`converted` or `fallback`.")
    fallback_tier: str | None = Field(None, description="The free tier users fall back to, on `fallback`.")
    ended_at: datetime = Field(description="When the trial ended.")


class PurchaseSubscription(Command):
    """Command on `subscriptions.commands.v1`: place an order for an account (e.g. from a shop).

    The envelope id is the idempotency key: the same command delivered twice orders once.
    """

    type: ClassVar[str] = "subscription.purchase"
    subscription_id: str = Field(description="Id the caller chose for the new subscription.")
    account_id: str = Field(description="Customer account placing the order.")
    administrator: Contact = Field(description="The purchaser, who becomes the administrator.")
    product: str = Field(description="Product code from the catalogue.")
    tier: str = Field(description="Tier code.")
    licence_type: LicenceType = Field(description="How seats are used.")
    billing_cycle: BillingCycle = Field(description="How the subscription is charged.")
    quantity: int = Field(gt=0, description="Number of seats.")
