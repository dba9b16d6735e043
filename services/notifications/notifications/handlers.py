"""Notification handlers: an event queues its e-mails; the sender delivers each once.

Nothing here logs an e-mail's text, its facts or its address: a verification e-mail carries a
single-use link. Logs name e-mails by id and recipients by person id.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from contracts.envelope import Event
from contracts.notifications import EmailRejected, EmailSent
from notifications.access import administrator_named
from notifications.consistency import check_agrees, subscriptions_concerned
from notifications.domain import MAX_SUBJECT_LENGTH, EmailRequest, emails_for, header_problem, next_attempt_at
from notifications.mailer import Mailer, PermanentlyRejected, TemporarilyRefused
from notifications.rendering import render
from notifications.store import AdministratorRepository, EmailRepository, OutgoingEmail
from servicekit.clock import Clock, SystemClock
from servicekit.loops import drive
from servicekit.runtime import ServiceRuntime
from servicekit.store.uow import UnitOfWork

log = logging.getLogger("notifications.sender")

# E-mails carrying a secret (a single-use link): their text is dropped once delivered or rejected.
SECRET_TEMPLATES = frozenset({"verification"})
# How long a sender holds an e-mail it is sending (far above the SMTP timeout). A process that
# dies holding one leaves it to a later round once the claim runs out: delayed, not lost.
SENDING_CLAIM = timedelta(minutes=2)
MAX_EMAIL_COLUMN = 320  # store.emails.recipient_email: a longer (so refused) address is kept cut


async def queue_emails(event: Event, uow: UnitOfWork) -> None:
    """Rendered and stored in the event's own transaction: a replay finds them already there.
    An event that contradicts what notifications knows raises InconsistentEvent first, so that
    nothing of it is applied (the consumer dead-letters it)."""
    administrators = AdministratorRepository(uow.conn)
    check_agrees(event, await administrators.known_subscriptions(subscriptions_concerned(event)))
    if named := administrator_named(event, uow.cause.time):
        await administrators.note(named)
    repo = EmailRepository(uow.conn)
    for request in emails_for(event, uow.cause.id):
        email = _outgoing(request, uow)
        if await repo.add_once(email, uow.now()) and email.status == "rejected":
            await uow.publish(_rejected(email, email.last_error or "", uow.now()))
            _log_rejection(email, email.last_error or "")
    uow.after_commit(_sender_wakeup.set)


def _outgoing(request: EmailRequest, uow: UnitOfWork) -> OutgoingEmail:
    """Pending, or already rejected when it cannot be rendered or composed: such an e-mail is
    recorded and reported once, and never reaches the sender's queue."""
    email = OutgoingEmail(
        email_id=request.email_id, caused_by=uow.cause.id, template=request.template,
        locale=request.locale, recipient_id=request.recipient.person_id,
        recipient_email=request.recipient.email[:MAX_EMAIL_COLUMN], subscription_id=request.subscription_id,
        account_id=request.account_id, correlation_id=uow.cause.correlationid, subject="", text="", html="")
    try:
        rendered = render(request.template, request.locale, request.facts)
    except Exception as error:  # noqa: BLE001 - a template fault must cost this e-mail alone
        return _rejected_at_once(email, f"the e-mail could not be rendered ({type(error).__name__})", uow)
    email = replace(email, subject=rendered.subject[:MAX_SUBJECT_LENGTH], text=rendered.text, html=rendered.html)
    if problem := header_problem(request.recipient.email, rendered.subject):
        return _rejected_at_once(email, problem, uow)
    return email


def _rejected_at_once(email: OutgoingEmail, reason: str, uow: UnitOfWork) -> OutgoingEmail:
    secret = email.template in SECRET_TEMPLATES
    return replace(email, status="rejected", last_error=reason, rejected_at=uow.now(),
                   text="" if secret else email.text, html="" if secret else email.html)


def _rejected(email: OutgoingEmail, reason: str, at) -> EmailRejected:
    return EmailRejected(
        email_id=email.email_id, template=email.template, recipient_id=email.recipient_id,
        subscription_id=email.subscription_id, caused_by=email.caused_by, reason=reason[:2000], rejected_at=at)


def _log_rejection(email: OutgoingEmail, reason: str) -> None:
    log.error("e-mail %s (%s) to person %s rejected for good: %s", email.email_id, email.template,
              email.recipient_id, reason)


_sender_wakeup = asyncio.Event()


def wake_sender() -> None:
    _sender_wakeup.set()


@dataclass(frozen=True)
class RetryPolicy:
    """When a temporarily failing e-mail is tried again, on a real-time clock: a frozen or
    travelling test clock must neither stall retries nor fire them all at once."""

    clock: Clock = SystemClock()
    first: timedelta = timedelta(seconds=0.4)
    longest: timedelta = timedelta(minutes=5)


async def deliver_pending(runtime: ServiceRuntime, mailer: Mailer, retry: RetryPolicy = RetryPolicy()) -> int:
    """Send the e-mails whose turn has come, oldest first. Returns how many were handled;
    raises when the server cannot be reached, which stops the batch."""
    async with runtime.db.connect() as conn:
        due = await EmailRepository(conn).due(retry.clock.now(), limit=100)
    if not due:
        await mailer.close_if_idle()
        return 0
    for email in due:
        await _deliver_one(runtime, mailer, email, retry)
    return len(due)


async def _deliver_one(runtime: ServiceRuntime, mailer: Mailer, email: OutgoingEmail, retry: RetryPolicy) -> None:
    if not await _claim(runtime, email, retry):
        return  # another replica's sender has it
    try:
        await mailer.send(email)
    except PermanentlyRejected as rejection:  # a 5xx, or an e-mail that cannot be composed
        return await _reject(runtime, email, str(rejection))
    except TemporarilyRefused as refusal:
        return await _defer(runtime, email, str(refusal), retry)
    except OSError as error:  # the server is unreachable, hung up or timed out: every e-mail would fail alike
        await _defer(runtime, email, f"{type(error).__name__}: {error}", retry)
        raise
    except Exception as error:
        # Something about this e-mail alone (the server does not do SMTPUTF8, say): it waits
        # out its own backoff; the queue is not held up for it.
        return await _defer(runtime, email, f"{type(error).__name__}: {error}", retry)
    await _mark_sent(runtime, email)


async def _claim(runtime: ServiceRuntime, email: OutgoingEmail, retry: RetryPolicy) -> bool:
    """Replicas of this service each run a sender over one queue (PostgreSQL): the claim makes
    one of them send each e-mail. A SQLite file has one process, hence one sender."""
    if runtime.db.is_sqlite:
        return True
    now = retry.clock.now()
    async with runtime.db.engine.begin() as conn:
        return await EmailRepository(conn).claim(email, now, now + SENDING_CLAIM)


async def _mark_sent(runtime: ServiceRuntime, email: OutgoingEmail) -> None:
    async with runtime.uow(correlation_id=email.correlation_id) as uow:
        await EmailRepository(uow.conn).mark_sent(email.email_id, uow.now(), email.template in SECRET_TEMPLATES)
        await uow.publish(EmailSent(
            email_id=email.email_id, template=email.template, locale=email.locale,
            recipient_id=email.recipient_id, subscription_id=email.subscription_id,
            caused_by=email.caused_by, sent_at=uow.now()))
        await uow.commit()


async def _reject(runtime: ServiceRuntime, email: OutgoingEmail, reason: str) -> None:
    """R34: recorded and reported once, never retried."""
    async with runtime.uow(correlation_id=email.correlation_id) as uow:
        await EmailRepository(uow.conn).mark_rejected(email.email_id, uow.now(), reason,
                                                      email.template in SECRET_TEMPLATES)
        await uow.publish(_rejected(email, reason, uow.now()))
        await uow.commit()
    _log_rejection(email, reason)


async def _defer(runtime: ServiceRuntime, email: OutgoingEmail, error: str, retry: RetryPolicy) -> None:
    attempts = email.attempts + 1
    at = next_attempt_at(retry.clock.now(), attempts, retry.first, retry.longest)
    async with runtime.uow() as uow:
        await EmailRepository(uow.conn).defer(email.email_id, error, at)
        await uow.commit()
    log.warning("e-mail %s (%s) attempt %d failed (%s); next attempt at %s", email.email_id,
                email.template, attempts, error, at.isoformat())


async def run_sender(runtime: ServiceRuntime, mailer: Mailer, retry: RetryPolicy = RetryPolicy(),
                     poll_seconds: float = 0.5) -> None:
    """An SMTP outage delays mail, it never loses it: each e-mail waits out its own backoff,
    and an unreachable server backs the whole loop off too."""
    try:
        await drive(lambda: deliver_pending(runtime, mailer, retry), _sender_wakeup, poll_seconds=poll_seconds,
                    log=log, what="sending e-mail", max_backoff=30.0)
    finally:
        await mailer.close()  # on shutdown: QUIT the kept SMTP connection
