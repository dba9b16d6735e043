"""The agreement as a document (R36): the purchase's agreement to accept (R7, R8), and every
agreement of a subscription, purchase and amendments, with its version and who accepted it
when, readable and downloadable by the administrator for the life of the subscription, also
after it ended."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from servicekit.http.deps import CurrentCaller
from servicekit.http.pagination import MAX_PAGE_SIZE, PageRequest, page_request, paged
from servicekit.runtime import Runtime
from subscriptions import domain
from subscriptions.api.deps import administered
from subscriptions.api.schemas import ADMINISTRATOR_ONLY
from subscriptions.domain.agreements import Agreement, AgreementKind, AgreementStatus, purchase_text

NUMBER = Path(ge=1, le=1_000_000, description="The agreement's number: 1 is the purchase's, amendments follow.")


class AgreementSummary(BaseModel):
    """One agreement of a subscription (R36): what it is, its version, and its acceptance."""

    number: int = Field(description="1 is the purchase's; amendments follow in the order proposed.")
    kind: str = Field(description="purchase or amendment.")
    amendment_id: str | None = Field(description="The amendment it belongs to, for an amendment.")
    version: str = Field(description="Template version and the start of the content hash, e.g. `2026-12.3f9c2b1d7a4e`.")
    template_version: str
    sha256: str = Field(description="SHA-256 of the template version and the text: proves which text was accepted.")
    status: str = Field(description=", ".join(s.value for s in AgreementStatus))
    issued_at: datetime = Field(description="When the order was offered or the amendment proposed.")
    accepted_by: str | None = Field(description="Person id of who accepted it.")
    accepted_by_name: str | None = Field(description="Their name when they accepted it.")
    accepted_at: datetime | None
    path: str = Field(description="The agreement with its text.")
    document_path: str = Field(description="The agreement as a plain-text file to download.")

    @classmethod
    def fields_of(cls, a: Agreement, s: domain.Subscription) -> dict[str, object]:
        base = f"/subscriptions/{s.id}/agreements/{a.number}"
        return dict(
            number=a.number,
            kind=a.kind.value,
            amendment_id=a.amendment_id,
            version=a.version,
            template_version=a.template_version,
            sha256=a.content_hash,
            status=a.status_for(s).value,
            issued_at=a.issued_at,
            accepted_by=a.accepted_by,
            accepted_by_name=a.accepted_by_name,
            accepted_at=a.accepted_at,
            path=base,
            document_path=f"{base}/document",
        )

    @classmethod
    def of(cls, a: Agreement, s: domain.Subscription) -> AgreementSummary:
        return cls.model_validate(cls.fields_of(a, s))


class AgreementDocument(AgreementSummary):
    """One agreement with its text, exactly as offered."""

    subscription_id: str
    text: str

    @classmethod
    def of(cls, a: Agreement, s: domain.Subscription) -> AgreementDocument:
        return cls.model_validate({**cls.fields_of(a, s), "subscription_id": s.id, "text": a.text})


class AgreementView(BaseModel):
    """The purchase's agreement an administrator reads before accepting it (R7, R8, R36)."""

    subscription_id: str
    status: str = Field(description="The subscription's status.")
    accept_by: datetime = Field(description="After this the order lapses (R8).")
    text: str = Field(description="What is agreed: seats, product, tier, cycle, term and price.")
    accept: dict = Field(description="How to accept it: `{method, path}`.")
    number: int | None = Field(None, description="The agreement's number (R36); none for an order placed before.")
    version: str | None = Field(None, description="Its version (R36); none for an order placed before.")
    agreement_status: str | None = Field(None, description="The agreement's own status (R36).")
    accepted_by: str | None = Field(None, description="Person id of who accepted it (R36).")
    accepted_by_name: str | None = Field(None, description="Their name when they accepted it (R36).")
    accepted_at: datetime | None = Field(None, description="When it was accepted (R36).")
    document_path: str | None = Field(None, description="The accepted agreement as a file to download (R36).")

    @classmethod
    def of(cls, s: domain.Subscription, a: Agreement | None) -> AgreementView:
        view = cls(
            subscription_id=s.id,
            status=s.status.value,
            accept_by=s.activation_deadline,
            # An order placed before agreements were kept shows its terms as they are now.
            text=a.text if a else purchase_text(s),
            accept={"method": "POST", "path": f"/subscriptions/{s.id}/activation"},
        )
        if a is None:
            return view
        return view.model_copy(
            update=dict(
                number=a.number,
                version=a.version,
                agreement_status=a.status_for(s).value,
                accepted_by=a.accepted_by,
                accepted_by_name=a.accepted_by_name,
                accepted_at=a.accepted_at,
                document_path=f"/subscriptions/{s.id}/agreements/{a.number}/document",
            )
        )


router = APIRouter(prefix="/subscriptions/{subscription_id}", tags=["subscriptions"])


@router.get(
    "/agreement",
    response_model=AgreementView,
    summary="The purchase's agreement to accept (R7, R36)",
    description=f"{ADMINISTRATOR_ONLY} The link of the agreement e-mail; it carries no secret. "
    "It gives the agreement's version and, once accepted, who accepted it and when.",
)
async def agreement(subscription_id: str, caller: CurrentCaller, runtime: Runtime) -> AgreementView:
    s = await administered(runtime, subscription_id, caller)
    async with runtime.uow() as uow:
        found = await uow.agreements.purchase(s.id)
    return AgreementView.of(s, found)


@router.get(
    "/agreements",
    response_model=list[AgreementSummary],
    summary="Every agreement of the subscription: purchase and amendments (R36)",
    description=f"{ADMINISTRATOR_ONLY} Also after the subscription ended. In the order issued, a page "
    f'at a time: at most `limit` (≤ {MAX_PAGE_SIZE}); the next page is in `Link: rel="next"` and '
    "`X-Next-Cursor`.",
)
async def agreements(
    subscription_id: str,
    request: Request,
    page: Annotated[PageRequest, Depends(page_request)],
    caller: CurrentCaller,
    runtime: Runtime,
) -> JSONResponse:
    s = await administered(runtime, subscription_id, caller)
    async with runtime.uow() as uow:
        found = await uow.agreements.page(s.id, page)
    return paged(request, page, found, lambda a: (a.number,), lambda a: AgreementSummary.of(a, s))


@router.get(
    "/agreements/{number}",
    response_model=AgreementDocument,
    summary="One agreement with its text (R36)",
    description=f"{ADMINISTRATOR_ONLY} The text exactly as offered; also after the subscription ended.",
)
async def one(
    subscription_id: str, number: Annotated[int, NUMBER], caller: CurrentCaller, runtime: Runtime
) -> AgreementDocument:
    s = await administered(runtime, subscription_id, caller)
    async with runtime.uow() as uow:
        found = await uow.agreements.get(s.id, number)
    return AgreementDocument.of(found, s)


@router.get(
    "/agreements/{number}/document",
    response_class=PlainTextResponse,
    summary="One agreement as a file to download (R36)",
    description=f"{ADMINISTRATOR_ONLY} Plain text (UTF-8) as an attachment: the agreement's "
    "version, its SHA-256, who accepted it and when, then the text exactly as offered.",
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def document(
    subscription_id: str, number: Annotated[int, NUMBER], caller: CurrentCaller, runtime: Runtime
) -> PlainTextResponse:
    s = await administered(runtime, subscription_id, caller)
    async with runtime.uow() as uow:
        found = await uow.agreements.get(s.id, number)
    return PlainTextResponse(
        document_text(found, s),
        headers={
            "Content-Disposition": f'attachment; filename="{document_name(found, s)}"',
            "X-Agreement-Version": found.version,
        },
    )


def document_name(a: Agreement, s: domain.Subscription) -> str:
    return f"agreement-{s.id}-{a.number}-{a.version}.txt"


def document_text(a: Agreement, s: domain.Subscription) -> str:
    title = "Licence agreement" if a.kind is AgreementKind.PURCHASE else "Amendment"
    accepted = (
        f"Accepted by: {a.accepted_by_name} (person {a.accepted_by}) on {a.accepted_at:%Y-%m-%d %H:%M:%S} UTC"
        if a.accepted_at
        else f"Status: {a.status_for(s).value}"
    )
    return "\n".join(
        [
            f"{title} {a.number} of subscription {s.id}",
            f"Version: {a.version}",
            f"SHA-256: {a.content_hash}",
            f"Issued: {a.issued_at:%Y-%m-%d %H:%M:%S} UTC",
            accepted,
            "",
            a.text,
            "",
        ]
    )
