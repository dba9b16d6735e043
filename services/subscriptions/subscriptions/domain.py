"""Subscription rules: purchase, activation within 90 days, terms, cancellation at term end.

Pure: no broker, database, SMTP or clock. Times come in as arguments; methods return the
events they cause.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from contracts.errors import Refusal, RuleViolation, not_found
from contracts.subscriptions import (
    ActivationExpired, CancellationScheduled, SubscriptionActivated, SubscriptionEnded,
    SubscriptionPurchased,
)
from contracts.values import BillingCycle, Contact, LicenceType, Money

ACTIVATION_WINDOW = timedelta(days=90)  # R8


class Status(str, Enum):
    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    ACTIVATION_EXPIRED = "activation_expired"
    ENDED = "ended"


@dataclass
class Subscription:
    id: str
    account_id: str
    administrator: Contact
    product: str
    tier: str
    licence_type: LicenceType
    billing_cycle: BillingCycle
    quantity: int
    unit_price: Money
    ordered_at: datetime
    status: Status = Status.PENDING_ACTIVATION
    activated_at: datetime | None = None
    term_start: datetime | None = None
    term_end: datetime | None = None
    cancellation_reason: str | None = None
    cancels_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def activation_deadline(self) -> datetime:
        return self.ordered_at + ACTIVATION_WINDOW

    def ensure_administered_by(self, person_id: str) -> None:
        """R6: only the administrator may see or manage it; others learn nothing, not even that it exists."""
        if person_id != self.administrator.person_id:
            raise not_found("subscription", self.id)

    def activate(self, by: str, at: datetime) -> SubscriptionActivated:
        self.ensure_administered_by(by)
        if self.status is not Status.PENDING_ACTIVATION:
            raise RuleViolation("not_pending_activation",
                                f"The subscription is {self.status.value}; only a subscription "
                                "pending activation can be activated.", rule="R7")
        if at > self.activation_deadline:
            raise RuleViolation("activation_window_closed",
                                f"The agreement had to be accepted by {self.activation_deadline:%Y-%m-%d}; "
                                "the order has lapsed. Place a new order.", rule="R8")
        self.status, self.activated_at = Status.ACTIVE, at
        self.term_start, self.term_end = at, term_end_after(at, self.billing_cycle)
        return SubscriptionActivated(
            subscription_id=self.id, account_id=self.account_id, administrator=self.administrator,
            licence_type=self.licence_type, billing_cycle=self.billing_cycle,
            quantity=self.quantity, unit_price=self.unit_price, activated_at=at,
            term_start=self.term_start, term_end=self.term_end)

    def expire_activation(self, at: datetime) -> ActivationExpired | None:
        """Fired at the deadline: a subscription activated in time is left alone."""
        if self.status is not Status.PENDING_ACTIVATION:
            return None
        self.status = Status.ACTIVATION_EXPIRED
        return ActivationExpired(subscription_id=self.id, account_id=self.account_id,
                                 ordered_at=self.ordered_at, expired_at=at)

    def schedule_cancellation(self, by: str, reason: str, at: datetime) -> CancellationScheduled:
        self.ensure_administered_by(by)
        if self.status is not Status.ACTIVE:
            raise RuleViolation("not_active", "Only an active subscription can be cancelled.", rule="R7")
        if self.cancels_at is not None:
            raise RuleViolation("already_cancelled",
                                f"A cancellation is already scheduled for {self.cancels_at:%Y-%m-%d}.",
                                rule="R14")
        if not reason.strip():
            raise RuleViolation("reason_required", "Say why you cancel.", rule="R14",
                                refusal=Refusal.INVALID)
        window_opens = cancellation_window_opens(self)
        if at < window_opens:
            raise RuleViolation("outside_cancellation_window",
                                "An annual subscription can be cancelled only in the last month of "
                                f"its term, from {window_opens:%Y-%m-%d}.", rule="R14")
        self.cancellation_reason, self.cancels_at = reason.strip(), self.term_end
        return CancellationScheduled(
            subscription_id=self.id, account_id=self.account_id, administrator=self.administrator,
            reason=self.cancellation_reason, requested_at=at, effective_at=self.term_end)

    def end_term(self, at: datetime) -> SubscriptionEnded | None:
        """Fired at the term end. A cancelled subscription ends; renewal comes in a later issue."""
        if self.status is not Status.ACTIVE or self.cancels_at is None or at < self.cancels_at:
            return None
        self.status, self.ended_at = Status.ENDED, at
        return SubscriptionEnded(subscription_id=self.id, account_id=self.account_id,
                                 ended_at=at, reason="cancelled")


def purchase(subscription_id: str, account_id: str, administrator: Contact, product: str,
             tier: str, licence_type: LicenceType, billing_cycle: BillingCycle, quantity: int,
             unit_price: Money, at: datetime, agreement_url: str,
             ) -> tuple[Subscription, SubscriptionPurchased]:
    """R7: a purchase creates a subscription pending activation and asks for the agreement."""
    if quantity < 1:
        raise RuleViolation("quantity_too_small", "Buy at least one seat.", refusal=Refusal.INVALID)
    subscription = Subscription(
        id=subscription_id, account_id=account_id, administrator=administrator, product=product,
        tier=tier, licence_type=licence_type, billing_cycle=billing_cycle, quantity=quantity,
        unit_price=unit_price, ordered_at=at)
    return subscription, SubscriptionPurchased(
        subscription_id=subscription_id, account_id=account_id, administrator=administrator,
        product=product, tier=tier, licence_type=licence_type, billing_cycle=billing_cycle,
        quantity=quantity, unit_price=unit_price, ordered_at=at,
        activation_deadline=subscription.activation_deadline, agreement_url=agreement_url)


def add_months(moment: datetime, months: int) -> datetime:
    """Same day-of-month `months` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def term_end_after(start: datetime, cycle: BillingCycle) -> datetime:
    return add_months(start, 12 if cycle is BillingCycle.ANNUAL else 1)


def cancellation_window_opens(subscription: Subscription) -> datetime:
    """R14: annual only in the last month of the term; monthly any time before it ends."""
    assert subscription.term_start is not None and subscription.term_end is not None
    if subscription.billing_cycle is BillingCycle.ANNUAL:
        return add_months(subscription.term_end, -1)
    return subscription.term_start
