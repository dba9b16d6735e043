"""Orders that do not go straight to the agreement: reseller orders awaiting approval (R19)
and free trials that convert into a purchase or fall back (R10)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from contracts.envelope import Event
from contracts.errors import Refusal, RuleViolation
from contracts.subscriptions import OrderAwaitingApproval, OrderDecided, TrialEnded, TrialStarted
from contracts.values import BillingCycle, Contact, LicenceType, Money
from subscriptions.domain.offer import ProductOffer
from subscriptions.domain.subscription import (
    Actor,
    Order,
    Status,
    Subscription,
    new_subscription,
    purchase,
)
from subscriptions.domain.terms import check_fixed_term


def place_order(
    order: Order, offer: ProductOffer, at: datetime, agreement_url: str, project_busy: bool
) -> tuple[Subscription, Event]:
    """R7 or R19: straight to the agreement, or to the approver when the product needs it.
    While one order of a project awaits approval, the project takes no other order."""
    if project_busy:
        raise RuleViolation(
            "project_order_awaiting_approval",
            f"An order of project {order.project_id} awaits approval; wait for the "
            "decision before placing another order on it.",
            rule="R19",
        )
    if not offer.requires_approval:
        return purchase(order, offer, at, agreement_url)
    return _await_approval(order, offer, at)


def _await_approval(order: Order, offer: ProductOffer, at: datetime) -> tuple[Subscription, Event]:
    if not order.project_id:
        raise RuleViolation(
            "project_required",
            f"{order.product} is sold through reseller projects: give the project_id of the order.",
            rule="R19",
            refusal=Refusal.INVALID,
        )
    s = new_subscription(order, offer, at, Status.AWAITING_APPROVAL)
    return s, OrderAwaitingApproval(
        subscription_id=s.id,
        account_id=s.account_id,
        project_id=order.project_id,
        reseller=order.administrator,
        approver_email=offer.approver_email or "",
        product=s.product,
        tier=s.tier,
        quantity=s.quantity,
        ordered_at=at,
    )


def decide_order(s: Subscription, approved: bool, offer: ProductOffer, at: datetime, agreement_url: str) -> list[Event]:
    """R19: approved, the order is placed now (agreement, 90 days to accept); rejected, it
    is over. Either way the project is open again."""
    s.ensure_status(Status.AWAITING_APPROVAL, rule="R19", doing="deciding an order")
    decided = OrderDecided(
        subscription_id=s.id, account_id=s.account_id, project_id=s.project_id or "", approved=approved, decided_at=at
    )
    if not approved:
        s.status = Status.REJECTED
        return [decided]
    if s.fixed_term_end is not None:  # a fixed term is priced from the order, now (R11)
        check_fixed_term(at, s.fixed_term_end)
        s.unit_price = offer.unit_price(s.tier, s.billing_cycle, at, s.fixed_term_end)
    s.status, s.ordered_at = Status.PENDING_ACTIVATION, at
    return [decided, s.purchased(agreement_url)]


def start_trial(
    subscription_id: str,
    account_id: str,
    administrator: Contact,
    offer: ProductOffer,
    licence_type: LicenceType,
    at: datetime,
    had_trial: bool,
) -> tuple[Subscription, TrialStarted]:
    """R10: one free trial of the premium tier per account and product, usable at once."""
    if had_trial:
        raise RuleViolation(
            "trial_already_used",
            f"This account already had a trial of {offer.code}; buy a subscription instead.",
            rule="R10",
        )
    terms = offer.trial_offer()
    offer.check_licence_type(licence_type)
    s = Subscription(
        id=subscription_id,
        account_id=account_id,
        administrator=administrator,
        product=offer.code,
        tier=terms.tier,
        licence_type=licence_type,
        billing_cycle=BillingCycle.MONTHLY,
        quantity=1,
        unit_price=Money(amount_minor=0, currency=offer.currency),
        ordered_at=at,
        status=Status.TRIALING,
        trial_ends_at=at + timedelta(days=terms.days),
        started_as_trial=True,
    )
    return s, TrialStarted(
        subscription_id=s.id,
        account_id=account_id,
        administrator=administrator,
        product=s.product,
        tier=s.tier,
        licence_type=licence_type,
        started_at=at,
        ends_at=s.trial_ends_at,
        software=offer.software_for(s.tier),
    )


def convert_trial(
    s: Subscription, by: Actor, order: Order, offer: ProductOffer, at: datetime, agreement_url: str
) -> list[Event]:
    """R10: buying the trial's tier ends the trial; the paid term starts at once, since the
    administrator accepts the agreement by converting."""
    s.ensure_administered_by(by)
    s.ensure_status(Status.TRIALING, rule="R10", doing="converting a trial")
    order = replace(
        order,
        subscription_id=s.id,
        account_id=s.account_id,
        product=s.product,
        tier=s.tier,
        licence_type=s.licence_type,
        administrator=s.administrator,
    )
    paid = new_subscription(order, offer, at, Status.PENDING_ACTIVATION)
    s.billing_cycle, s.quantity, s.unit_price = paid.billing_cycle, paid.quantity, paid.unit_price
    s.ordered_at, s.fixed_term_end, s.po_number = at, paid.fixed_term_end, paid.po_number
    s.payment_method, s.status = paid.payment_method, Status.PENDING_ACTIVATION
    purchased = s.purchased(agreement_url, converts_trial=True)
    return [purchased, s.start_first_term(at, offer), _trial_ended(s, at, "converted", None)]


def end_trial(s: Subscription, at: datetime, fallback_tier: str) -> list[Event]:
    """R10: a trial not converted by its end falls back to the free tier; the trial ends."""
    if s.status is not Status.TRIALING or s.trial_ends_at is None or at < s.trial_ends_at:
        return []
    return [_trial_ended(s, at, "fallback", fallback_tier), s.close(at, "trial_ended")]


def _trial_ended(s: Subscription, at: datetime, outcome: str, fallback_tier: str | None) -> TrialEnded:
    return TrialEnded(
        subscription_id=s.id,
        account_id=s.account_id,
        administrator=s.administrator,
        outcome=outcome,
        fallback_tier=fallback_tier,
        ended_at=at,
    )
