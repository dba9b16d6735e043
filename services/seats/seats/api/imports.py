"""Bulk import of users from CSV or XLSX (R23): templates, drafts, corrections, submission, progress."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from seats.adapters.importfiles import (
    MAX_IMPORT_ROWS,
    MAX_UPLOAD_BYTES,
    MAX_XLSX_UNCOMPRESSED_BYTES,
    SUMMARY_ROWS,
    csv_template,
    xlsx_template,
)
from seats.api.deps import ImportParserDep, InvitationsDep, SettingsDep
from seats.api.schemas import ADMINISTRATOR, PAGINATED, command_answer
from seats.domain.imports import ImportDraft, ImportRow, ImportStatus
from seats.handlers import imports
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.deps import Commands, CurrentCaller
from servicekit.http.fields import EmailAddress, Line
from servicekit.http.pagination import PageRequest, page_request, paged
from servicekit.runtime import Runtime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIMITS = (
    f"A file holds at most {MAX_IMPORT_ROWS:,} rows under its header (blank rows count) and "
    f"{MAX_UPLOAD_BYTES // 2**20} MB; an XLSX unzips to at most {MAX_XLSX_UNCOMPRESSED_BYTES // 2**20} MB. "
    "A file past a limit is refused (422 `import_too_large`) and nothing is kept."
)
TEMPLATE = (
    "Who may call: anyone, without a token: a blank template holds no data. Cells are written "
    "as text, never as formulas."
)


class RowView(BaseModel):
    row: int
    email: str
    first_name: str
    last_name: str
    errors: list[str]

    @classmethod
    def of(cls, r: ImportRow) -> RowView:
        return cls(row=r.row_no, email=r.email, first_name=r.first_name, last_name=r.last_name, errors=r.errors)


class DroppedView(BaseModel):
    row: int
    email: str
    reason: str


class ImportView(BaseModel):
    import_id: str
    status: ImportStatus
    total: int = Field(description="Rows to import (duplicates already dropped).")
    done: int = Field(description="Rows imported so far.")
    added: int = Field(description="Users added so far.")
    seconds_left: float | None = Field(description="Estimate from the rate so far; null until known.")
    incomplete_count: int = Field(description="Rows to correct before submitting.")
    incomplete: list[RowView] = Field(
        description=f"The first {SUMMARY_ROWS} rows to correct; all of them: GET .../rows?incomplete=true."
    )
    duplicates_count: int = Field(description="Rows dropped as duplicates.")
    duplicates: list[DroppedView] = Field(description=f"The first {SUMMARY_ROWS} rows dropped as duplicates.")
    submitted_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, d: ImportDraft) -> ImportView:
        return cls(
            import_id=d.import_id,
            status=d.status,
            total=d.total,
            done=d.done,
            added=d.added,
            seconds_left=d.seconds_left(),
            incomplete_count=d.incomplete_total,
            incomplete=[RowView.of(r) for r in d.incomplete[:SUMMARY_ROWS]],
            duplicates_count=d.dropped_total,
            duplicates=[DroppedView(row=x.row_no, email=x.email, reason=x.reason) for x in d.dropped[:SUMMARY_ROWS]],
            submitted_at=d.submitted_at,
            finished_at=d.finished_at,
        )


class RowCorrection(BaseModel):
    email: EmailAddress | None = Field(None, description="One address.")
    first_name: Line | None = Field(None, max_length=200)
    last_name: Line | None = Field(None, max_length=200)


router = APIRouter(prefix="/subscriptions/{subscription_id}/users", tags=["bulk import"])


@router.get("/import-template.csv", summary="The CSV to fill in (R23)", description=TEMPLATE)
async def template_csv(subscription_id: str) -> Response:
    return Response(
        csv_template(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="users.csv"'}
    )


@router.get("/import-template.xlsx", summary="The spreadsheet to fill in (R23)", description=TEMPLATE)
async def template_xlsx(subscription_id: str) -> Response:
    return Response(
        xlsx_template(), media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="users.xlsx"'}
    )


@router.post(
    "/imports",
    status_code=201,
    response_model=command_answer(ImportView),
    summary="Upload a CSV or XLSX: a draft, nothing imported yet (R23)",
    description=ADMINISTRATOR + " " + LIMITS + " The file is parsed in a worker process; rows "
    "with an invalid address or a control character in a name are listed to correct.",
)
async def upload(
    subscription_id: str,
    file: UploadFile,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    runtime: Runtime,
    parser: ImportParserDep,
) -> Any:
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    async with runtime.uow(subject=subscription_id) as uow:  # who asks, before any parsing
        listed = await imports.may_upload(subscription_id, caller, uow)
        now = uow.now()
    parsed = await imports.parse(parser, subscription_id, file.filename or "", content, listed, now)

    async def act(uow: SeatsUnitOfWork) -> ImportView:
        return ImportView.of(await imports.store(subscription_id, parsed, caller, uow))

    return await commands.run(request, caller, None, act, status_code=201)


@router.get(
    "/imports/{import_id}",
    summary="A draft or a running import: counts, rows to correct, progress",
    description=ADMINISTRATOR,
)
async def read(subscription_id: str, import_id: str, caller: CurrentCaller, runtime: Runtime) -> ImportView:
    async with runtime.uow(subject=subscription_id) as uow:
        return ImportView.of(await imports.read(subscription_id, import_id, caller, uow))


@router.get(
    "/imports/{import_id}/rows",
    response_model=list[RowView],
    summary="The rows of a draft (R23)",
    description=ADMINISTRATOR + " In file order; `?incomplete=true`: only the rows to correct." + PAGINATED,
)
async def rows(
    request: Request,
    subscription_id: str,
    import_id: str,
    page: Annotated[PageRequest, Depends(page_request)],
    caller: CurrentCaller,
    runtime: Runtime,
    incomplete: bool = False,
) -> Any:
    async with runtime.uow(subject=subscription_id) as uow:
        found = await imports.rows(subscription_id, import_id, incomplete, page, caller, uow)
    return paged(request, page, found, lambda r: r.row_no, RowView.of)


@router.patch(
    "/imports/{import_id}/rows/{row}",
    response_model=command_answer(ImportView),
    summary="Correct a row without uploading again (R23)",
    description=ADMINISTRATOR,
)
async def correct(
    subscription_id: str,
    import_id: str,
    row: int,
    body: RowCorrection,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> ImportView:
        changes = body.model_dump(exclude_none=True)
        return ImportView.of(await imports.correct_row(subscription_id, import_id, row, changes, caller, uow))

    return await commands.run(request, caller, body, act)


@router.post(
    "/imports/{import_id}/submission",
    status_code=202,
    response_model=command_answer(ImportView),
    summary="Import every row, once all are complete; runs in chunks (R23)",
    description=ADMINISTRATOR + " Each chunk invites within the account's hourly limit of "
    "invitation e-mails; past it, the import waits for the next hour and goes on.",
)
async def submit(
    subscription_id: str,
    import_id: str,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    runtime: Runtime,
    settings: SettingsDep,
    invitations: InvitationsDep,
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> ImportView:
        uow.after_commit(runtime.scheduler.wake)
        return ImportView.of(
            await imports.submit(subscription_id, import_id, settings.import_chunk_size, invitations, caller, uow)
        )

    return await commands.run(request, caller, None, act, status_code=202)
