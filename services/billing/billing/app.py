"""Wiring of the billing service: what it consumes, the monthly run, and what it serves."""
from __future__ import annotations

from functools import partial

from billing import api, handlers, issuing
from billing.invoicing import MONTHLY_RUN
from billing.settings import BillingSettings
from billing.tables import metadata
from contracts import topics
from servicekit.runtime import ServiceRuntime
from servicekit.app import service_app


def build(settings: BillingSettings | None = None, **overrides) -> ServiceRuntime:
    settings = settings or BillingSettings()
    runtime = ServiceRuntime(settings, metadata, **overrides)
    public_url = settings.resolved_public_url()

    events = runtime.consumer("billing")
    for event_type in handlers.CHANGES:
        events.on(event_type, handlers.handler_for(event_type, public_url))
    events.attach(topics.SUBSCRIPTIONS_EVENTS, topics.SEATS_EVENTS)
    runtime.scheduler.on(MONTHLY_RUN, partial(issuing.run_monthly_invoicing, public_url=public_url))

    runtime.app = service_app(runtime, api.routes(runtime), title="Entitle billing",
                                   description="Invoice lines and invoices.")
    return runtime
