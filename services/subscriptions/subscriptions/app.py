"""Wiring of the subscriptions service: what it consumes, schedules and serves."""

from __future__ import annotations

from functools import partial
from typing import Any

from contracts import topics
from contracts.billing import InvoiceStateChanged
from contracts.identity import AccountRegistered, AccountWithdrawn, ContactAdded, PersonRegistered
from contracts.seats import SeatQuantityChanged
from contracts.subscriptions import PurchaseSubscription
from servicekit.app import service_app
from servicekit.runtime import ServiceRuntime
from subscriptions.adapters.catalogue import load_catalogue
from subscriptions.api import agreements as agreements_api
from subscriptions.api import catalogue as catalogue_api
from subscriptions.api import changes as changes_api
from subscriptions.api import lifecycle as lifecycle_api
from subscriptions.api import ops as ops_api
from subscriptions.api import orders as orders_api
from subscriptions.handlers import changes, contacts, invoices, jobs, lifecycle, orders
from subscriptions.settings import SubscriptionsSettings
from subscriptions.store.tables import metadata
from subscriptions.store.uow import SubscriptionsUnitOfWork

__all__ = ["build", "metadata"]


def build(settings: SubscriptionsSettings | None = None, **overrides: Any) -> ServiceRuntime[SubscriptionsUnitOfWork]:
    settings = settings or SubscriptionsSettings()
    catalogue = load_catalogue(settings.catalogue_file or None)  # a wrong file stops the start
    portal_url = settings.resolved_portal_url()
    runtime = ServiceRuntime(settings, metadata, unit_of_work=SubscriptionsUnitOfWork, **overrides)

    consumed = runtime.consumer("subscriptions")
    consumed.on(PurchaseSubscription, partial(orders.purchase, catalogue=catalogue, portal_url=portal_url))
    consumed.on(SeatQuantityChanged, changes.record_quantity)
    # The company directory: who may become an administrator (R17, R38).
    consumed.on(AccountRegistered, contacts.account_registered)
    consumed.on(ContactAdded, contacts.contact_added)
    consumed.on(PersonRegistered, contacts.person_registered)
    consumed.on(AccountWithdrawn, contacts.account_withdrawn)
    # R20, issue 15: the invoices of each subscription not paid yet. Billing's other event
    # types on that topic have no handler here: the consumer acknowledges and skips them.
    consumed.on(InvoiceStateChanged, invoices.invoice_state_changed)
    consumed.attach(topics.SUBSCRIPTIONS_COMMANDS, topics.SEATS_EVENTS, topics.IDENTITY_EVENTS, topics.BILLING_EVENTS)

    runtime.scheduler.on(jobs.ACTIVATION_EXPIRY, orders.expire_activation)
    runtime.scheduler.on(jobs.TERM_END, partial(lifecycle.end_term, catalogue=catalogue))
    runtime.scheduler.on(jobs.GRACE_END, lifecycle.end_grace)
    runtime.scheduler.on(jobs.TRIAL_END, partial(orders.end_trial, catalogue=catalogue))

    app = service_app(
        runtime,
        orders_api.router,
        agreements_api.router,
        lifecycle_api.router,
        changes_api.router,
        ops_api.router,
        catalogue_api.router,
        title="Entitle subscriptions",
        description="Purchases, trials, reseller orders, agreements, renewals, amendments, "
        "cancellation and termination.",
    )
    # What the routes read through `subscriptions.api.deps`.
    app.state.catalogue = catalogue
    app.state.portal_url = portal_url
    return runtime
