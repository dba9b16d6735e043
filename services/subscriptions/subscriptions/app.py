"""Wiring of the subscriptions service: what it consumes, schedules and serves."""
from __future__ import annotations

from functools import partial

from contracts import topics
from contracts.subscriptions import PurchaseSubscription
from servicekit.runtime import ServiceRuntime
from subscriptions import api, handlers
from subscriptions.settings import SubscriptionsSettings
from subscriptions.store import metadata


def build(settings: SubscriptionsSettings | None = None, **overrides) -> ServiceRuntime:
    settings = settings or SubscriptionsSettings()
    runtime = ServiceRuntime(settings, metadata, **overrides)

    commands = runtime.consumer("subscriptions")
    commands.on(PurchaseSubscription, partial(handlers.purchase, portal_url=settings.portal_url))
    commands.attach(topics.SUBSCRIPTIONS_COMMANDS)

    runtime.scheduler.on(handlers.ACTIVATION_EXPIRY, handlers.expire_activation)
    runtime.scheduler.on(handlers.TERM_END, handlers.end_term)

    runtime.app = runtime.http_app(
        api.routes(runtime, settings.portal_url), title="Entitle subscriptions",
        description="Purchases, agreements, activation and cancellation.")
    return runtime
