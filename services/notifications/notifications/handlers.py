"""Notification handlers: an event queues its e-mails; the sender delivers each once."""
from __future__ import annotations

import asyncio
import logging

from contracts.envelope import Event
from contracts.notifications import EmailSent
from notifications.domain import emails_for
from notifications.mailer import Mailer, PermanentlyRejected
from notifications.rendering import render
from notifications.store import EmailRepository, OutgoingEmail
from servicekit.loops import drive
from servicekit.runtime import ServiceRuntime
from servicekit.uow import UnitOfWork

log = logging.getLogger("notifications.sender")


async def queue_emails(event: Event, uow: UnitOfWork) -> None:
    """Rendered and stored in the event's own transaction: a replay finds them already there."""
    repo = EmailRepository(uow.conn)
    for request in emails_for(event, uow.cause.id):
        rendered = render(request.template, request.locale, request.facts)
        await repo.add_once(OutgoingEmail(
            email_id=request.email_id, caused_by=uow.cause.id, template=request.template,
            locale=request.locale, recipient_id=request.recipient.person_id,
            recipient_email=request.recipient.email, subscription_id=request.subscription_id,
            correlation_id=uow.cause.correlationid, subject=rendered.subject, text=rendered.text, html=rendered.html), uow.now())
    uow.after_commit(_sender_wakeup.set)


_sender_wakeup = asyncio.Event()


async def deliver_pending(runtime: ServiceRuntime, mailer: Mailer) -> int:
    """Send what is pending, oldest first. Returns how many were sent; raises on an outage."""
    async with runtime.db.connect() as conn:
        pending = await EmailRepository(conn).pending(limit=100)
    if not pending:
        await mailer.close_if_idle()
        return 0
    sent = 0
    for email in pending:
        try:
            await mailer.send(email)
        except PermanentlyRejected as rejection:
            async with runtime.uow() as uow:
                await EmailRepository(uow.conn).mark(email.email_id, "rejected", None, str(rejection))
                await uow.commit()
            log.error("e-mail %s to %s rejected for good: %s", email.email_id, email.recipient_id, rejection)
            continue
        except Exception as error:
            async with runtime.uow() as uow:
                await EmailRepository(uow.conn).count_failure(email.email_id, repr(error))
                await uow.commit()
            raise
        async with runtime.uow(correlation_id=email.correlation_id) as uow:
            await EmailRepository(uow.conn).mark(email.email_id, "sent", uow.now())
            await uow.publish(EmailSent(
                email_id=email.email_id, template=email.template, locale=email.locale,
                recipient_id=email.recipient_id, subscription_id=email.subscription_id,
                caused_by=email.caused_by, sent_at=uow.now()))
            await uow.commit()
        sent += 1
    return sent


async def run_sender(runtime: ServiceRuntime, mailer: Mailer, poll_seconds: float = 0.5) -> None:
    """An SMTP outage delays mail, it never loses it: pending rows wait, with growing backoff."""
    try:
        await drive(lambda: deliver_pending(runtime, mailer), _sender_wakeup, poll_seconds=poll_seconds,
                    log=log, what="sending e-mail", max_backoff=30.0)
    finally:
        await mailer.close()  # on shutdown: QUIT the kept SMTP connection
