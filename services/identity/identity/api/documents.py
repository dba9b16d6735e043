"""Account verification documents (R44, refining R3): the customer type, what it requires, the
uploads (administrators of the account), and the operators' decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from identity.api.deps import OpenSessionCaller
from identity.api.schemas import ADMINISTRATOR, OPERATOR, CommandAnswer, Id
from identity.domain.accounts import Account, CustomerType
from identity.domain.documents import (
    DATED,
    MAX_DOCUMENT_BYTES,
    MAX_REASON_LENGTH,
    REQUIRED,
    Document,
    DocumentKind,
    required_documents,
)
from identity.handlers import documents
from identity.handlers.documents import Upload
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.deps import REQUIRES_OPERATOR, Commands
from servicekit.runtime import Runtime

router = APIRouter(tags=["verification documents"])
ops_router = APIRouter(prefix="/ops", tags=["operations"], dependencies=[REQUIRES_OPERATOR])

FILES = (
    f"PDF, JPEG or PNG, told by the file's content (not its name or declared type), at most "
    f"{MAX_DOCUMENT_BYTES // 2**20} MB."
)
BINARY: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        "description": "The file's bytes, as uploaded.",
    }
}
# Never rendered by a browser: a file that is both a PDF and HTML must not run as a page.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
}


class DocumentView(BaseModel):
    document_id: str
    kind: DocumentKind
    filename: str = Field(description="As uploaded, without any path; for display only.")
    media_type: str = Field(description="Told by the content: application/pdf, image/jpeg or image/png.")
    size: int
    uploaded_at: datetime
    issued_on: date | None = Field(description="The company register extract's issue date (R44).")
    status: str = Field(description="uploaded (waiting for an operator), accepted or refused (R44).")
    decided_at: datetime | None
    refusal_reason: str | None = Field(description="Why an operator refused it: what to send instead.")

    @classmethod
    def of(cls, d: Document) -> DocumentView:
        return cls(
            document_id=d.id,
            kind=d.kind,
            filename=d.filename,
            media_type=d.media_type.value,
            size=d.size,
            uploaded_at=d.uploaded_at,
            issued_on=d.issued_on,
            status=d.status.value,
            decided_at=d.decided_at,
            refusal_reason=d.refusal_reason,
        )


class RequiredDocument(BaseModel):
    kind: DocumentKind
    dated: bool = Field(description="The upload states `issued_on`; it must be under 3 months old (R44).")
    document: DocumentView | None = Field(description="The current upload of this kind, if any.")


class DocumentsView(BaseModel):
    account_id: str
    status: str = Field(description="The account's verification status (R3), as `GET /accounts/{id}`.")
    verification_deadline: datetime = Field(description="Documents are due by then: 60 days (R3).")
    customer_type: CustomerType | None = Field(description="Null until chosen; it decides the documents (R44).")
    customer_types: dict[CustomerType, list[DocumentKind]] = Field(description="What each type requires (R44).")
    required: list[RequiredDocument] = Field(description="The documents the account's type requires, in order.")
    others: list[DocumentView] = Field(description="Uploads of kinds the current type does not require.")

    @classmethod
    def of(cls, account: Account, found: list[Document]) -> DocumentsView:
        required = required_documents(account.customer_type)
        by_kind = {d.kind: d for d in found}
        return cls(
            account_id=account.id,
            status=account.status.value,
            verification_deadline=account.verification_deadline,
            customer_type=account.customer_type,
            customer_types={t: list(kinds) for t, kinds in REQUIRED.items()},
            required=[
                RequiredDocument(
                    kind=k, dated=k in DATED, document=DocumentView.of(by_kind[k]) if k in by_kind else None
                )
                for k in required
            ],
            others=[DocumentView.of(d) for d in found if d.kind not in required],
        )


class DocumentsAnswer(DocumentsView, CommandAnswer):
    """The account's documents after the command."""


class DocumentAnswer(DocumentView, CommandAnswer):
    """The document uploaded."""


class CustomerTypeRequest(BaseModel):
    customer_type: CustomerType


class RefusalRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=MAX_REASON_LENGTH, description="Shown to the customer.")


@router.get(
    "/accounts/{account_id}/documents",
    response_model=DocumentsView,
    summary="The verification documents the account's type requires, and their status (R3, R44)",
    description=ADMINISTRATOR,
)
async def read_documents(account_id: Id, caller: OpenSessionCaller, runtime: Runtime) -> DocumentsView:
    async with runtime.uow() as uow:
        return DocumentsView.of(*await documents.documents_of(caller, account_id, uow))


@router.put(
    "/accounts/{account_id}/customer-type",
    response_model=DocumentsAnswer,
    summary="Choose the customer type, which decides the documents (R44)",
    description=f"{ADMINISTRATOR} Refused (409) once the account is verified.",
)
async def choose_customer_type(
    account_id: Id, body: CustomerTypeRequest, request: Request, caller: OpenSessionCaller, commands: Commands
) -> Any:
    async def act(uow: IdentityUnitOfWork) -> DocumentsView:
        return DocumentsView.of(*await documents.choose_customer_type(caller, account_id, body.customer_type, uow))

    return await commands.run(request, caller, body, act)


@router.post(
    "/accounts/{account_id}/documents/{kind}",
    status_code=201,
    response_model=DocumentAnswer,
    summary="Upload one required document (R44)",
    description=f"{ADMINISTRATOR} `multipart/form-data`: `file`, and `issued_on` (YYYY-MM-DD) for "
    f"the company register extract, which must be under 3 months old. {FILES} A new upload "
    "replaces one of the same kind not yet accepted (422 `document_type_not_accepted`, "
    "`document_too_large`, `document_too_old`, `document_not_required`; 409 once accepted).",
)
async def upload_document(
    account_id: Id,
    kind: DocumentKind,
    file: Annotated[UploadFile, File()],
    request: Request,
    caller: OpenSessionCaller,
    commands: Commands,
    issued_on: Annotated[date | None, Form()] = None,
) -> Any:
    content = await file.read(MAX_DOCUMENT_BYTES + 1)  # one byte more tells "too large"
    upload = Upload(kind, file.filename or "", content, issued_on)

    async def act(uow: IdentityUnitOfWork) -> DocumentView:
        return DocumentView.of(await documents.upload(caller, account_id, upload, uow))

    return await commands.run(request, caller, None, act, status_code=201)


def _download(content: bytes) -> Response:
    return Response(
        content,
        media_type="application/octet-stream",
        headers={**DOWNLOAD_HEADERS, "Content-Disposition": "attachment"},
    )


@router.get(
    "/accounts/{account_id}/documents/{document_id}/content",
    response_class=Response,
    responses=BINARY,
    summary="The uploaded file, as an attachment (R44)",
    description=f"{ADMINISTRATOR} Always `application/octet-stream`, `nosniff`, as an attachment.",
)
async def read_content(account_id: Id, document_id: Id, caller: OpenSessionCaller, runtime: Runtime) -> Response:
    async with runtime.uow() as uow:
        return _download(await documents.content_of(caller, account_id, document_id, uow))


@ops_router.get(
    "/accounts/{account_id}/documents",
    response_model=DocumentsView,
    summary="An account's documents, to review (R44)",
    description=OPERATOR,
)
async def review_documents(account_id: Id, runtime: Runtime) -> DocumentsView:
    async with runtime.uow() as uow:
        return DocumentsView.of(*await documents.for_operator(account_id, uow))


@ops_router.get(
    "/accounts/{account_id}/documents/{document_id}/content",
    response_class=Response,
    responses=BINARY,
    summary="An uploaded file, to review (R44)",
    description=f"{OPERATOR} Always `application/octet-stream`, `nosniff`, as an attachment.",
)
async def review_content(account_id: Id, document_id: Id, runtime: Runtime) -> Response:
    async with runtime.uow() as uow:
        return _download(await documents.content_of(None, account_id, document_id, uow))


@ops_router.post(
    "/accounts/{account_id}/documents/{document_id}/acceptance",
    response_model=DocumentsAnswer,
    summary="Accept a document; all required accepted → the account is verified (R44, R3)",
    description=OPERATOR,
)
async def accept_document(account_id: Id, document_id: Id, request: Request, commands: Commands) -> Any:
    async def act(uow: IdentityUnitOfWork) -> DocumentsView:
        return DocumentsView.of(*await documents.decide(account_id, document_id, None, uow))

    return await commands.run(request, None, None, act)


@ops_router.post(
    "/accounts/{account_id}/documents/{document_id}/refusal",
    response_model=DocumentsAnswer,
    summary="Refuse a document, saying why; the customer uploads another (R44)",
    description=OPERATOR,
)
async def refuse_document(
    account_id: Id, document_id: Id, body: RefusalRequest, request: Request, commands: Commands
) -> Any:
    async def act(uow: IdentityUnitOfWork) -> DocumentsView:
        return DocumentsView.of(*await documents.decide(account_id, document_id, body.reason, uow))

    return await commands.run(request, None, body, act)
