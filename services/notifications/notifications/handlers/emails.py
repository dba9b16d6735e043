"""An event queues its e-mails: checked against what notifications knows, rendered, stored in
the event's own transaction; the sender (handlers.sending) then delivers each once.

Nothing here logs an e-mail's text, its facts or its address: a verification e-mail carries a
single-use link. Logs name e-mails by id and recipients by person id.
"""

from __future__ import annotations

from dataclasses import replace

from contracts.envelope import Envelope, Event
from notifications.adapters.mailer import MAX_SUBJECT_LENGTH, header_problem
from notifications.adapters.rendering import render
from notifications.domain.access import administrator_named
from notifications.domain.consistency import check_agrees, subscriptions_concerned
from notifications.domain.emails import SECRET_TEMPLATES, EmailRequest, OutgoingEmail, emails_for, rejected
from notifications.handlers.sending import log_rejection, wake_sender
from notifications.store.uow import NotificationsUnitOfWork

MAX_EMAIL_COLUMN = 320  # store.tables.emails.recipient_email: a longer (so refused) address is kept cut


async def queue_emails(event: Event, uow: NotificationsUnitOfWork) -> None:
    """Rendered and stored in the event's own transaction: a replay finds them already there.
    An event that contradicts what notifications knows raises InconsistentEvent first, so that
    nothing of it is applied (the consumer dead-letters it)."""
    cause = uow.cause
    assert cause is not None, "e-mails are queued by a consumed event, its cause"
    check_agrees(event, await uow.administrators.known_subscriptions(subscriptions_concerned(event)))
    if named := administrator_named(event, cause.time):
        await uow.administrators.note(named)
    for request in emails_for(event, cause.id):
        email = _outgoing(request, cause, uow)
        if await uow.emails.add_once(email, uow.now()) and email.status == "rejected":
            await uow.publish(rejected(email, email.last_error or "", uow.now()))
            log_rejection(email, email.last_error or "")
    uow.after_commit(wake_sender)


def _outgoing(request: EmailRequest, cause: Envelope, uow: NotificationsUnitOfWork) -> OutgoingEmail:
    """Pending, or already rejected when it cannot be rendered or composed: such an e-mail is
    recorded and reported once, and never reaches the sender's queue."""
    email = OutgoingEmail(
        email_id=request.email_id,
        caused_by=cause.id,
        template=request.template,
        locale=request.locale,
        recipient_id=request.recipient.person_id,
        recipient_email=request.recipient.email[:MAX_EMAIL_COLUMN],
        subscription_id=request.subscription_id,
        account_id=request.account_id,
        correlation_id=cause.correlationid,
        subject="",
        text="",
        html="",
    )
    try:
        rendered = render(request.template, request.locale, request.facts)
    except Exception as error:  # noqa: BLE001 - a template fault must cost this e-mail alone
        return _rejected_at_once(email, f"the e-mail could not be rendered ({type(error).__name__})", uow)
    email = replace(email, subject=rendered.subject[:MAX_SUBJECT_LENGTH], text=rendered.text, html=rendered.html)
    if problem := header_problem(request.recipient.email, rendered.subject):
        return _rejected_at_once(email, problem, uow)
    return email


def _rejected_at_once(email: OutgoingEmail, reason: str, uow: NotificationsUnitOfWork) -> OutgoingEmail:
    secret = email.template in SECRET_TEMPLATES
    return replace(
        email,
        status="rejected",
        last_error=reason,
        rejected_at=uow.now(),
        text="" if secret else email.text,
        html="" if secret else email.html,
    )
