"""The invoice PDF an invoice e-mail carries (issue 15, item 3): what billing's
`billing.invoice_printed` says, believed only as far as it can be checked. Pure."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

from contracts.billing import MAX_ATTACHED_PDF_BYTES, InvoicePrinted
from contracts.errors import InconsistentEvent

INVOICE_EMAIL = "invoice_issued"
MEDIA_TYPE = "application/pdf"
DEFAULT_HOLD = timedelta(minutes=30)
# A filename goes into a MIME header: letters, digits and a few marks, and `.pdf`.
_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}\.pdf")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class InvoiceDocument:
    """An invoice's PDF as kept until its e-mails are sent; `content` None: too large to carry
    (the e-mail then has the link only)."""

    invoice_id: str
    account_id: str
    number: str
    filename: str
    sha256: str
    size_bytes: int
    content: bytes | None


def document_of(event: InvoicePrinted) -> InvoiceDocument:
    """The document, once every claim the event makes about it is checked; raises
    InconsistentEvent otherwise (a corrupted or forged document is refused, never attached)."""
    if event.media_type != MEDIA_TYPE:
        raise InconsistentEvent(f"an invoice document must be {MEDIA_TYPE}, not {event.media_type!r}")
    if event.filename != f"{event.number}.pdf" or not _FILENAME.fullmatch(event.filename):
        raise InconsistentEvent("an invoice document's filename must be its number and .pdf, in plain characters")
    if not _SHA256.fullmatch(event.sha256):
        raise InconsistentEvent("an invoice document's sha256 must be 64 lower-case hex digits")
    if event.content_base64 is None:
        return _document(event, None)
    # The encoded length first: decoding an oversized record would cost memory for nothing.
    if len(event.content_base64) > 4 * (MAX_ATTACHED_PDF_BYTES // 3 + 1):
        raise InconsistentEvent(f"an attached invoice document is at most {MAX_ATTACHED_PDF_BYTES} bytes")
    try:
        content = base64.b64decode(event.content_base64, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InconsistentEvent("an invoice document's content is not base64") from error
    if len(content) != event.size_bytes or len(content) > MAX_ATTACHED_PDF_BYTES:
        raise InconsistentEvent("an invoice document's content does not have the size it claims")
    if hashlib.sha256(content).hexdigest() != event.sha256:
        raise InconsistentEvent("an invoice document's content does not match its sha256")
    if not content.startswith(b"%PDF-"):
        raise InconsistentEvent("an invoice document's content is not a PDF")
    return _document(event, content)


def _document(event: InvoicePrinted, content: bytes | None) -> InvoiceDocument:
    return InvoiceDocument(
        invoice_id=event.invoice_id,
        account_id=event.account_id,
        number=event.number,
        filename=event.filename,
        sha256=event.sha256,
        size_bytes=event.size_bytes,
        content=content,
    )


def belongs_to(document: InvoiceDocument, account_id: str, number: str) -> bool:
    """Whether a document is the one of this invoice: same account, same number."""
    return document.account_id == account_id and document.number == number


def hold_job_id(invoice_id: str) -> str:
    """The due job that sends an invoice's e-mails without their PDF when it is late."""
    return f"invoice-pdf-hold:{invoice_id}"


HOLD_EXPIRED = "invoice_pdf_hold_expired"
