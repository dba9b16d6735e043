"""The sender: delivers each queued e-mail once, oldest first (those someone waits on before),
telling a temporary failure (retried, ever later) from a permanent one (recorded, reported once).

Replicas of this service each run a sender over one queue; a claim makes one of them send
each e-mail. Nothing here logs an e-mail's text, its facts or its address: a verification
e-mail carries a single-use link. Logs name e-mails by id and recipients by person id.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from contracts.notifications import EmailSent
from notifications.adapters.mailer import Attachment, Mailer, PermanentlyRejected, TemporarilyRefused
from notifications.domain.emails import SECRET_TEMPLATES, OutgoingEmail, rejected
from notifications.domain.sending import next_attempt_at
from notifications.store.uow import NotificationsUnitOfWork
from servicekit.clock import Clock, SystemClock
from servicekit.loops import drive
from servicekit.runtime import ServiceRuntime

log = logging.getLogger("notifications.sender")

# How long a sender holds an e-mail it is sending (far above the SMTP timeout). A process that
# dies holding one leaves it to a later round once the claim runs out: delayed, not lost.
SENDING_CLAIM = timedelta(minutes=2)

Notifications = ServiceRuntime[NotificationsUnitOfWork]

_sender_wakeup = asyncio.Event()


def wake_sender() -> None:
    """Something is due now (an e-mail queued, an operator's retry-now): no need to wait for the next poll."""
    _sender_wakeup.set()


def log_rejection(email: OutgoingEmail, reason: str) -> None:
    log.error(
        "e-mail %s (%s) to person %s rejected for good: %s", email.email_id, email.template, email.recipient_id, reason
    )


@dataclass(frozen=True)
class RetryPolicy:
    """When a temporarily failing e-mail is tried again, on a real-time clock: a frozen or
    travelling test clock must neither stall retries nor fire them all at once."""

    clock: Clock = field(default_factory=SystemClock)
    first: timedelta = timedelta(seconds=0.4)
    longest: timedelta = timedelta(minutes=5)


async def make_due_now(uow: NotificationsUnitOfWork) -> int:
    """After an SMTP outage is fixed: every pending e-mail is due at once (rejected ones stay
    rejected); the sender is woken once this commits. Returns how many."""
    due = await uow.emails.retry_now()
    uow.after_commit(wake_sender)
    return due


async def deliver_pending(runtime: Notifications, mailer: Mailer, retry: RetryPolicy | None = None) -> int:
    """Send the e-mails whose turn has come, oldest first. Returns how many were handled;
    raises when the server cannot be reached, which stops the batch."""
    retry = retry or RetryPolicy()
    uow = runtime.uow()  # not `as uow`: the kit's __aenter__ is typed as the base UnitOfWork
    async with uow:
        due = await uow.emails.due(retry.clock.now(), limit=100)
    if not due:
        await mailer.close_if_idle()
        return 0
    for email in due:
        await _deliver_one(runtime, mailer, email, retry)
    return len(due)


async def _attachment(runtime: Notifications, email: OutgoingEmail) -> Attachment | None:
    """The invoice's PDF an e-mail carries (issue 15, item 3), read when it is sent: the
    document is kept until its e-mails are sent."""
    if not email.attached or email.document_id is None:
        return None
    uow = runtime.uow()
    async with uow:
        document = await uow.documents.get(email.document_id)
    if document is None or document.content is None:
        log.error("e-mail %s goes without the PDF of invoice %s: it is not kept", email.email_id, email.document_id)
        return None
    return Attachment(document.filename, document.content)


async def _deliver_one(runtime: Notifications, mailer: Mailer, email: OutgoingEmail, retry: RetryPolicy) -> None:
    if not await _claim(runtime, email, retry):
        return  # another replica's sender has it
    try:
        await mailer.send(email, await _attachment(runtime, email))
    except PermanentlyRejected as rejection:  # a 5xx, or an e-mail that cannot be composed
        await _reject(runtime, email, str(rejection))
    except TemporarilyRefused as refusal:
        await _defer(runtime, email, str(refusal), retry)
    except OSError as error:  # the server is unreachable, hung up or timed out: every e-mail would fail alike
        await _defer(runtime, email, f"{type(error).__name__}: {error}", retry)
        raise
    except Exception as error:  # noqa: BLE001 - about this e-mail alone, as below
        # Something about this e-mail alone (the server does not do SMTPUTF8, say): it waits
        # out its own backoff; the queue is not held up for it.
        await _defer(runtime, email, f"{type(error).__name__}: {error}", retry)
    else:
        await _mark_sent(runtime, email)


async def _claim(runtime: Notifications, email: OutgoingEmail, retry: RetryPolicy) -> bool:
    """Replicas of this service each run a sender over one queue (PostgreSQL): the claim makes
    one of them send each e-mail. A SQLite file has one process, hence one sender."""
    if runtime.db.is_sqlite:
        return True
    now = retry.clock.now()
    uow = runtime.uow()
    async with uow:
        taken = await uow.emails.claim(email, now, now + SENDING_CLAIM)
        await uow.commit()
    return taken


async def _mark_sent(runtime: Notifications, email: OutgoingEmail) -> None:
    uow = runtime.uow(correlation_id=email.correlation_id)
    async with uow:
        await uow.emails.mark_sent(email.email_id, uow.now(), email.template in SECRET_TEMPLATES)
        if email.document_id is not None:
            await uow.documents.forget_if_done(email.document_id)
        await uow.publish(
            EmailSent(
                email_id=email.email_id,
                template=email.template,
                locale=email.locale,
                recipient_id=email.recipient_id,
                subscription_id=email.subscription_id,
                caused_by=email.caused_by,
                sent_at=uow.now(),
            )
        )
        await uow.commit()


async def _reject(runtime: Notifications, email: OutgoingEmail, reason: str) -> None:
    """R34: recorded and reported once, never retried."""
    uow = runtime.uow(correlation_id=email.correlation_id)
    async with uow:
        await uow.emails.mark_rejected(email.email_id, uow.now(), reason, email.template in SECRET_TEMPLATES)
        if email.document_id is not None:
            await uow.documents.forget_if_done(email.document_id)
        await uow.publish(rejected(email, reason, uow.now()))
        await uow.commit()
    log_rejection(email, reason)


async def _defer(runtime: Notifications, email: OutgoingEmail, error: str, retry: RetryPolicy) -> None:
    attempts = email.attempts + 1
    at = next_attempt_at(retry.clock.now(), attempts, retry.first, retry.longest)
    uow = runtime.uow()
    async with uow:
        await uow.emails.defer(email.email_id, error, at)
        await uow.commit()
    log.warning(
        "e-mail %s (%s) attempt %d failed (%s); next attempt at %s",
        email.email_id,
        email.template,
        attempts,
        error,
        at.isoformat(),
    )


async def run_sender(
    runtime: Notifications, mailer: Mailer, retry: RetryPolicy | None = None, poll_seconds: float = 0.5
) -> None:
    """An SMTP outage delays mail, it never loses it: each e-mail waits out its own backoff,
    and an unreachable server backs the whole loop off too."""
    try:
        await drive(
            lambda: deliver_pending(runtime, mailer, retry),
            _sender_wakeup,
            poll_seconds=poll_seconds,
            log=log,
            what="sending e-mail",
            max_backoff=30.0,
        )
    finally:
        await mailer.close()  # on shutdown: QUIT the kept SMTP connection
