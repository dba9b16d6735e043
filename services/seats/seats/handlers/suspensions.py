"""Issue 15, item 6: billing suspends the use of subscriptions while an invoice that charged
them is overdue (`billing.subscriptions_suspended`) and lifts it once the invoice is paid or
voided (`billing.subscriptions_reinstated`). Seats keeps the suspended periods; the access
answer, leases, device activations and licence files refuse a seat while one covers now.

Nothing is revoked here and nothing is published: the seats stay assigned, keys active and
leases held, so that access comes back with the same seats the moment the invoice is paid."""

from __future__ import annotations

from contracts.billing import SubscriptionsReinstated, SubscriptionsSuspended
from seats.domain.suspensions import suspensions_of
from seats.store.uow import SeatsUnitOfWork


async def suspend_for_overdue_invoice(event: SubscriptionsSuspended, uow: SeatsUnitOfWork) -> None:
    """Keeps each suspended period once. A subscription of another account than the event's is
    a contradiction (dead-lettered `inconsistent`, nothing kept); one seats has not seen bought
    yet is kept all the same: billing's and subscriptions' topics are read independently, and
    its pool must find it suspended when it opens."""
    found = suspensions_of(event)
    for subscription_id in dict.fromkeys(s.subscription_id for s in found):
        if (pool := await uow.pools.find(subscription_id)) is not None:
            pool.ensure_owned_by(event.account_id, event.type)
    await uow.payment_suspensions.record(found)


async def reinstate_after_invoice_settled(event: SubscriptionsReinstated, uow: SeatsUnitOfWork) -> None:
    """Lifts every period of the invoice, whichever subscriptions the event lists: what the
    suspension kept is what ends. A reinstatement of an invoice never suspended lifts nothing;
    a subscription suspended by another invoice too stays suspended by that one."""
    await uow.payment_suspensions.lift(event.invoice_id)
