"""Bulk import of users from CSV or XLSX (R23): templates, drafts, corrections, submission, progress."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from seats import imports
from seats.domain.imports import ImportDraft, ImportStatus
from seats.importfiles import csv_template, xlsx_template
from servicekit.auth import Caller
from servicekit.runtime import ServiceRuntime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RowView(BaseModel):
    row: int
    email: str
    first_name: str
    last_name: str
    errors: list[str]


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
    incomplete: list[RowView] = Field(description="Rows to correct before submitting.")
    duplicates: list[DroppedView] = Field(description="Rows dropped as duplicates.")
    rows: list[RowView] | None = Field(None, description="Every row (with ?rows=true).")
    submitted_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, d: ImportDraft, with_rows: bool = False) -> "ImportView":
        view = lambda r: RowView(row=r.row_no, email=r.email, first_name=r.first_name,  # noqa: E731
                                 last_name=r.last_name, errors=r.errors)
        return cls(import_id=d.import_id, status=d.status, total=d.total, done=d.done, added=d.added,
                   seconds_left=d.seconds_left(), incomplete=[view(r) for r in d.incomplete],
                   duplicates=[DroppedView(row=x.row_no, email=x.email, reason=x.reason) for x in d.dropped],
                   rows=[view(r) for r in d.rows] if with_rows else None,
                   submitted_at=d.submitted_at, finished_at=d.finished_at)


class RowCorrection(BaseModel):
    email: str | None = Field(None, max_length=320)
    first_name: str | None = Field(None, max_length=200)
    last_name: str | None = Field(None, max_length=200)


def routes(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/subscriptions/{subscription_id}/users", tags=["bulk import"])
    authenticated, settings = runtime.authenticated, runtime.settings

    @router.get("/import-template.csv", summary="The CSV to fill in (R23)")
    async def template_csv(subscription_id: str) -> Response:
        return Response(csv_template(), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="users.csv"'})

    @router.get("/import-template.xlsx", summary="The spreadsheet to fill in (R23)")
    async def template_xlsx(subscription_id: str) -> Response:
        return Response(xlsx_template(), media_type=XLSX,
                        headers={"Content-Disposition": 'attachment; filename="users.xlsx"'})

    @router.post("/imports", status_code=201, summary="Upload a CSV or XLSX: a draft, nothing imported yet (R23)")
    async def upload(subscription_id: str, file: UploadFile, request: Request, caller: Caller = authenticated):
        content = await file.read()

        async def act(uow):
            return ImportView.of(await imports.upload(subscription_id, file.filename or "", content, caller, uow))
        return await runtime.command(request, caller, None, act, status_code=201)

    @router.get("/imports/{import_id}", summary="A draft or a running import: rows, duplicates, progress")
    async def read(subscription_id: str, import_id: str, rows: bool = False,
                   caller: Caller = authenticated) -> ImportView:
        async with runtime.uow(subject=subscription_id) as uow:
            return ImportView.of(await imports.read(subscription_id, import_id, caller, uow), rows)

    @router.patch("/imports/{import_id}/rows/{row}", summary="Correct a row without uploading again (R23)")
    async def correct(subscription_id: str, import_id: str, row: int, body: RowCorrection, request: Request,
                      caller: Caller = authenticated):
        async def act(uow):
            changes = body.model_dump(exclude_none=True)
            return ImportView.of(await imports.correct_row(subscription_id, import_id, row, changes, caller, uow))
        return await runtime.command(request, caller, body, act)

    @router.post("/imports/{import_id}/submission", status_code=202,
                 summary="Import every row, once all are complete; runs in chunks (R23)")
    async def submit(subscription_id: str, import_id: str, request: Request, caller: Caller = authenticated):
        async def act(uow):
            uow.after_commit(runtime.scheduler.wake)
            return ImportView.of(await imports.submit(subscription_id, import_id, settings.import_chunk_size,
                                                      settings.identity_public_url, caller, uow))
        return await runtime.command(request, caller, None, act, status_code=202)

    return router
