"""Issue 15, item 3: the invoice e-mail carries the invoice's PDF, printed by billing and
published on `billing.documents.v1`. The e-mail is held until its document comes (in either
order), goes with the link only when the PDF is too large or late, and a document whose bytes
do not match its hash is refused. Through the real consumer, scheduler and sender, against a
real SMTP server."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from email import policy
from email.parser import BytesParser

from sqlalchemy import select

from contracts import testing
from notifications.store.tables import invoice_documents

from .samples import invoice, purchased

NUMBER = "BE-INV-2026-000042"  # the invoice sample's
PDF = b"%PDF-1.7\n% " + NUMBER.encode() + b"\n%%EOF\n"
HOLD = timedelta(minutes=30)  # the default setting


def document(content: bytes | None = PDF, **overrides):
    """The invoice sample's document as billing publishes it."""
    fields = dict(invoice_id="inv-1", number=NUMBER, filename=f"{NUMBER}.pdf")
    if content is not None:
        fields.update(
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content_base64=base64.b64encode(content).decode(),
        )
    else:
        fields.update(size_bytes=700 * 1024, sha256="0" * 64, content_base64=None)
    return testing.invoice_printed(**{**fields, **overrides})


def attachments(mail) -> list[tuple[str, str, bytes]]:
    """(filename, media type, bytes) of each attachment of a received e-mail."""
    message = BytesParser(policy=policy.default).parsebytes(mail.path.read_bytes())
    return [(a.get_filename(), a.get_content_type(), a.get_content()) for a in message.iter_attachments()]


def invoice_mails(sink):
    return [m for m in sink.received() if m.template == "invoice_issued"]


async def invoice_emails(notifications):
    return [e for e in await notifications.emails() if e.template == "invoice_issued"]


async def kept_documents(notifications) -> list[str]:
    async with notifications.runtime.db.connect() as conn:
        return list((await conn.execute(select(invoice_documents.c.invoice_id))).scalars())


async def test_issue15_an_invoice_email_is_held_until_its_pdf_comes_then_carries_it(notifications, sink):
    await notifications.consume(purchased(), invoice())
    await notifications.send_round()
    [held] = await invoice_emails(notifications)
    assert (held.status, held.document_id, held.attached) == ("held", "inv-1", True)
    assert invoice_mails(sink) == []

    await notifications.consume(document())
    await notifications.send_round()

    [mail] = invoice_mails(sink)
    assert attachments(mail) == [(f"{NUMBER}.pdf", "application/pdf", PDF)]
    assert "The PDF is attached to this e-mail." in mail.text and "http://billing/invoices/inv-1" in mail.text
    assert [e.status for e in await invoice_emails(notifications)] == ["sent"]
    assert await kept_documents(notifications) == []  # its e-mails are sent: the PDF is not kept
    assert await notifications.pending_jobs() == []  # the hold's deadline went with it


async def test_issue15_a_document_that_comes_before_its_invoice_is_kept_and_attached(notifications, sink):
    await notifications.consume(purchased(), document())
    assert await kept_documents(notifications) == ["inv-1"]

    await notifications.consume(invoice())
    [email] = await invoice_emails(notifications)
    assert (email.status, email.attached) == ("pending", True)
    await notifications.send_round()

    [mail] = invoice_mails(sink)
    assert attachments(mail) == [(f"{NUMBER}.pdf", "application/pdf", PDF)]
    assert await kept_documents(notifications) == []


async def test_issue15_an_email_held_past_its_time_goes_with_the_link_only(notifications, sink):
    await notifications.consume(purchased(), invoice())
    notifications.clock.advance(HOLD - timedelta(seconds=1))
    await notifications.fire_due()
    assert [e.status for e in await invoice_emails(notifications)] == ["held"]

    notifications.clock.advance(timedelta(seconds=1))
    await notifications.fire_due()
    await notifications.send_round()

    [mail] = invoice_mails(sink)
    assert attachments(mail) == []
    assert "download it from the link below" in mail.text and "http://billing/invoices/inv-1" in mail.text
    assert "attached to this e-mail" not in mail.html and 'href="http://billing/invoices/inv-1"' in mail.html
    await notifications.consume(document())  # too late: nothing is kept for nobody
    assert await kept_documents(notifications) == [] and len(invoice_mails(sink)) == 1


async def test_issue15_a_pdf_too_large_to_carry_releases_the_email_with_the_link_only(notifications, sink):
    await notifications.consume(purchased(), invoice(), document(content=None))
    await notifications.send_round()

    [mail] = invoice_mails(sink)
    assert attachments(mail) == [] and "download it from the link below" in mail.text
    assert await kept_documents(notifications) == []


async def test_issue15_the_buyers_invoicing_address_gets_the_invoice_and_its_pdf_too(notifications, sink):
    to_accounting = invoice().model_copy(
        update={"invoicing_email": "compta@acme.example", "buyer_name": "Acme SA", "language": "fr"}
    )
    await notifications.consume(purchased(), to_accounting, document())
    await notifications.send_round()

    mails = sorted(invoice_mails(sink), key=lambda m: m.to)
    assert [m.to for m in mails] == ["ada@example.com", "compta@acme.example"]
    assert [attachments(m) for m in mails] == [[(f"{NUMBER}.pdf", "application/pdf", PDF)]] * 2
    assert mails[1].language == "fr" and "Bonjour Acme SA" in mails[1].text
    assert await kept_documents(notifications) == []  # once both are sent


async def test_issue15_an_invoicing_address_that_is_the_administrators_gets_one_email(notifications, sink):
    same = invoice().model_copy(update={"invoicing_email": "ADA@example.com"})
    await notifications.consume(purchased(), same, document())
    await notifications.send_round()
    assert [m.to for m in invoice_mails(sink)] == ["ada@example.com"]


async def test_issue15_a_document_whose_bytes_do_not_match_its_sha256_is_refused(notifications, sink):
    await notifications.consume(purchased(), invoice())
    forged = document(content_base64=base64.b64encode(b"%PDF-1.7\n% something else\n").decode())

    await notifications.consume(forged)

    assert notifications.dead_letter_reasons == ["inconsistent"]
    assert "sha256" in notifications.dead_letters[0].error or "size" in notifications.dead_letters[0].error
    assert [e.status for e in await invoice_emails(notifications)] == ["held"]  # still waiting for the real one
    assert await kept_documents(notifications) == []


async def test_issue15_a_document_of_another_account_or_number_is_refused(notifications, sink):
    await notifications.consume(purchased(), invoice())
    await notifications.consume(document(account_id="a-evil"))
    await notifications.consume(document(number="BE-INV-2026-000099", filename="BE-INV-2026-000099.pdf"))
    assert notifications.dead_letter_reasons == ["inconsistent", "inconsistent"]
    assert [e.status for e in await invoice_emails(notifications)] == ["held"]


async def test_issue15_replaying_the_invoice_and_its_document_changes_nothing(notifications, sink):
    envelopes = await notifications.consume(purchased(), invoice(), document())
    await notifications.send_round()
    before = [(e.email_id, e.status) for e in await notifications.emails()]

    await notifications.consume(envelopes=envelopes)
    await notifications.restart()
    await notifications.consume(envelopes=envelopes)

    assert await notifications.send_round() == 0
    assert [(e.email_id, e.status) for e in await notifications.emails()] == before
    assert len(invoice_mails(sink)) == 1 and await kept_documents(notifications) == []


def test_issue15_the_mailer_refuses_an_attachment_name_that_would_break_its_header(notifications):
    import pytest

    from notifications.adapters.mailer import Attachment, CannotCompose
    from notifications.domain.emails import OutgoingEmail

    email = OutgoingEmail("e-1", "c-1", "invoice_issued", "en", "p-1", "ada@example.com", "a-1", "c", "S", "t", "h")
    with pytest.raises(CannotCompose, match="plain file name"):
        notifications.mailer.compose(email, Attachment('x.pdf"\r\nBcc: eve@example.com', PDF))
    message = notifications.mailer.compose(email, Attachment(f"{NUMBER}.pdf", PDF))
    assert message["Content-Language"] == "en" and message.get_content_type() == "multipart/mixed"
