"""Wiring of the subscriptions service: what it consumes, schedules and serves."""
from __future__ import annotations

from functools import partial

from contracts import topics
from contracts.seats import SeatQuantityChanged
from contracts.subscriptions import PurchaseSubscription
from servicekit.runtime import ServiceRuntime
from servicekit.app import service_app
from subscriptions import api
from subscriptions.catalogue import load_catalogue
from subscriptions.handlers import changes, contacts, jobs, lifecycle, orders
from subscriptions.settings import SubscriptionsSettings
from subscriptions.store import metadata


def build(settings: SubscriptionsSettings | None = None, **overrides) -> ServiceRuntime:
    settings = settings or SubscriptionsSettings()
    catalogue = load_catalogue(settings.catalogue_file or None)  # a wrong file stops the start
    runtime = ServiceRuntime(settings, metadata, **overrides)

    consumed = runtime.consumer("subscriptions")
    consumed.on(PurchaseSubscription, partial(orders.purchase, catalogue=catalogue,
                                              portal_url=settings.resolved_portal_url()))
    consumed.on(SeatQuantityChanged, changes.record_quantity)
    # The company directory: who may become an administrator (R17, R38).
    for event_type, handler in contacts.HANDLERS:
        consumed.on(event_type, handler)
    consumed.attach(topics.SUBSCRIPTIONS_COMMANDS, topics.SEATS_EVENTS, topics.IDENTITY_EVENTS)

    runtime.scheduler.on(jobs.ACTIVATION_EXPIRY, orders.expire_activation)
    runtime.scheduler.on(jobs.TERM_END, partial(lifecycle.end_term, catalogue=catalogue))
    runtime.scheduler.on(jobs.GRACE_END, lifecycle.end_grace)
    runtime.scheduler.on(jobs.TRIAL_END, partial(orders.end_trial, catalogue=catalogue))

    runtime.app = service_app(
        runtime, *api.routes(runtime, catalogue, settings.resolved_portal_url()), title="Entitle subscriptions",
        description="Purchases, trials, reseller orders, agreements, renewals, amendments, "
                    "cancellation and termination.")
    return runtime
