"""Wiring of the notifications service: events in, e-mails out."""
from __future__ import annotations

from datetime import timedelta

from contracts import topics
from notifications import api, handlers
from notifications.consistency import OPENING_EVENTS
from notifications.domain import EVENTS_WITH_EMAILS
from notifications.handlers import RetryPolicy
from notifications.mailer import Mailer
from notifications.settings import NotificationsSettings
from notifications.store import metadata
from servicekit.runtime import ServiceRuntime
from servicekit.app import service_app


def build(settings: NotificationsSettings | None = None, mailer: Mailer | None = None,
          retry: RetryPolicy | None = None, **overrides) -> ServiceRuntime:
    settings = settings or NotificationsSettings()
    runtime = ServiceRuntime(settings, metadata, **overrides)
    mailer = mailer or Mailer(settings.smtp_host, settings.smtp_port, settings.mail_from,
                              security=settings.smtp_security, username=settings.smtp_username,
                              password=settings.smtp_password.get_secret_value())

    _consume_events(runtime)
    retry = retry or RetryPolicy(first=timedelta(seconds=settings.retry_first_seconds),
                                 longest=timedelta(seconds=settings.retry_longest_seconds))
    runtime.add_worker("sender", lambda: handlers.run_sender(runtime, mailer, retry))

    runtime.app = service_app(runtime, api.routes(runtime), title="Entitle notifications",
                                   description="E-mails sent exactly once per triggering event.")
    return runtime


def _consume_events(runtime: ServiceRuntime) -> None:
    events = runtime.consumer("notifications")
    # The events that start a subscription too, with or without an e-mail (a trial sends none):
    # an event about a subscription notifications never saw started is refused as inconsistent.
    for event in dict.fromkeys(EVENTS_WITH_EMAILS + OPENING_EVENTS):
        events.on(event, handlers.queue_emails)
    # identity.internal.v1 carries the verification links; identity.events.v1 the contacts
    # added and the lapsed verifications.
    events.attach(topics.SUBSCRIPTIONS_EVENTS, topics.SEATS_EVENTS, topics.BILLING_EVENTS,
                  topics.IDENTITY_EVENTS, topics.IDENTITY_INTERNAL)
