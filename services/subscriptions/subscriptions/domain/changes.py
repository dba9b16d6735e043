"""Changes an administrator makes to a running subscription: billing cycle (R16),
administrator (R17), purchase-order number and payment method (R18), add-ons (R20)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from contracts.errors import Refusal, RuleViolation
from contracts.subscriptions import (
    AddonAdded,
    AdministratorTransferred,
    BillingCycleChangeScheduled,
    PurchaseDetailsChanged,
)
from contracts.values import BillingCycle, Contact
from subscriptions.domain.offer import ProductOffer
from subscriptions.domain.subscription import OVER, Actor, Status, Subscription, check_payment_method
from subscriptions.domain.terms import last_month_opens

MANAGEABLE = tuple(s for s in Status if s not in OVER)


def schedule_cycle_change(
    s: Subscription,
    by: Actor,
    to: BillingCycle,
    at: datetime,
) -> BillingCycleChangeScheduled:
    """R16: effective at the next renewal; monthly -> annual any time, annual -> monthly only
    in the last month of the annual term; fixed terms do not renew, so they cannot change."""
    s.ensure_administered_by(by)
    s.ensure_status(Status.ACTIVE, rule="R16", doing="changing the billing cycle")
    _ensure_cycle_change_allowed(s, to, at)
    from_cycle, s.scheduled_cycle = s.next_cycle, None if to is s.billing_cycle else to
    return BillingCycleChangeScheduled(
        subscription_id=s.id,
        account_id=s.account_id,
        from_cycle=from_cycle,
        to_cycle=to,
        requested_at=at,
        effective_at=s.term_end,
    )


def _ensure_cycle_change_allowed(s: Subscription, to: BillingCycle, at: datetime) -> None:
    if BillingCycle.TERM in (s.billing_cycle, to):
        raise RuleViolation(
            "fixed_term_cycle_change",
            "A fixed term does not renew by itself, so its cycle cannot change; renew it within the grace instead.",
            rule="R16",
        )
    if to is s.next_cycle:
        raise RuleViolation(
            "same_cycle", f"The next term is already billed {to.value}.", rule="R16", refusal=Refusal.INVALID
        )
    if s.cancels_at is not None:
        raise RuleViolation(
            "cancellation_scheduled",
            "The subscription ends at the term end; withdraw the cancellation first.",
            rule="R16",
        )
    assert s.term_end is not None
    opens = last_month_opens(s.term_end)
    if s.billing_cycle is BillingCycle.ANNUAL and to is BillingCycle.MONTHLY and at < opens:
        raise RuleViolation(
            "outside_cycle_change_window",
            f"Annual to monthly is possible only in the last month of the annual term, from {opens:%Y-%m-%d}.",
            rule="R16",
        )


def transfer_administrator(
    s: Subscription,
    by: Actor,
    to: Contact,
    at: datetime,
) -> AdministratorTransferred:
    """R17: the new administrator gets full control; the old one loses every right at once
    (they become a stranger to R6)."""
    s.ensure_administered_by(by)
    s.ensure_status(*MANAGEABLE, rule="R17", doing="transferring the administrator rights")
    if to.person_id == s.administrator.person_id:
        raise RuleViolation(
            "same_administrator", "That person is already the administrator.", rule="R17", refusal=Refusal.INVALID
        )
    previous, s.administrator = s.administrator, to
    return AdministratorTransferred(
        subscription_id=s.id,
        account_id=s.account_id,
        previous_administrator=previous,
        new_administrator=to,
        transferred_at=at,
    )


def change_purchase_details(
    s: Subscription, by: Actor, po_number: str | None, payment_method: str | None, at: datetime
) -> PurchaseDetailsChanged:
    """R18: the PO number is in force at once (next invoice); the payment method waits for
    the next renewal. A card number is refused."""
    s.ensure_administered_by(by)
    s.ensure_status(*MANAGEABLE, rule="R18", doing="changing the purchase details")
    check_payment_method(payment_method)
    s.po_number, s.next_payment_method = po_number, payment_method
    return PurchaseDetailsChanged(
        subscription_id=s.id, account_id=s.account_id, po_number=po_number, payment_method=payment_method, changed_at=at
    )


# R20, issue 15: billing's invoice payment states that settle an invoice. Every other state
# (open, partially paid, overdue, and uncollectible: a write-off is not a payment) leaves it
# owed, and so does a state billing may add later until this says otherwise.
SETTLED_INVOICE_STATES = frozenset({"paid", "void"})


def invoice_settled(state: str) -> bool:
    return state in SETTLED_INVOICE_STATES


def add_addon(
    s: Subscription,
    by: Actor,
    code: str,
    offer: ProductOffer,
    at: datetime,
    *,
    unsettled_invoices: Sequence[str],
) -> AddonAdded:
    """R20: only on a paid base licence: active (not a trial, not awaiting payment or in grace)
    and, issue 15, none of the subscription's invoices left to pay (`unsettled_invoices`: their
    numbers, as billing last reported them); once each, priced for one whole term of the
    current cycle."""
    s.ensure_administered_by(by)
    s.ensure_status(Status.ACTIVE, rule="R20", doing="adding an add-on")
    assert s.term_start is not None and s.term_end is not None
    price = offer.addon_price(code, s.billing_cycle, s.term_start, s.term_end)
    if code in s.addons:
        raise RuleViolation("addon_already_added", f"{code} is already part of the subscription.", rule="R20")
    if unsettled_invoices:
        raise RuleViolation(
            "base_not_paid",
            f"An add-on can be ordered once the subscription is paid: {_listed(unsettled_invoices)} "
            f"still {'has' if len(unsettled_invoices) == 1 else 'have'} to be paid.",
            rule="R20",
            refusal=Refusal.CONFLICT,
        )
    s.addons = [*s.addons, code]
    return AddonAdded(
        subscription_id=s.id,
        account_id=s.account_id,
        addon=code,
        unit_price=price,
        effective_at=at,
        term_start=s.term_start,
        term_end=s.term_end,
    )


def _listed(numbers: Sequence[str]) -> str:
    named = [f"invoice {n}" for n in numbers] if len(numbers) == 1 else list(numbers)
    if len(named) == 1:
        return named[0]
    return f"invoices {', '.join(named[:-1])} and {named[-1]}"
