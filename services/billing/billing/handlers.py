"""Billing handlers: each seat quantity change becomes at most one prorated invoice line."""
from __future__ import annotations

import uuid

from billing.domain import prorate_quantity_change
from billing.store import BillingRepository
from contracts.billing import InvoiceAdjusted
from contracts.seats import SeatQuantityChanged
from contracts.subscriptions import SubscriptionActivated
from servicekit.uow import UnitOfWork


async def remember_administrator(event: SubscriptionActivated, uow: UnitOfWork) -> None:
    await BillingRepository(uow.conn).remember_administrator(
        event.subscription_id, event.account_id, event.administrator.person_id)


async def bill_quantity_change(event: SeatQuantityChanged, uow: UnitOfWork) -> None:
    """R29: the change's share of the rest of the term goes on the next invoice."""
    caused_by = uow.cause.id if uow.cause else ""
    line = prorate_quantity_change(
        line_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"entitle:line:{caused_by}")),
        subscription_id=event.subscription_id, account_id=event.account_id,
        quantity_delta=event.new_quantity - event.previous_quantity, unit_price=event.unit_price,
        term_start=event.term_start, term_end=event.term_end, effective_at=event.effective_at,
        caused_by=caused_by)
    if line is None:
        return
    await BillingRepository(uow.conn).add_line(line)
    await uow.publish(InvoiceAdjusted(
        line_id=line.line_id, subscription_id=line.subscription_id, account_id=line.account_id,
        description=line.description, period_start=line.period_start, period_end=line.period_end,
        quantity_delta=line.quantity_delta, unit_price=line.unit_price,
        days_remaining=line.days_remaining, days_in_term=line.days_in_term, amount=line.amount,
        caused_by=line.caused_by))
