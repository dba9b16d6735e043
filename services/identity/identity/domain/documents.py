"""Account verification documents (R44, refining R3): which documents a customer type
requires, what an uploaded file must be, and the operator's decision on each.

The customer (an administrator of the account) chooses the account's type and uploads each
required document; an operator accepts or refuses each one (with a reason); once every
document its type requires is accepted, the account is verified (R3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from contracts.errors import Refusal, RuleViolation
from identity.domain.accounts import Account, AccountStatus, CustomerType

MAX_DOCUMENT_BYTES = 10 * 2**20
MAX_FILENAME_LENGTH = 200
MAX_REASON_LENGTH = 500
EXTRACT_MAX_AGE = timedelta(days=92)  # "under 3 months" (R44): three months at their longest


class DocumentKind(str, Enum):
    COMPANY_REGISTER_EXTRACT = "company_register_extract"
    DIRECTOR_ID = "director_id"
    SIRENE_NOTICE = "sirene_notice"
    ID_DOCUMENT = "id_document"
    STUDENT_CARD = "student_card"


REQUIRED: dict[CustomerType, tuple[DocumentKind, ...]] = {
    CustomerType.DESIGN_OFFICE: (DocumentKind.COMPANY_REGISTER_EXTRACT, DocumentKind.DIRECTOR_ID),
    CustomerType.CONTRACTOR_ENGINEER: (DocumentKind.SIRENE_NOTICE, DocumentKind.ID_DOCUMENT),
    CustomerType.STUDENT: (DocumentKind.STUDENT_CARD,),
}
"""R44 (Hilti FAQ): what each customer type sends."""

DATED: frozenset[DocumentKind] = frozenset({DocumentKind.COMPANY_REGISTER_EXTRACT})
"""Documents whose issue date the uploader states, and which must be under 3 months old (R44)."""


class MediaType(str, Enum):
    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"


# What the file's first bytes must be: the name and the browser's declared type prove nothing.
SIGNATURES: tuple[tuple[bytes, MediaType], ...] = (
    (b"%PDF-", MediaType.PDF),
    (b"\xff\xd8\xff", MediaType.JPEG),
    (b"\x89PNG\r\n\x1a\n", MediaType.PNG),
)


class DocumentStatus(str, Enum):
    UPLOADED = "uploaded"
    ACCEPTED = "accepted"
    REFUSED = "refused"


def required_documents(customer_type: CustomerType | None) -> tuple[DocumentKind, ...]:
    return REQUIRED[customer_type] if customer_type is not None else ()


def media_type_of(content: bytes) -> MediaType:
    """R44: PDF, JPEG or PNG, told by the content itself."""
    if not content:
        raise RuleViolation(
            "document_empty", "The file is empty; choose the scanned document.", rule="R44", refusal=Refusal.INVALID
        )
    if len(content) > MAX_DOCUMENT_BYTES:
        raise RuleViolation(
            "document_too_large",
            f"A document is at most {MAX_DOCUMENT_BYTES // 2**20} MB; scan it at a lower resolution.",
            rule="R44",
            refusal=Refusal.INVALID,
        )
    for signature, media_type in SIGNATURES:
        if content.startswith(signature):
            return media_type
    raise RuleViolation(
        "document_type_not_accepted",
        "A document must be a PDF, JPEG or PNG file (its content, whatever its name).",
        rule="R44",
        refusal=Refusal.INVALID,
    )


def safe_filename(name: str) -> str:
    """The name as the uploader called it, for display only: no path, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return cleaned[:MAX_FILENAME_LENGTH] or "document"


def ensure_may_provide_documents(account: Account) -> None:
    """R3: documents are for an account waiting for verification. A lapsed account may still
    send them: an operator may accept late documents (the account was only waiting)."""
    if account.status is AccountStatus.VERIFIED:
        raise RuleViolation(
            "account_already_verified", "This account's documents were already accepted (R3).", rule="R3"
        )
    if account.status is AccountStatus.WITHDRAWN:
        raise RuleViolation("account_withdrawn", "This account was withdrawn (R1).", rule="R1")


def choose_customer_type(account: Account, customer_type: CustomerType) -> None:
    """R44: the type decides the documents; it is fixed once the account is verified."""
    ensure_may_provide_documents(account)
    account.customer_type = customer_type


@dataclass
class Document:
    id: str
    account_id: str
    kind: DocumentKind
    filename: str
    media_type: MediaType
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str
    issued_on: date | None = None
    status: DocumentStatus = DocumentStatus.UPLOADED
    decided_at: datetime | None = None
    refusal_reason: str | None = None

    def accept(self, now: datetime) -> None:
        """R44: an operator found it valid."""
        self._ensure_undecided()
        self.status, self.decided_at, self.refusal_reason = DocumentStatus.ACCEPTED, now, None

    def refuse(self, reason: str, now: datetime) -> None:
        """R44: an operator refused it; the reason tells the customer what to send instead."""
        self._ensure_undecided()
        if not reason.strip():
            raise RuleViolation(
                "refusal_reason_missing",
                "Say why the document is refused: the customer reads it.",
                rule="R44",
                refusal=Refusal.INVALID,
            )
        self.status, self.decided_at, self.refusal_reason = DocumentStatus.REFUSED, now, reason.strip()

    def _ensure_undecided(self) -> None:
        if self.status is not DocumentStatus.UPLOADED:
            raise RuleViolation(
                "document_already_decided",
                f"This document was already {self.status.value}; the customer uploads a new one to change it.",
                rule="R44",
            )


def new_document(
    document_id: str,
    account: Account,
    kind: DocumentKind,
    current: Document | None,
    filename: str,
    content_type: MediaType,
    size: int,
    sha256: str,
    issued_on: date | None,
    uploaded_by: str,
    now: datetime,
) -> Document:
    """R44: a document the account's type requires, replacing one not yet accepted (a refused
    one is sent again; an undecided one corrected). The company register extract must be
    under 3 months old."""
    ensure_may_provide_documents(account)
    if kind not in required_documents(account.customer_type):
        raise RuleViolation(
            "document_not_required",
            "This document is not one your customer type requires (R44); choose the customer type first.",
            rule="R44",
            refusal=Refusal.INVALID,
        )
    if current is not None and current.status is DocumentStatus.ACCEPTED:
        raise RuleViolation(
            "document_already_accepted", "This document was already accepted; nothing to send again.", rule="R44"
        )
    if kind in DATED:
        if issued_on is None:
            raise RuleViolation(
                "issue_date_missing",
                "Give the date the extract was issued: it must be under 3 months old (R44).",
                rule="R44",
                refusal=Refusal.INVALID,
            )
        if issued_on > now.date() or now.date() - issued_on > EXTRACT_MAX_AGE:
            raise RuleViolation(
                "document_too_old",
                "The company register extract must be under 3 months old (R44); request a recent one.",
                rule="R44",
                refusal=Refusal.INVALID,
            )
    return Document(
        id=document_id,
        account_id=account.id,
        kind=kind,
        filename=safe_filename(filename),
        media_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_at=now,
        uploaded_by=uploaded_by,
        issued_on=issued_on if kind in DATED else None,
    )


def all_required_accepted(account: Account, documents: list[Document]) -> bool:
    """R44 → R3: every document the account's type requires is accepted."""
    required = required_documents(account.customer_type)
    accepted = {d.kind for d in documents if d.status is DocumentStatus.ACCEPTED}
    return bool(required) and set(required) <= accepted
