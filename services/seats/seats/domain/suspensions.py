"""Issue 15, item 6: billing suspends a subscription's use while an invoice that charged one of
its terms is overdue, and reinstates it when the invoice is paid or voided. Pure: the periods
an event suspends, which period covers a moment, and the refusal of a seat while one does.

Only the periods billing names are suspended (the terms the unpaid invoice charged): the next
term, paid, is not. Nothing is revoked: assignments, keys and leases stay as they are, and the
access answer comes back the moment the suspension is lifted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from contracts.billing import SubscriptionsSuspended
from contracts.errors import Refusal, RuleViolation

PAYMENT_OVERDUE = "payment_overdue"


@dataclass(frozen=True)
class PaymentSuspension:
    """One suspended period of one subscription, for one overdue invoice: `start <= at < end`."""

    invoice_id: str
    subscription_id: str
    start: datetime
    end: datetime
    suspended_at: datetime
    number: str
    reason: str = PAYMENT_OVERDUE

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


def suspensions_of(event: SubscriptionsSuspended) -> list[PaymentSuspension]:
    """The periods a `billing.subscriptions_suspended` suspends, as seats keeps them."""
    return [
        PaymentSuspension(
            invoice_id=event.invoice_id,
            subscription_id=p.subscription_id,
            start=p.start,
            end=p.end,
            suspended_at=event.suspended_at,
            number=event.number,
            reason=event.reason or PAYMENT_OVERDUE,
        )
        for p in event.periods
    ]


def covering(suspensions: Iterable[PaymentSuspension], subscription_id: str, at: datetime) -> PaymentSuspension | None:
    """The suspension of this subscription in force at `at`; of several (two overdue invoices
    charging overlapping periods), the oldest, so that the answer does not change from one
    question to the next."""
    found = [s for s in suspensions if s.subscription_id == subscription_id and s.covers(at)]
    return min(found, key=lambda s: (s.suspended_at, s.invoice_id)) if found else None


def next_start(suspensions: Iterable[PaymentSuspension], subscription_id: str, at: datetime) -> datetime | None:
    """When the next suspension of this subscription starts after `at` (None: none known): an
    entitlement signed now must not be relied on offline inside a suspended period."""
    starts = [s.start for s in suspensions if s.subscription_id == subscription_id and s.start > at]
    return min(starts) if starts else None


def ensure_not_suspended(suspensions: Iterable[PaymentSuspension], subscription_id: str, at: datetime) -> None:
    """A lease, a heartbeat, a borrow, a device activation or a licence file of a subscription
    whose period in force is suspended is refused (403 `payment_overdue`)."""
    if (suspension := covering(suspensions, subscription_id, at)) is not None:
        raise overdue_refusal(suspension)


def overdue_refusal(suspension: PaymentSuspension) -> RuleViolation:
    return RuleViolation(
        suspension.reason,
        f"The use of subscription {suspension.subscription_id} is suspended since "
        f"{suspension.suspended_at:%Y-%m-%d}: invoice {suspension.number} is overdue. Paying it gives "
        "access back at once; the seats stay assigned meanwhile.",
        refusal=Refusal.FORBIDDEN,
    )
