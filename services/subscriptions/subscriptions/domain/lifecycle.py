"""The end of a term (R11, R14, R15, R48): cancellation and its withdrawal, automatic
renewal, the grace after a term that is not renewed and renewal within it, and the
operator's termination.

A term that ends without renewing itself is "expired": a fixed term at its end date, and a
monthly or annual subscription cancelled for its term end. Whatever the cycle, the
administrator then has 10 days to renew or extend it (R15, R48) before it ends."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from contracts.envelope import Event
from contracts.errors import Refusal, RuleViolation
from contracts.subscriptions import (
    AddonInTerm,
    CancellationScheduled,
    CancellationWithdrawn,
    GraceStarted,
    SubscriptionEnded,
    SubscriptionRenewed,
)
from contracts.values import BillingCycle
from subscriptions.domain.offer import ProductOffer
from subscriptions.domain.subscription import Actor, Status, Subscription
from subscriptions.domain.terms import (
    check_fixed_term,
    fixed_term_end,
    last_month_opens,
    term_end_after,
)

GRACE_PERIOD = timedelta(days=10)  # R15, R48: every cycle alike


def schedule_cancellation(s: Subscription, by: Actor, reason: str, at: datetime) -> CancellationScheduled:
    """R14: with a reason, effective at the term end, only within the cycle's window."""
    s.ensure_administered_by(by)
    s.ensure_status(Status.ACTIVE, rule="R14", doing="cancelling")
    if s.cancels_at is not None:
        raise RuleViolation(
            "already_cancelled", f"A cancellation is already scheduled for {s.cancels_at:%Y-%m-%d}.", rule="R14"
        )
    if not reason.strip():
        raise RuleViolation("reason_required", "Say why you cancel.", rule="R14", refusal=Refusal.INVALID)
    _ensure_in_cancellation_window(s, at)
    s.cancellation_reason, s.cancels_at = reason.strip(), s.term_end
    return CancellationScheduled(
        subscription_id=s.id,
        account_id=s.account_id,
        administrator=s.administrator,
        reason=s.cancellation_reason,
        requested_at=at,
        effective_at=s.term_end,
    )


def _ensure_in_cancellation_window(s: Subscription, at: datetime) -> None:
    window_opens = cancellation_window_opens(s)
    if at < window_opens:
        raise RuleViolation(
            "outside_cancellation_window",
            "An annual subscription can be cancelled only in the last month of "
            f"its term, from {window_opens:%Y-%m-%d}.",
            rule="R14",
        )
    _ensure_before_term_end(s, at)


def _ensure_before_term_end(s: Subscription, at: datetime) -> None:
    """The term-end job may run a moment late; a term that is over is over."""
    assert s.term_end is not None
    if at >= s.term_end:
        raise RuleViolation("term_over", f"The term ended on {s.term_end:%Y-%m-%d}.", rule="R14")


def cancellation_window_opens(s: Subscription) -> datetime:
    """R14: annual only in the last month of the term; monthly and fixed terms any time."""
    assert s.term_start is not None and s.term_end is not None
    if s.billing_cycle is BillingCycle.ANNUAL:
        return last_month_opens(s.term_end)
    return s.term_start


def withdraw_cancellation(s: Subscription, by: Actor, at: datetime) -> CancellationWithdrawn:
    """Until the term end the administrator may change their mind; it then renews as usual."""
    s.ensure_administered_by(by)
    s.ensure_status(Status.ACTIVE, rule="R14", doing="withdrawing a cancellation")
    if s.cancels_at is None:
        raise RuleViolation("no_cancellation", "No cancellation is scheduled.", rule="R14")
    _ensure_before_term_end(s, at)
    s.cancellation_reason = s.cancels_at = None
    return CancellationWithdrawn(subscription_id=s.id, account_id=s.account_id, withdrawn_at=at)


def terminate(s: Subscription, reason: str, at: datetime) -> SubscriptionEnded:
    """R14: immediate termination, an operator action; access ends now."""
    s.ensure_status(Status.ACTIVE, Status.GRACE, Status.TRIALING, rule="R14", doing="termination")
    if not reason.strip():
        raise RuleViolation(
            "reason_required", "Say why the subscription is terminated.", rule="R14", refusal=Refusal.INVALID
        )
    s.cancellation_reason = reason.strip()
    return s.close(at, "terminated")


def end_term(s: Subscription, at: datetime, offer: ProductOffer) -> Event | None:
    """Fired at the term end: a monthly or annual subscription renews at the catalogue's price
    for its next cycle (R11, R16); a fixed term, and a subscription of any cycle cancelled for
    this term end (R14), expire into the 10 days of grace (R15, R48)."""
    if s.status is not Status.ACTIVE or s.term_end is None or at < s.term_end:
        return None  # a stale job: the subscription moved on
    if s.cancels_at is not None or s.billing_cycle is BillingCycle.TERM:
        return _start_grace(s)
    start = s.term_end
    end = term_end_after(start, s.next_cycle)
    return renew(s, start, end, offer, at, how="automatic")


def _start_grace(s: Subscription) -> GraceStarted:
    assert s.term_end is not None
    s.status, s.grace_ends_at = Status.GRACE, s.term_end + GRACE_PERIOD
    return GraceStarted(
        subscription_id=s.id,
        account_id=s.account_id,
        administrator=s.administrator,
        term_end=s.term_end,
        grace_ends_at=s.grace_ends_at,
        cancelled=s.cancels_at is not None,
    )


def end_grace(s: Subscription, at: datetime) -> SubscriptionEnded | None:
    """R15, R48: ten days passed without renewal; the subscription ends (R28 revokes seats),
    `cancelled` when its administrator cancelled it (R14), `lapsed` otherwise."""
    if s.status is not Status.GRACE or s.grace_ends_at is None or at < s.grace_ends_at:
        return None
    return s.close(at, "cancelled" if s.cancels_at is not None else "lapsed")


def renew_in_grace(
    s: Subscription, by: Actor, term_ends_on: date | None, offer: ProductOffer, at: datetime
) -> SubscriptionRenewed:
    """R15, R48: within the 10 days after a term expired, whatever its cycle and even if it
    was cancelled, the administrator renews or extends it; the new term starts where the old
    one ended, so access and billing carry on without a gap.

    What "renew or extend" means follows the cycle (R11): a monthly or annual subscription
    gets one more term of its cycle (the next cycle if a change was scheduled, R16), and
    renews automatically again after it: renewing withdraws the cancellation. A fixed term is
    extended to a new end date, `term_ends_on`, which it requires; a monthly or annual
    subscription refuses one, since its terms have the cycle's length."""
    s.ensure_administered_by(by)
    s.ensure_status(Status.GRACE, rule="R15", doing="renewing or extending after the term end")
    assert s.term_end is not None and s.grace_ends_at is not None
    if at >= s.grace_ends_at:  # the grace-end job may run late; the 10 days are over all the same
        raise RuleViolation(
            "grace_over",
            f"The 10 days to renew or extend ended on {s.grace_ends_at:%Y-%m-%d %H:%M} UTC; place a new order.",
            rule="R48",
        )
    start = s.term_end
    end = _renewed_term_end(s, start, term_ends_on)
    s.cancellation_reason = s.cancels_at = None
    return renew(s, start, end, offer, at, how="renewed_in_grace")


def _renewed_term_end(s: Subscription, start: datetime, term_ends_on: date | None) -> datetime:
    if s.next_cycle is not BillingCycle.TERM:
        if term_ends_on is not None:
            raise RuleViolation(
                "term_end_for_fixed_term_only",
                f"A {s.next_cycle.value} subscription renews for one {s.next_cycle.value} term; "
                "only a fixed term takes term_ends_on.",
                rule="R11",
                refusal=Refusal.INVALID,
            )
        return term_end_after(start, s.next_cycle)
    if term_ends_on is None:
        raise RuleViolation(
            "term_end_required",
            "Renewing a fixed term needs term_ends_on, the new end date.",
            rule="R11",
            refusal=Refusal.INVALID,
        )
    end = fixed_term_end(term_ends_on)
    check_fixed_term(start, end)
    return end


def renew(
    s: Subscription, start: datetime, end: datetime, offer: ProductOffer, at: datetime, how: str
) -> SubscriptionRenewed:
    """A new term: a scheduled cycle (R16) and a pending payment method (R18) apply now."""
    cycle = s.next_cycle
    s.unit_price = offer.unit_price(s.tier, cycle, start, end)
    s.billing_cycle, s.scheduled_cycle = cycle, None
    s.payment_method = s.next_payment_method or s.payment_method
    s.next_payment_method = None
    s.status, s.term_start, s.term_end, s.grace_ends_at = Status.ACTIVE, start, end, None
    s.fixed_term_end = end if cycle is BillingCycle.TERM else None
    return SubscriptionRenewed(
        subscription_id=s.id,
        account_id=s.account_id,
        administrator=s.administrator,
        product=s.product,
        tier=s.tier,
        billing_cycle=cycle,
        unit_price=s.unit_price,
        term_start=start,
        term_end=end,
        renewed_at=at,
        how=how,
        po_number=s.po_number,
        payment_method=s.payment_method,
        addons=[AddonInTerm(addon=code, unit_price=offer.addon_price(code, cycle, start, end)) for code in s.addons],
    )
