"""Wiring of the seats service: what it consumes, schedules and serves."""
from __future__ import annotations

from contracts import topics
from contracts.subscriptions import (
    ActivationExpired, CancellationScheduled, SubscriptionActivated, SubscriptionEnded,
    SubscriptionPurchased,
)
from seats import api, handlers
from seats.settings import SeatsSettings
from seats.store import metadata
from servicekit.runtime import ServiceRuntime


def build(settings: SeatsSettings | None = None, **overrides) -> ServiceRuntime:
    runtime = ServiceRuntime(settings or SeatsSettings(), metadata, **overrides)

    subscription_events = runtime.consumer("seats")
    subscription_events.on(SubscriptionPurchased, handlers.open_locked_pool)
    subscription_events.on(SubscriptionActivated, handlers.unlock_seats)
    subscription_events.on(ActivationExpired, handlers.close_lapsed_pool)
    subscription_events.on(CancellationScheduled, handlers.schedule_deprovisioning)
    subscription_events.on(SubscriptionEnded, handlers.deprovision)
    subscription_events.attach(topics.SUBSCRIPTIONS_EVENTS)

    runtime.scheduler.on(handlers.SEAT_DECREASE, handlers.apply_scheduled_decrease)

    runtime.app = runtime.http_app(api.routes(runtime), title="Entitle seats",
                                   description="Seat pools, assignments and deprovisioning.")
    return runtime
