"""Wiring of the billing service: what it consumes and serves."""
from __future__ import annotations

from billing import api, handlers
from billing.settings import BillingSettings
from billing.store import metadata
from contracts import topics
from contracts.seats import SeatQuantityChanged
from contracts.subscriptions import SubscriptionActivated
from servicekit.runtime import ServiceRuntime


def build(settings: BillingSettings | None = None, **overrides) -> ServiceRuntime:
    runtime = ServiceRuntime(settings or BillingSettings(), metadata, **overrides)

    events = runtime.consumer("billing")
    events.on(SubscriptionActivated, handlers.remember_administrator)
    events.on(SeatQuantityChanged, handlers.bill_quantity_change)
    events.attach(topics.SUBSCRIPTIONS_EVENTS, topics.SEATS_EVENTS)

    runtime.app = runtime.http_app(api.routes(runtime), title="Entitle billing",
                                   description="Prorated invoice lines.")
    return runtime
