"""Billing's own view of a subscription, and the charges each event causes (R29, R30).

The view is kept from the events alone. Events of two topics arrive in no fixed order
(seats may be seen before the activation in a replay of one topic), so each fact carries
the time it took effect and an older fact never overwrites a newer one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing.domain.lines import (
    Charge,
    InvoiceLine,
    LineKind,
    format_money,
    prorated_line,
    seat_change_label,
    term_line,
)
from contracts.envelope import Event
from contracts.seats import SeatDecreaseScheduled, SeatQuantityChanged
from contracts.subscriptions import (
    AddonAdded,
    AdministratorTransferred,
    PurchaseDetailsChanged,
    SubscriptionActivated,
    SubscriptionPurchased,
    SubscriptionRenewed,
    TierChanged,
    TrialStarted,
)
from contracts.values import BillingCycle, Contact, Money

INVOICED_AT_ONCE = (BillingCycle.ANNUAL, BillingCycle.TERM)

# How far billing has seen a subscription go (`SubscriptionView.stage`): bought and waiting
# for its agreement, a running trial, or active (activated or renewed). None: not seen yet.
PURCHASED, TRIALING, ACTIVE = "purchased", "trialing", "active"


@dataclass
class SubscriptionView:
    subscription_id: str
    account_id: str
    administrator: Contact | None = None
    product: str = ""
    tier: str = ""
    billing_cycle: BillingCycle | None = None
    unit_price: Money | None = None
    quantity: int | None = None
    quantity_at: datetime | None = None  # when the quantity in force took effect
    term_start: datetime | None = None
    term_end: datetime | None = None
    po_number: str | None = None
    payment_method: str | None = None
    scheduled_quantity: int | None = None  # a decrease waiting for the term end (R25)
    scheduled_at: datetime | None = None
    decrease_requested_at: datetime | None = None
    renewal_quantity: int | None = None  # the quantity the current term's renewal charged
    stage: str | None = None  # PURCHASED, TRIALING or ACTIVE; None: never seen bought

    @property
    def started(self) -> bool:
        """Seats can change only once the subscription runs: a trial, or activated."""
        return self.stage in (TRIALING, ACTIVE)

    @property
    def invoiced_at_once(self) -> bool:
        """R30: annual and fixed terms are invoiced at once; monthly lines wait for the 1st."""
        return self.billing_cycle in INVOICED_AT_ONCE

    # -- facts without a charge ------------------------------------------------------------
    def record_purchase(self, event: SubscriptionPurchased) -> None:
        """The order: who, what and the PO number, in case later events do not say."""
        self.administrator = self.administrator or event.administrator
        self.product, self.tier = self.product or event.product, self.tier or event.tier
        self.billing_cycle = self.billing_cycle or event.billing_cycle
        self.unit_price = self.unit_price or event.unit_price
        self.po_number = self.po_number or event.po_number
        if self.quantity is None:
            self.quantity = event.quantity
        self.stage = PURCHASED

    def start_trial(self, event: TrialStarted) -> None:
        """R10: a trial is free; billing only learns who administers it."""
        self.administrator = self.administrator or event.administrator
        self.product, self.tier = self.product or event.product, self.tier or event.tier
        self.stage = TRIALING

    def transfer_administrator(self, event: AdministratorTransferred) -> None:
        self.administrator = event.new_administrator

    def change_purchase_details(self, event: PurchaseDetailsChanged) -> None:
        """R18, R31: the new PO number is on the next invoice issued; the payment method waits
        for the next renewal, which names it."""
        self.po_number = event.po_number

    def schedule_decrease(self, event: SeatDecreaseScheduled) -> None:
        """Remembered so that the renewal charges the lower quantity, whichever arrives first."""
        self.scheduled_quantity, self.scheduled_at = event.scheduled_quantity, event.effective_at
        self.decrease_requested_at = event.requested_at

    # -- charges ---------------------------------------------------------------------------
    def activate(self, event: SubscriptionActivated, caused_by: str) -> list[InvoiceLine]:
        """R11, R30: the first term is charged in full for the purchased quantity."""
        self.administrator = event.administrator
        self.billing_cycle, self.unit_price = event.billing_cycle, event.unit_price
        self.product, self.tier = event.product or self.product, event.tier or self.tier
        self.term_start, self.term_end = event.term_start, event.term_end
        self.po_number = event.po_number or self.po_number
        self.payment_method = event.payment_method or self.payment_method
        self._set_quantity(event.quantity, event.term_start)
        self.renewal_quantity, self.stage = None, ACTIVE
        return [term_line(self._charge(LineKind.TERM, event.quantity, event.unit_price, self._plan_label()), caused_by)]

    def renew(self, event: SubscriptionRenewed, caused_by: str) -> list[InvoiceLine]:
        """R11, R16, R25: the new term is charged for the quantity in force at its start."""
        self.administrator, self.billing_cycle = event.administrator, event.billing_cycle
        self.product, self.tier, self.unit_price = event.product, event.tier, event.unit_price
        self.term_start, self.term_end = event.term_start, event.term_end
        self.po_number, self.payment_method = event.po_number, event.payment_method
        self.stage = ACTIVE
        self._apply_scheduled_decrease(event.term_start)
        quantity = self.renewal_quantity = self.quantity or 0
        if quantity <= 0:
            return []
        return [
            term_line(self._charge(LineKind.TERM, quantity, event.unit_price, self._plan_label()), caused_by)
        ] + self._renewed_addons(event, caused_by)

    def _renewed_addons(self, event: SubscriptionRenewed, caused_by: str) -> list[InvoiceLine]:
        """R20: add-ons renew with their subscription; one line for all, each named with its price."""
        if not event.addons:
            return []
        total = Money(
            amount_minor=sum(a.unit_price.amount_minor for a in event.addons),
            currency=event.addons[0].unit_price.currency,
        )
        label = "add-ons (" + ", ".join(f"{a.addon} {format_money(a.unit_price)}" for a in event.addons) + ")"
        return [term_line(self._charge(LineKind.ADDON_TERM, 1, total, label), caused_by)]

    def change_quantity(self, event: SeatQuantityChanged, caused_by: str) -> list[InvoiceLine]:
        """R25, R29: a change is charged (or credited) for the rest of its term. A decrease opens
        a new term, whose charge already counts the lower quantity; a change seen only after the
        renewal of its term also corrects that renewal's charge."""
        self._settle_scheduled_decrease(event)
        lines = [self._term_correction(event, caused_by)]
        self._set_quantity(event.new_quantity, event.effective_at)
        delta = event.new_quantity - event.previous_quantity
        if not (delta < 0 and event.effective_at.date() <= event.term_start.date()):
            charge = Charge(
                LineKind.SEATS,
                event.subscription_id,
                event.account_id,
                delta,
                event.unit_price,
                event.term_start,
                event.term_end,
                seat_change_label(delta),
                self.billing_cycle,
            )
            lines.insert(0, prorated_line(charge, event.effective_at, caused_by))
        return [line for line in lines if line is not None]

    def change_tier(self, event: TierChanged, caused_by: str) -> list[InvoiceLine]:
        """R12, R29: the unused balance of the old tier is credited, the new tier charged."""
        self.billing_cycle, self.tier, self.unit_price = event.billing_cycle, event.to_tier, event.new_unit_price
        credit = Charge(
            LineKind.TIER_CREDIT,
            event.subscription_id,
            event.account_id,
            -event.quantity,
            event.previous_unit_price,
            event.term_start,
            event.term_end,
            f"Unused {self._plan_label(event.from_tier)}, credited",
            event.billing_cycle,
        )
        charge = Charge(
            LineKind.TIER_CHARGE,
            event.subscription_id,
            event.account_id,
            event.quantity,
            event.new_unit_price,
            event.term_start,
            event.term_end,
            f"{self._plan_label(event.to_tier)}, rest of the term",
            event.billing_cycle,
        )
        lines = (prorated_line(c, event.effective_at, caused_by) for c in (credit, charge))
        return [line for line in lines if line is not None]

    def add_addon(self, event: AddonAdded, caused_by: str) -> list[InvoiceLine]:
        """R20, R29: an add-on costs its share of the rest of the term."""
        charge = Charge(
            LineKind.ADDON,
            event.subscription_id,
            event.account_id,
            1,
            event.unit_price,
            event.term_start,
            event.term_end,
            f"Add-on {event.addon}",
            self.billing_cycle,
        )
        line = prorated_line(charge, event.effective_at, caused_by)
        return [line] if line else []

    # -- helpers ---------------------------------------------------------------------------
    def _set_quantity(self, quantity: int, at: datetime) -> None:
        if self.quantity_at is None or at >= self.quantity_at:
            self.quantity, self.quantity_at = quantity, at

    def _settle_scheduled_decrease(self, event: SeatQuantityChanged) -> None:
        """Applied at its time, or withdrawn by a later increase (seats drops it then)."""
        if self.scheduled_at is None or self.decrease_requested_at is None:  # set and cleared together
            return
        applied = event.effective_at >= self.scheduled_at
        withdrawn = event.new_quantity > event.previous_quantity and event.effective_at >= self.decrease_requested_at
        if applied or withdrawn:
            self.scheduled_quantity = self.scheduled_at = self.decrease_requested_at = None

    def _term_correction(self, event: SeatQuantityChanged, caused_by: str) -> InvoiceLine | None:
        """A change in force at the start of the current, renewed term that the renewal did not
        know of (the seat event came later): the renewal's charge is put right for the whole term."""
        if (
            self.renewal_quantity is None
            or self.term_start is None
            or self.unit_price is None
            or event.effective_at > self.term_start
        ):
            return None
        difference = event.new_quantity - self.renewal_quantity
        self.renewal_quantity = self.quantity = event.new_quantity
        if difference == 0:
            return None
        label = f"{seat_change_label(difference)} from the start of the renewed term"
        return term_line(self._charge(LineKind.TERM_CORRECTION, difference, self.unit_price, label), caused_by)

    def _apply_scheduled_decrease(self, term_start: datetime) -> None:
        if self.scheduled_quantity is not None and self.scheduled_at is not None and self.scheduled_at <= term_start:
            self._set_quantity(self.scheduled_quantity, self.scheduled_at)
            self.scheduled_quantity = self.scheduled_at = self.decrease_requested_at = None

    def _charge(self, kind: LineKind, quantity: int, unit_price: Money, label: str) -> Charge:
        """A charge in the current term, which every charge of the view falls in."""
        if self.term_start is None or self.term_end is None:
            raise ValueError(f"subscription {self.subscription_id} has no term to charge in yet")
        return Charge(
            kind,
            self.subscription_id,
            self.account_id,
            quantity,
            unit_price,
            self.term_start,
            self.term_end,
            label,
            self.billing_cycle,
        )

    def _plan_label(self, tier: str | None = None) -> str:
        words = [w for w in (self.product, tier or self.tier) if w]
        return " ".join(words) or "Subscription"


SeatEvent = SeatQuantityChanged | SeatDecreaseScheduled
BilledEvent = (
    SubscriptionPurchased
    | TrialStarted
    | SubscriptionActivated
    | SubscriptionRenewed
    | AdministratorTransferred
    | PurchaseDetailsChanged
    | TierChanged
    | AddonAdded
    | SeatEvent
)
"""Every event billing reads: each names its subscription and account."""

Change = Callable[[SubscriptionView, Any, str], "list[InvoiceLine] | None"]

# What each event does to the view; the ones returning lines charge or credit something.
CHANGES: dict[type[Event], Change] = {
    SubscriptionPurchased: lambda view, event, _cause: view.record_purchase(event),
    TrialStarted: lambda view, event, _cause: view.start_trial(event),
    AdministratorTransferred: lambda view, event, _cause: view.transfer_administrator(event),
    PurchaseDetailsChanged: lambda view, event, _cause: view.change_purchase_details(event),
    SeatDecreaseScheduled: lambda view, event, _cause: view.schedule_decrease(event),
    SubscriptionActivated: SubscriptionView.activate,
    SubscriptionRenewed: SubscriptionView.renew,
    SeatQuantityChanged: SubscriptionView.change_quantity,
    TierChanged: SubscriptionView.change_tier,
    AddonAdded: SubscriptionView.add_addon,
}


def apply(view: SubscriptionView, event: BilledEvent, caused_by: str) -> list[InvoiceLine]:
    """What `event` does to the view, and the lines it charges or credits (`caused_by` is the
    id of the event's envelope, from which each line's id is derived)."""
    return CHANGES[type(event)](view, event, caused_by) or []
