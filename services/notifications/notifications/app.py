"""Wiring of the notifications service: events in, e-mails out."""
from __future__ import annotations

from contracts import topics
from contracts.seats import SeatsDeprovisioned
from contracts.subscriptions import CancellationScheduled, SubscriptionActivated, SubscriptionPurchased
from notifications import api, handlers
from notifications.mailer import Mailer
from notifications.settings import NotificationsSettings
from notifications.store import metadata
from servicekit.runtime import ServiceRuntime


def build(settings: NotificationsSettings | None = None, mailer: Mailer | None = None,
          **overrides) -> ServiceRuntime:
    settings = settings or NotificationsSettings()
    runtime = ServiceRuntime(settings, metadata, **overrides)
    mailer = mailer or Mailer(settings.smtp_host, settings.smtp_port, settings.mail_from)

    events = runtime.consumer("notifications")
    for event in (SubscriptionPurchased, SubscriptionActivated, CancellationScheduled, SeatsDeprovisioned):
        events.on(event, handlers.queue_emails)
    events.attach(topics.SUBSCRIPTIONS_EVENTS, topics.SEATS_EVENTS)

    runtime.add_worker("sender", lambda: handlers.run_sender(runtime, mailer))

    runtime.app = runtime.http_app(api.routes(runtime), title="Entitle notifications",
                                   description="E-mails sent exactly once per triggering event.")
    return runtime
