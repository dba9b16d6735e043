"""The subscription: its states, who may manage it (R6), the order (R7, R11) and activation
within 90 days (R7, R8).

Pure: no broker, database, SMTP or clock. Times come in as arguments; methods return the
events they cause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Protocol

from contracts.errors import Refusal, RuleViolation, not_found
from contracts.subscriptions import (
    ActivationExpired,
    BillingDetails,
    SubscriptionActivated,
    SubscriptionEnded,
    SubscriptionPurchased,
)
from contracts.values import BillingCycle, Contact, LicenceType, Money
from subscriptions.domain.offer import ProductOffer
from subscriptions.domain.sale import checked_billing
from subscriptions.domain.terms import check_fixed_term, fixed_term_end, term_end_after

ACTIVATION_WINDOW = timedelta(days=90)  # R8
# A payment method is a label ("Visa ending 4242", "SEPA mandate 12"); 12 or more digits in a
# row (spaces and dashes allowed) look like a card number, which must never be stored.
CARD_NUMBER = re.compile(r"(?:\d[ -]?){12,}")


class Status(str, Enum):
    AWAITING_APPROVAL = "awaiting_approval"
    PENDING_ACTIVATION = "pending_activation"
    TRIALING = "trialing"
    ACTIVE = "active"
    GRACE = "grace"
    ENDED = "ended"
    ACTIVATION_EXPIRED = "activation_expired"
    REJECTED = "rejected"


OVER = (Status.ENDED, Status.ACTIVATION_EXPIRED, Status.REJECTED)


class Actor(Protocol):
    """Who acts: a person acting for a customer account (servicekit's Caller is one). Read-only
    properties, so that a frozen dataclass such as the Caller satisfies it."""

    @property
    def person_id(self) -> str: ...

    @property
    def account_id(self) -> str: ...


@dataclass(frozen=True)
class Person:
    person_id: str
    account_id: str


@dataclass(frozen=True)
class Order:
    """What a customer asks to buy (HTTP or the purchase command)."""

    subscription_id: str
    account_id: str
    administrator: Contact
    product: str
    tier: str
    licence_type: LicenceType
    billing_cycle: BillingCycle
    quantity: int
    term_ends_on: date | None = None
    po_number: str | None = None
    payment_method: str | None = None
    project_id: str | None = None
    billing: BillingDetails | None = None  # R45
    terms_of_sale_version: str | None = None  # R45: the terms the purchaser accepted, if asked

    def priced_term(self, at: datetime) -> tuple[datetime | None, datetime | None]:
        """R11: the fixed term a price is computed over (order to end date), or (None, None)."""
        if self.billing_cycle is not BillingCycle.TERM:
            if self.term_ends_on is not None:
                raise RuleViolation(
                    "term_end_for_fixed_term_only",
                    "Only a fixed term (billing_cycle 'term') takes term_ends_on.",
                    rule="R11",
                    refusal=Refusal.INVALID,
                )
            return None, None
        if self.term_ends_on is None:
            raise RuleViolation(
                "term_end_required",
                "A fixed term needs term_ends_on, the date it ends.",
                rule="R11",
                refusal=Refusal.INVALID,
            )
        end = fixed_term_end(self.term_ends_on)
        check_fixed_term(at, end)
        return at, end


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
    fixed_term_end: datetime | None = None  # chosen at purchase (R11); the first term ends here
    cancellation_reason: str | None = None
    cancels_at: datetime | None = None
    ended_at: datetime | None = None
    ended_reason: str | None = None
    grace_ends_at: datetime | None = None
    trial_ends_at: datetime | None = None
    started_as_trial: bool = False
    po_number: str | None = None
    payment_method: str | None = None
    next_payment_method: str | None = None
    scheduled_cycle: BillingCycle | None = None
    project_id: str | None = None
    addons: list[str] = field(default_factory=list)
    billing: BillingDetails | None = None  # R45: who is invoiced, and where
    terms_of_sale_accepted_at: datetime | None = None  # R45
    terms_of_sale_version: str | None = None

    @property
    def activation_deadline(self) -> datetime:
        """R8: 90 days after the order; a fixed term cannot start after its own end date."""
        deadline = self.ordered_at + ACTIVATION_WINDOW
        return min(deadline, self.fixed_term_end) if self.fixed_term_end else deadline

    @property
    def next_cycle(self) -> BillingCycle:
        """The cycle of the next term: a scheduled change applies at the renewal (R16)."""
        return self.scheduled_cycle or self.billing_cycle

    def ensure_administered_by(self, actor: Actor) -> None:
        """R6: only the administrator, acting for the owning account, may see or manage it;
        others learn nothing, not even that it exists."""
        if actor.person_id != self.administrator.person_id or actor.account_id != self.account_id:
            raise not_found("subscription", self.id)

    def ensure_status(self, *allowed: Status, rule: str, doing: str) -> None:
        if self.status not in allowed:
            raise RuleViolation(
                f"not_{allowed[0].value}",
                f"The subscription is {self.status.value}; {doing} needs it {' or '.join(s.value for s in allowed)}.",
                rule=rule,
            )

    def activate(self, by: Actor, at: datetime, offer: ProductOffer) -> SubscriptionActivated:
        self.ensure_administered_by(by)
        # R8 before R7: once the expiry job has run the order is `activation_expired`, and
        # the refusal must say that the window passed, not merely that the state is wrong.
        if self.status is Status.ACTIVATION_EXPIRED or (
            self.status is Status.PENDING_ACTIVATION and at > self.activation_deadline
        ):
            raise RuleViolation(
                "activation_window_closed",
                f"The agreement had to be accepted by {self.activation_deadline:%Y-%m-%d}: "
                "the activation window (90 days from the order, R8) has passed and the "
                "order lapsed. Place a new order.",
                rule="R8",
            )
        self.ensure_status(Status.PENDING_ACTIVATION, rule="R7", doing="accepting the agreement")
        return self.start_first_term(at, offer)

    def start_first_term(self, at: datetime, offer: ProductOffer) -> SubscriptionActivated:
        """The paid term starts; the event says how the tier bought is used (issue 14)."""
        self.status, self.activated_at, self.term_start = Status.ACTIVE, at, at
        self.term_end = self.fixed_term_end or term_end_after(at, self.billing_cycle)
        return SubscriptionActivated(
            subscription_id=self.id,
            account_id=self.account_id,
            administrator=self.administrator,
            licence_type=self.licence_type,
            billing_cycle=self.billing_cycle,
            quantity=self.quantity,
            unit_price=self.unit_price,
            activated_at=at,
            term_start=self.term_start,
            term_end=self.term_end,
            product=self.product,
            tier=self.tier,
            po_number=self.po_number,
            payment_method=self.payment_method,
            software=offer.software_for(self.tier),
        )

    def expire_activation(self, at: datetime) -> ActivationExpired | None:
        """Fired at the deadline: a subscription activated in time is left alone."""
        if self.status is not Status.PENDING_ACTIVATION or at < self.activation_deadline:
            return None
        self.status = Status.ACTIVATION_EXPIRED
        return ActivationExpired(
            subscription_id=self.id, account_id=self.account_id, ordered_at=self.ordered_at, expired_at=at
        )

    def close(self, at: datetime, reason: str) -> SubscriptionEnded:
        """Over for good: seats are revoked on the event (R28)."""
        self.status, self.ended_at, self.ended_reason = Status.ENDED, at, reason
        return SubscriptionEnded(subscription_id=self.id, account_id=self.account_id, ended_at=at, reason=reason)

    def purchased(self, agreement_url: str, converts_trial: bool = False) -> SubscriptionPurchased:
        return SubscriptionPurchased(
            subscription_id=self.id,
            account_id=self.account_id,
            administrator=self.administrator,
            product=self.product,
            tier=self.tier,
            licence_type=self.licence_type,
            billing_cycle=self.billing_cycle,
            quantity=self.quantity,
            unit_price=self.unit_price,
            ordered_at=self.ordered_at,
            activation_deadline=self.activation_deadline,
            agreement_url=agreement_url,
            term_ends_on=self.fixed_term_end,
            po_number=self.po_number,
            project_id=self.project_id,
            converts_trial=converts_trial,
            billing=self.billing,
            terms_of_sale_accepted_at=self.terms_of_sale_accepted_at,
            terms_of_sale_version=self.terms_of_sale_version,
        )


def check_payment_method(label: str | None) -> None:
    """R18: a payment method is a label; a card number is refused, never stored."""
    if label is not None and CARD_NUMBER.search(label):
        raise RuleViolation(
            "card_number_refused",
            "The payment method looks like a card number; give a label such as 'Visa ending 4242', never the number.",
            rule="R18",
            refusal=Refusal.INVALID,
        )


def new_subscription(order: Order, offer: ProductOffer, at: datetime, status: Status) -> Subscription:
    """A subscription for the order, validated (R9, R11, R18, R45) and priced, in its first state."""
    if order.quantity < 1:
        raise RuleViolation("quantity_too_small", "Buy at least one seat.", rule="R7", refusal=Refusal.INVALID)
    offer.check_licence_type(order.licence_type)
    term_start, fixed_end = order.priced_term(at)
    unit_price = offer.unit_price(order.tier, order.billing_cycle, term_start, fixed_end)
    check_payment_method(order.payment_method)
    billing = checked_billing(order.billing) if order.billing else None
    return Subscription(
        id=order.subscription_id,
        account_id=order.account_id,
        administrator=order.administrator,
        product=order.product,
        tier=order.tier,
        licence_type=order.licence_type,
        billing_cycle=order.billing_cycle,
        quantity=order.quantity,
        unit_price=unit_price,
        ordered_at=at,
        status=status,
        fixed_term_end=fixed_end,
        po_number=order.po_number,
        payment_method=order.payment_method,
        project_id=order.project_id,
        billing=billing,
        terms_of_sale_accepted_at=at if order.terms_of_sale_version else None,
        terms_of_sale_version=order.terms_of_sale_version,
    )


def purchase(
    order: Order,
    offer: ProductOffer,
    at: datetime,
    agreement_url: str,
) -> tuple[Subscription, SubscriptionPurchased]:
    """R7: a purchase creates a subscription pending activation and asks for the agreement."""
    subscription = new_subscription(order, offer, at, Status.PENDING_ACTIVATION)
    return subscription, subscription.purchased(agreement_url)
