"""Invoice PDFs (issue 15, item 3): billing's `billing.invoice_printed` releases the invoice
e-mails held for it, with the PDF attached, or with the link only when it is too large to
carry; e-mails held past their time go with the link only. A document that comes before its
invoice's e-mail is kept for it."""

from __future__ import annotations

import json
from datetime import timedelta

from contracts.billing import InvoicePrinted
from contracts.errors import InconsistentEvent
from notifications.domain.documents import document_of, hold_job_id
from notifications.domain.emails import OutgoingEmail
from notifications.handlers.emails import written_again
from notifications.handlers.sending import wake_sender
from notifications.store.uow import NotificationsUnitOfWork
from servicekit.scheduler import DueJob


async def keep_document(event: InvoicePrinted, uow: NotificationsUnitOfWork) -> None:
    """Checked first (size and hash against the content, a PDF, this invoice's account and
    number): a document that fails is refused as inconsistent and dead-lettered, never attached."""
    document = document_of(event)
    emails = await uow.emails.of_document(document.invoice_id)
    for email in emails:
        number = json.loads(email.facts).get("number") if email.facts else document.number
        if email.account_id != document.account_id or number != document.number:
            raise InconsistentEvent(f"the document of invoice {document.invoice_id} is not that invoice's")
    if not emails:  # before its invoice's e-mail: kept for it
        await uow.documents.keep(document, uow.now())
        return
    held = [email for email in emails if email.status == "held"]
    if not held:
        return  # they went already, with the link only: nothing to keep
    attached = document.content is not None
    if attached:
        await uow.documents.keep(document, uow.now())
    await _release(held, uow, attached=attached)
    await uow.cancel_job(hold_job_id(document.invoice_id))


async def send_without_document(job: DueJob, uow: NotificationsUnitOfWork) -> None:
    """The PDF is late (billing down, or a print failing): the e-mails go with the link only."""
    held = [email for email in await uow.emails.of_document(job.subject) if email.status == "held"]
    await _release(held, uow, attached=False)


async def _release(held: list[OutgoingEmail], uow: NotificationsUnitOfWork, *, attached: bool) -> None:
    for email in held:
        await uow.emails.release(written_again(email, attached=attached))
    if held:
        uow.after_commit(wake_sender)


DOCUMENTS_KEPT = timedelta(days=30)


async def forget_old_documents(uow: NotificationsUnitOfWork) -> int:
    """Housekeeping: documents whose invoice's e-mail never came, or went without them."""
    return await uow.documents.forget_older_than(uow.now() - DOCUMENTS_KEPT)
