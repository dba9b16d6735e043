"""Billing's invoice payment states, kept per subscription for R20 (issue 15): an add-on only
when the base subscription's invoices are paid.

`billing.invoice_state_changed` names the subscriptions whose lines the invoice carries and
the invoice's state after the change. Billing publishes it keyed by account, so every event of
one account, hence of one invoice, is on one partition and is read in the order billing
published it: applying each in turn leaves the latest state, and no version is compared. A
repeated event is stopped by the inbox, and applying one again would write the same row.
Events published before billing named the subscriptions carry none and change nothing here."""

from __future__ import annotations

from contracts.billing import InvoiceStateChanged
from contracts.errors import InconsistentEvent
from subscriptions.domain.changes import invoice_settled
from subscriptions.store.uow import SubscriptionsUnitOfWork


async def invoice_state_changed(event: InvoiceStateChanged, uow: SubscriptionsUnitOfWork) -> None:
    """Unsettled (open, partially paid, overdue, uncollectible): kept against each of its
    subscriptions; paid or void: forgotten. Billing invoices only subscriptions this service
    created, for their own account: any other is forged or corrupt, and the event is
    dead-lettered (`inconsistent`) with nothing applied."""
    for subscription_id in event.subscription_ids:
        s = await uow.subscriptions.find(subscription_id)
        if s is None or s.account_id != event.account_id:
            raise InconsistentEvent(
                f"billing.invoice_state_changed of {event.invoice_number} names subscription {subscription_id}, "
                + ("which subscriptions never created" if s is None else f"of account {s.account_id}")
                + f", not one of account {event.account_id}"
            )
        if invoice_settled(event.state):
            await uow.invoices.settle(subscription_id, event.invoice_id)
        else:
            await uow.invoices.keep(
                subscription_id, event.invoice_id, event.invoice_number, event.account_id, event.state
            )
