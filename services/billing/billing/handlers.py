"""Billing handlers: each event is checked against billing's view of its subscription
(`billing.consistency`), updates it, becomes invoice lines, and issues what is due at once,
all in the event's one transaction."""
from __future__ import annotations

import logging
from typing import Callable

from billing import consistency
from billing.charges import InvoiceLine
from billing.domain import SubscriptionView
from billing.issuing import issue_due_at_once
from billing.store import BillingRepository
from contracts.billing import InvoiceAdjusted
from contracts.envelope import Event
from contracts.errors import InconsistentEvent
from contracts.seats import SeatDecreaseScheduled, SeatQuantityChanged
from contracts.subscriptions import (
    AddonAdded, AdministratorTransferred, PurchaseDetailsChanged, SubscriptionActivated,
    SubscriptionPurchased, SubscriptionRenewed, TierChanged, TrialStarted,
)
from servicekit.store.uow import UnitOfWork

log = logging.getLogger("billing.handlers")

Change = Callable[[SubscriptionView, Event, str], "list[InvoiceLine] | None"]

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


def handler_for(event_type: type[Event], public_url: str):
    change = CHANGES[event_type]

    async def handle(event: Event, uow: UnitOfWork) -> None:
        await apply(event, uow, change, public_url)
    handle.__name__ = f"bill_{event_type.__name__}"
    return handle


async def apply(event: Event, uow: UnitOfWork, change: Change, public_url: str) -> None:
    repo = BillingRepository(uow.conn)
    caused_by = uow.cause.id if uow.cause else ""
    found = await repo.view(event.subscription_id, lock=True)
    if consistency.verdict(found, event) is consistency.Verdict.WAIT:  # or InconsistentEvent
        await repo.park(event, caused_by, uow.now())
        return
    view = found or SubscriptionView(event.subscription_id, event.account_id)
    lines = change(view, event, caused_by) or []
    if view.started:  # at the start, and after it: one parked by a transaction that raced
        lines += await _apply_parked(view, repo)  # the start is applied by the next event
    await repo.save_view(view, is_new=found is None)
    for line in lines:
        if await repo.add_line(line) and line.prorated:
            await uow.publish(adjusted(line))
    if lines:
        await issue_due_at_once(view, caused_by, uow, public_url)


async def _apply_parked(view: SubscriptionView, repo: BillingRepository) -> list[InvoiceLine]:
    """Seat events that waited for the subscription to start, in the order they came, each
    with its own cause (so its lines are the ones it would have made at once). One that
    contradicts the view now is dropped, never applied, and logged: it is no longer a record
    the consumer could dead-letter."""
    lines: list[InvoiceLine] = []
    for event, caused_by in await repo.unpark(view.subscription_id):
        try:
            consistency.verdict(view, event)
        except InconsistentEvent as contradiction:
            log.error("parked event %s dropped: %s", caused_by, contradiction)
            continue
        lines += CHANGES[type(event)](view, event, caused_by) or []
    return lines


def adjusted(line: InvoiceLine) -> InvoiceAdjusted:
    """R29: kept for every prorated line; downstream readers (and the bench) wait for it."""
    return InvoiceAdjusted(
        line_id=line.line_id, subscription_id=line.subscription_id, account_id=line.account_id,
        description=line.description, period_start=line.period_start, period_end=line.period_end,
        quantity_delta=line.quantity_delta, unit_price=line.unit_price,
        days_remaining=line.days_remaining, days_in_term=line.days_in_term, amount=line.amount,
        caused_by=line.caused_by)
