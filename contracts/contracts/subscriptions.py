"""Events and commands of the subscriptions service (keyed by subscription id)."""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.envelope import Command, Event
from contracts.values import BillingCycle, Contact, LicenceType, Money


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
    reason: str = Field(description="`cancelled` for now; later also `lapsed`, `terminated`.")


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
