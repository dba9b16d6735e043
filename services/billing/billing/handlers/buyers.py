"""The buyer's billing details, from identity (issue 15)."""

from __future__ import annotations

from billing.store.uow import BillingUnitOfWork
from contracts.identity import BillingDetailsChanged


async def billing_details_changed(event: BillingDetailsChanged, uow: BillingUnitOfWork) -> None:
    """Invoices issued from now on print these; an invoice already issued keeps its buyer."""
    await uow.buyers.record(event.account_id, event.details, event.changed_at, from_order=False)
