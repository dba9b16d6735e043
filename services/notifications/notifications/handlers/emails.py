"""An event queues its e-mails: checked against what notifications knows, rendered, stored in
the event's own transaction; the sender (handlers.sending) then delivers each once.

Nothing here logs an e-mail's text, its facts or its address: a verification e-mail carries a
single-use link. Logs name e-mails by id and recipients by person id.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import timedelta

from contracts.envelope import Envelope, Event
from notifications.adapters.mailer import MAX_SUBJECT_LENGTH, header_problem
from notifications.adapters.rendering import render
from notifications.domain.access import administrator_named
from notifications.domain.consistency import check_agrees, subscriptions_concerned
from notifications.domain.documents import DEFAULT_HOLD, HOLD_EXPIRED, belongs_to, hold_job_id
from notifications.domain.emails import SECRET_TEMPLATES, EmailRequest, OutgoingEmail, emails_for, rejected
from notifications.handlers.sending import log_rejection, wake_sender
from notifications.store.uow import NotificationsUnitOfWork

log = logging.getLogger("notifications.emails")

MAX_EMAIL_COLUMN = 320  # store.tables.emails.recipient_email: a longer (so refused) address is kept cut


async def queue_emails(event: Event, uow: NotificationsUnitOfWork, hold: timedelta = DEFAULT_HOLD) -> None:
    """Rendered and stored in the event's own transaction: a replay finds them already there.
    An event that contradicts what notifications knows raises InconsistentEvent first, so that
    nothing of it is applied (the consumer dead-letters it). An invoice e-mail whose PDF has
    not come yet is held for it, `hold` at most."""
    cause = uow.cause
    assert cause is not None, "e-mails are queued by a consumed event, its cause"
    check_agrees(event, await uow.administrators.known_subscriptions(subscriptions_concerned(event)))
    if named := administrator_named(event, cause.time):
        await uow.administrators.note(named)
    for request in emails_for(event, cause.id):
        if request.document_id is None:
            email = _outgoing(request, cause, uow)
        else:
            email = await _with_document(request, request.document_id, cause, uow, hold)
        if await uow.emails.add_once(email, uow.now()) and email.status == "rejected":
            await uow.publish(rejected(email, email.last_error or "", uow.now()))
            log_rejection(email, email.last_error or "")
    uow.after_commit(wake_sender)


async def _with_document(
    request: EmailRequest, document_id: str, cause: Envelope, uow: NotificationsUnitOfWork, hold: timedelta
) -> OutgoingEmail:
    """Issue 15, item 3: with the invoice's PDF when it came already; with the link only when it
    came too large to carry (or is not this invoice's); else held until it comes, or `hold`."""
    document = await uow.documents.get(document_id)
    if document is None:
        email = _outgoing(request, cause, uow, attached=True)
        if email.status != "pending":
            return replace(email, document_id=document_id)
        await uow.schedule(hold_job_id(document_id), HOLD_EXPIRED, document_id, uow.now() + hold)
        return replace(email, status="held", document_id=document_id, attached=True, facts=json.dumps(request.facts))
    attach = document.content is not None and belongs_to(document, request.account_id, request.facts["number"])
    if document.content is not None and not attach:
        log.warning("the PDF kept for invoice %s is not this invoice's: its e-mail has the link only", document_id)
    email = _outgoing(request, cause, uow, attached=attach)
    return replace(email, document_id=document_id, attached=attach and email.status == "pending")


def written_again(email: OutgoingEmail, *, attached: bool) -> OutgoingEmail:
    """A held e-mail as it goes: with its PDF (as written), or written again with the link only."""
    if attached or email.facts is None:
        return replace(email, attached=attached, facts=None)
    try:
        rendered = render(email.template, email.locale, {**json.loads(email.facts), "attached": False})
    except Exception as error:  # noqa: BLE001 - it rendered when queued; its text stays as it was
        log.error("e-mail %s could not be written again (%s)", email.email_id, type(error).__name__)
        return replace(email, attached=False, facts=None)
    return replace(
        email,
        attached=False,
        facts=None,
        subject=rendered.subject[:MAX_SUBJECT_LENGTH],
        text=rendered.text,
        html=rendered.html,
    )


def _outgoing(
    request: EmailRequest, cause: Envelope, uow: NotificationsUnitOfWork, *, attached: bool = False
) -> OutgoingEmail:
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
        facts = {**request.facts, "attached": attached} if request.document_id else request.facts
        rendered = render(request.template, request.locale, facts)
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
