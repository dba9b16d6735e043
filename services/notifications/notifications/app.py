"""Wiring of the notifications service: events in, e-mails out.

Consumes: the events that cause e-mails, and those that start a subscription (handlers.emails).
Runs: the sender, which delivers each queued e-mail once (handlers.sending).
Serves: the delivery log and the operators' retry-now (api.deliveries).
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from contracts import topics
from contracts.billing import InvoicePrinted
from notifications.adapters.mailer import Mailer
from notifications.api import deliveries
from notifications.domain.consistency import OPENING_EVENTS
from notifications.domain.documents import HOLD_EXPIRED
from notifications.domain.emails import EVENTS_WITH_EMAILS
from notifications.handlers.documents import forget_old_documents, keep_document, send_without_document
from notifications.handlers.emails import queue_emails
from notifications.handlers.sending import RetryPolicy, run_sender
from notifications.settings import NotificationsSettings
from notifications.store.tables import metadata
from notifications.store.uow import NotificationsUnitOfWork
from servicekit.app import service_app
from servicekit.runtime import ServiceRuntime


def build(
    settings: NotificationsSettings | None = None,
    *,
    mailer: Mailer | None = None,
    retry: RetryPolicy | None = None,
    **overrides: Any,
) -> ServiceRuntime[NotificationsUnitOfWork]:
    settings = settings or NotificationsSettings()
    runtime = ServiceRuntime(settings, metadata, unit_of_work=NotificationsUnitOfWork, **overrides)
    mailer = mailer or Mailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.mail_from,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value(),
    )
    sender_mailer = mailer

    events = runtime.consumer("notifications")
    # The events that start a subscription too, with or without an e-mail (a trial sends none):
    # an event about a subscription notifications never saw started is refused as inconsistent.
    hold = timedelta(seconds=settings.invoice_pdf_hold_seconds)
    for event in dict.fromkeys(EVENTS_WITH_EMAILS + OPENING_EVENTS):
        events.on(event, partial(queue_emails, hold=hold))
    # An invoice e-mail carries the invoice's PDF, printed by billing (issue 15, item 3).
    events.on(InvoicePrinted, keep_document)
    # identity.internal.v1 carries the verification links; identity.events.v1 the contacts
    # added and the lapsed verifications; billing.documents.v1 the invoices' PDFs.
    events.attach(
        topics.SUBSCRIPTIONS_EVENTS,
        topics.SEATS_EVENTS,
        topics.BILLING_EVENTS,
        topics.BILLING_DOCUMENTS,
        topics.IDENTITY_EVENTS,
        topics.IDENTITY_INTERNAL,
    )
    runtime.scheduler.on(HOLD_EXPIRED, send_without_document)
    runtime.add_housekeeping(forget_old_documents)

    retry = retry or RetryPolicy(
        first=timedelta(seconds=settings.retry_first_seconds), longest=timedelta(seconds=settings.retry_longest_seconds)
    )
    runtime.add_worker("sender", lambda: run_sender(runtime, sender_mailer, retry))

    service_app(
        runtime,
        deliveries.router,
        title="Entitle notifications",
        description="E-mails sent exactly once per triggering event.",
    )
    return runtime
