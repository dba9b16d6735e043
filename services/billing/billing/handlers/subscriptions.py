"""Billing's view of a subscription, from the subscription and seat events: each event is
checked against the view (`handlers.consistency`), updates it, becomes invoice lines, and
issues what is due at once, all in the event's one transaction."""

from __future__ import annotations

import logging

from billing.domain import subscriptions
from billing.domain.lines import InvoiceLine
from billing.domain.subscriptions import BilledEvent, SubscriptionView
from billing.handlers import consistency
from billing.handlers.invoices import Invoicing, issue_due_at_once
from billing.store.uow import BillingUnitOfWork
from contracts.billing import InvoiceAdjusted
from contracts.errors import InconsistentEvent
from contracts.parties import AccountBillingDetails, PostalAddress
from contracts.subscriptions import SubscriptionPurchased

log = logging.getLogger("billing.handlers")


async def bill(event: BilledEvent, uow: BillingUnitOfWork, invoicing: Invoicing) -> None:
    """R29, R30: any event billing reads (`app.py` lists them); `invoicing` says who sells and
    where the invoices it issues are read."""
    caused_by = uow.cause.id if uow.cause else ""
    if isinstance(event, SubscriptionPurchased) and event.billing is not None:
        await uow.buyers.record(event.account_id, order_buyer(event), uow.now(), from_order=True)
    found = await uow.subscriptions.view(event.subscription_id, lock=True)
    if consistency.verdict(found, event) is consistency.Verdict.WAIT:  # or InconsistentEvent
        await uow.subscriptions.park(event, caused_by, uow.now())
        return
    view = found or SubscriptionView(event.subscription_id, event.account_id)
    lines = subscriptions.apply(view, event, caused_by)
    if view.started:  # at the start, and after it: one parked by a transaction that raced
        lines += await _apply_parked(view, uow)  # the start is applied by the next event
    await uow.subscriptions.save_view(view, is_new=found is None)
    for line in lines:
        if await uow.lines.add_line(line) and line.prorated:
            await uow.publish(adjusted(line))
    if lines:
        await issue_due_at_once(view, caused_by, uow, invoicing)


async def _apply_parked(view: SubscriptionView, uow: BillingUnitOfWork) -> list[InvoiceLine]:
    """Seat events that waited for the subscription to start, in the order they came, each
    with its own cause (so its lines are the ones it would have made at once). One that
    contradicts the view now is dropped, never applied, and logged: it is no longer a record
    the consumer could dead-letter."""
    lines: list[InvoiceLine] = []
    for event, caused_by in await uow.subscriptions.unpark(view.subscription_id):
        try:
            consistency.verdict(view, event)
        except InconsistentEvent as contradiction:
            log.error("parked event %s dropped: %s", caused_by, contradiction)
            continue
        lines += subscriptions.apply(view, event, caused_by)
    return lines


def order_buyer(event: SubscriptionPurchased) -> AccountBillingDetails:
    """R45: the billing details an order captured, as the account's until identity publishes
    the account's own (issue 15)."""
    assert event.billing is not None
    details = event.billing
    return AccountBillingDetails(
        legal_name=details.company_name,
        address=PostalAddress(
            line1=details.address,
            line2=details.address_extra,
            postcode=details.postal_code,
            city=details.city,
            country=details.country,
        ),
        vat_number=details.vat_number,
        invoicing_email=details.billing_email,
    )


def adjusted(line: InvoiceLine) -> InvoiceAdjusted:
    """R29: kept for every prorated line; downstream readers (and the bench) wait for it."""
    return InvoiceAdjusted(
        line_id=line.line_id,
        subscription_id=line.subscription_id,
        account_id=line.account_id,
        description=line.description,
        period_start=line.period_start,
        period_end=line.period_end,
        quantity_delta=line.quantity_delta,
        unit_price=line.unit_price,
        days_remaining=line.days_remaining,
        days_in_term=line.days_in_term,
        amount=line.amount,
        caused_by=line.caused_by,
    )
