"""Operator routes for SEPA Direct Debit (issue 15, item 5): write the collection file of one
seller's pending collections, list the files, download one for the bank. They need the
operator token (`servicekit.http.deps.REQUIRES_OPERATOR`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from billing.api.deps import InvoicingDep
from billing.api.schemas import PAGES
from billing.handlers import collections
from billing.store.mandates import StoredCollection, StoredFile
from billing.store.uow import BillingUnitOfWork
from contracts.errors import not_found
from contracts.values import Money
from servicekit.http.deps import OPERATOR_ONLY, REQUIRES_OPERATOR, Commands
from servicekit.http.pagination import PageRequest, page_request, paged
from servicekit.runtime import Runtime

router = APIRouter(prefix="/ops/sepa", tags=["operations"], dependencies=[REQUIRES_OPERATOR])


class FileRequest(BaseModel):
    seller_id: str = Field(min_length=1, max_length=6, pattern=r"^[A-Z0-9]+$", description="The seller collecting.")


class FileSummary(BaseModel):
    file_id: str = Field(description="Also the pain.008 message id (`MsgId`): new to the bank for each file.")
    seller_id: str
    created_at: datetime
    collections: int
    total: Money
    sha256: str = Field(description="Of the file's bytes, as downloaded.")
    size_bytes: int
    download: str = Field(description="Where to download it (`application/xml`).")

    @classmethod
    def of(cls, file: StoredFile) -> FileSummary:
        return cls(
            file_id=file.file_id,
            seller_id=file.seller_id,
            created_at=file.created_at,
            collections=file.collections,
            total=Money(amount_minor=file.total_minor, currency=file.currency),
            sha256=file.sha256,
            size_bytes=file.size_bytes,
            download=f"{router.prefix}/collection-files/{file.file_id}.xml",
        )


class CollectionItem(BaseModel):
    invoice_id: str
    number: str = Field(description="The invoice number: the collection's EndToEndId, which the bank statement quotes.")
    amount: Money
    mandate_reference: str
    sequence: str = Field(description="`FRST` or `RCUR`.")
    due_on: date = Field(description="The invoice's due date.")
    collect_on: date | None = Field(description="The collection date asked of the bank.")
    note: str | None = Field(description="Why it was dropped.")

    @classmethod
    def of(cls, collection: StoredCollection) -> CollectionItem:
        return cls(
            invoice_id=collection.invoice_id,
            number=collection.number,
            amount=Money(amount_minor=collection.amount_minor, currency=collection.currency),
            mandate_reference=collection.mandate_reference,
            sequence=collection.sequence.value,
            due_on=collection.due_on,
            collect_on=collection.collect_on,
            note=collection.note,
        )


class FileView(FileSummary):
    collected: list[CollectionItem] = Field(description="The collections in the file.")
    dropped: list[CollectionItem] = Field(
        default_factory=list, description="Pending collections left out for good (paid meanwhile, mandate revoked)."
    )


@router.post(
    "/collection-files",
    response_model=FileView,
    status_code=201,
    summary="Write the SEPA Direct Debit file (pain.008) of a seller's pending collections",
    description=(
        f"{OPERATOR_ONLY} Every pending collection of the seller (recorded on its invoice's due date) is "
        "looked at again: one whose invoice was paid, voided or written off meanwhile, or whose mandate "
        "was revoked with no other given, is dropped; the others go into one file, each in no other "
        "file. 409 `nothing_to_collect` when none is left, `no_creditor_id` for a seller without a SEPA "
        "creditor identifier; 404 `seller_not_found`. Send an `Idempotency-Key`: a retry answers the same file."
    ),
)
async def write_file(body: FileRequest, request: Request, commands: Commands, invoicing: InvoicingDep) -> JSONResponse:
    seller = invoicing.sellers.by_id.get(body.seller_id)
    if seller is None:
        raise not_found("seller", body.seller_id)

    async def act(uow: BillingUnitOfWork) -> FileView:
        written = await collections.write_file(seller, uow)
        return FileView(
            **FileSummary.of(written.file).model_dump(),
            collected=[CollectionItem.of(c) for c in written.collections],
            dropped=[CollectionItem.of(c) for c in written.dropped],
        )

    return await commands.run(request, None, body, act, status_code=201)


@router.get(
    "/collection-files",
    response_model=list[FileSummary],
    summary="The collection files written, newest first",
    description=f"{OPERATOR_ONLY} {PAGES.replace('items', 'files')}",
)
async def files(
    request: Request, page: Annotated[PageRequest, Depends(page_request)], runtime: Runtime
) -> JSONResponse:
    uow: BillingUnitOfWork
    async with runtime.uow() as uow:
        found = await uow.collections.files(page)
    return paged(request, page, found, lambda file: (file.created_at, file.file_id), FileSummary.of)


@router.get(
    "/collection-files/{file_id}.xml",
    response_class=Response,
    summary="Download a collection file (pain.008.001.02), to hand to the bank",
    description=f"{OPERATOR_ONLY} The bytes as written, every time. 404 `collection_file_not_found`.",
    responses={200: {"content": {"application/xml": {}}}},
)
async def download(file_id: str, runtime: Runtime) -> Response:
    uow: BillingUnitOfWork
    async with runtime.uow() as uow:
        content = await uow.collections.content(file_id)
    if content is None:
        raise not_found("collection_file", file_id)
    return Response(
        content,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{file_id}.xml"'},
    )


# After the download: `{file_id}` alone would take `….xml` for an id.
@router.get(
    "/collection-files/{file_id}",
    response_model=FileView,
    summary="One collection file and the collections in it",
    description=f"{OPERATOR_ONLY} 404 `collection_file_not_found`.",
)
async def file(file_id: str, runtime: Runtime) -> FileView:
    uow: BillingUnitOfWork
    async with runtime.uow() as uow:
        found = await uow.collections.file(file_id)
        if found is None:
            raise not_found("collection_file", file_id)
        taken = await uow.collections.of_file(file_id)
    return FileView(**FileSummary.of(found).model_dump(), collected=[CollectionItem.of(c) for c in taken])
