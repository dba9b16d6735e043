"""Wiring of the billing service: what it consumes, the monthly run and the overdue checks, and
what it serves."""

from __future__ import annotations

from functools import partial
from typing import Any

from billing.adapters import camt
from billing.adapters.sellers import load_sellers
from billing.api import collections, corrections, documents, einvoices, exports, invoices, lines, mandates, payments
from billing.domain.invoices import MONTHLY_RUN
from billing.domain.payments import OVERDUE_CHECK
from billing.handlers.buyers import billing_details_changed
from billing.handlers.collections import SEPA_COLLECTION, collect
from billing.handlers.dunning import Dunning
from billing.handlers.invoices import Invoicing, run_monthly_invoicing
from billing.handlers.payments import check_overdue
from billing.handlers.printing import InvoicePrinter
from billing.handlers.subscriptions import bill
from billing.settings import BillingSettings
from billing.store.tables import metadata
from billing.store.uow import BillingUnitOfWork
from contracts import topics
from contracts.identity import BillingDetailsChanged
from contracts.seats import SeatDecreaseScheduled, SeatQuantityChanged
from contracts.subscriptions import (
    AddonAdded,
    AdministratorTransferred,
    PurchaseDetailsChanged,
    SubscriptionActivated,
    SubscriptionPurchased,
    SubscriptionRenewed,
    TierChanged,
    TrialStarted,
)
from servicekit.app import service_app
from servicekit.runtime import ServiceRuntime

__all__ = ["build", "metadata"]

# A bank statement is posted as the body itself, up to camt's 5 MiB: that route alone may take
# more than the kit's `MAX_REQUEST_BYTES` (one byte past camt's limit is read, and refused 413).
LARGER_BODIES = {payments.STATEMENTS_PATH: camt.MAX_BYTES + 1}


def build(settings: BillingSettings | None = None, **overrides: Any) -> ServiceRuntime[BillingUnitOfWork]:
    settings = settings or BillingSettings()
    runtime = ServiceRuntime(settings, metadata, unit_of_work=BillingUnitOfWork, **overrides)
    portal_url = settings.resolved_portal_url()
    invoicing = Invoicing(sellers=load_sellers(settings.sellers_file or None), portal_url=portal_url)  # checked now

    # Every event that changes billing's view of a subscription, from both topics (R29, R30).
    events = runtime.consumer("billing")
    for event_type in (
        SubscriptionPurchased,
        TrialStarted,
        SubscriptionActivated,
        SubscriptionRenewed,
        AdministratorTransferred,
        PurchaseDetailsChanged,
        TierChanged,
        AddonAdded,
        SeatQuantityChanged,
        SeatDecreaseScheduled,
    ):
        events.on(event_type, partial(bill, invoicing=invoicing))
    # Who is billed: the account's billing details, as identity publishes them (issue 15). The
    # first group reads identity's topic anyway (the kit records ended sessions from it).
    events.on(BillingDetailsChanged, billing_details_changed)
    events.attach(topics.SUBSCRIPTIONS_EVENTS, topics.SEATS_EVENTS)

    runtime.scheduler.on(MONTHLY_RUN, partial(run_monthly_invoicing, with_=invoicing))
    runtime.scheduler.on(SEPA_COLLECTION, collect)  # a direct debit recorded on its invoice's due date
    runtime.scheduler.on(OVERDUE_CHECK, check_overdue)
    # Each issued invoice printed once, for its e-mail to carry (billing.documents.v1).
    runtime.add_worker("printer", InvoicePrinter(runtime).run)
    Dunning(settings.dunning_policy(), portal_url).register(runtime.scheduler)  # reminders, suspension

    app = service_app(
        runtime,
        lines.router,
        payments.router,
        collections.router,
        mandates.router,
        exports.router,
        corrections.router,
        documents.router,  # before invoices: `/invoices/{invoice_id}` would take `….pdf` for an id
        einvoices.router,
        invoices.router,
        title="Entitle billing",
        description="Invoice lines, invoices and their payments.",
        larger_bodies=LARGER_BODIES,
    )
    app.state.portal_url = portal_url
    app.state.invoicing = invoicing
    return runtime
