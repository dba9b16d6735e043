"""Bulk import of users (R23, the guide's "Importer des contacts" with its "Contacts
incomplets" tab): download the CSV/XLSX template, drop a file, correct the incomplete rows
on the page without uploading again, see the rows dropped as duplicates, submit, follow the
progress with the estimate seats computes, and read the result.

Every read and command goes to seats with the person's token (the portal keeps nothing):
- `GET /subscriptions/{id}/users/import-template.csv|.xlsx` (proxied: the person never
  leaves the portal, no token in a URL);
- `POST /subscriptions/{id}/users/imports` (multipart, the file), with the form's key;
- `GET /subscriptions/{id}/users/imports/{import_id}` (counts, first rows to correct and
  duplicates, progress) and `GET .../rows` (a page of rows, `?incomplete=true`);
- `PATCH .../imports/{import_id}/rows/{row}` (a row corrected), `POST .../submission`.
The upload page also reads subscriptions' `GET /subscriptions/{id}`: the product it names,
and one not-found page for an unknown subscription and another company's.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from portal.adapters.rendering import N_
from portal.adapters.upstream import Answer, UpstreamProblem
from portal.api.deps import BrowserDep, PageNotFound, new_key, valid_id
from portal.api.forms import cursor as valid_cursor
from portal.api.forms import ensure_shown, idempotency_key, is_htmx, refusal
from portal.api.names import render_named

router = APIRouter(tags=["pages"], include_in_schema=False)

# seats' own limit (seats.adapters.importfiles.MAX_UPLOAD_BYTES): a larger file is refused
# here, before it is read into memory or sent on.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024  # the form's other fields and the part headers
FILE_TYPES = (".csv", ".xlsx")
MAX_FILENAME = 200
MAX_EMAIL = 320  # as seats' EmailAddress
MAX_NAME = 200  # as seats' RowCorrection
PAGE_ROWS = 100
TABS = ("all", "incomplete", "duplicates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POLL_MIN_SECONDS, POLL_MAX_SECONDS = 1, 10
# seats parses a file in a worker process before it answers: a file of the maximum size
# takes seconds, more than the pages' usual upstream timeout allows.
UPLOAD_TIMEOUT_SECONDS = 120.0

# What seats finds wrong with a row, as it words it, in the person's language.
ROW_ERRORS = {
    "email is required": N_("The e-mail address is missing."),
    "first name is required": N_("The first name is missing."),
    "last name is required": N_("The last name is missing."),
}
ROW_ERROR_PATTERNS = (
    (re.compile(r"^'.*' is not a valid e-mail address$", re.S), N_("This is not a valid e-mail address.")),
    (re.compile(r"^email .*", re.S), N_("This is not a valid e-mail address.")),
    (re.compile(r"^.* is already a user or in another row$", re.S), N_("Already a user, or in another row.")),
    (re.compile(r"^first name .*", re.S), N_("The first name must be one line of plain text.")),
    (re.compile(r"^last name .*", re.S), N_("The last name must be one line of plain text.")),
)
ALREADY_A_USER = N_("Already a user of this subscription")
DUPLICATE_OF_ROW = N_("Duplicate of row %(row)s")


def row_error(text: str) -> str:
    """The msgid of a seats row error (translated in the template), or seats' own words."""
    if text in ROW_ERRORS:
        return ROW_ERRORS[text]
    for pattern, msgid in ROW_ERROR_PATTERNS:
        if pattern.match(text):
            return msgid
    return text


def dropped_reason(reason: str) -> tuple[str, dict[str, str]]:
    if reason == "already a user of this subscription":
        return ALREADY_A_USER, {}
    if found := re.fullmatch(r"duplicate of row (\d+)", reason):
        return DUPLICATE_OF_ROW, {"row": found.group(1)}
    return reason, {}


def _base(subscription_id: str) -> str:
    return f"/subscriptions/{subscription_id}/users/import"


def _seats_base(subscription_id: str) -> str:
    return f"/subscriptions/{subscription_id}/users/imports"


def _go(browser: BrowserDep, url: str) -> Response:
    """After a command: 303 for a plain form; for htmx (the upload's progress bar) the page
    to open next, which htmx follows (`HX-Redirect`)."""
    if is_htmx(browser):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return browser.redirect(url)


# -- the upload page ---------------------------------------------------------------------------


@router.get("/subscriptions/{subscription_id}/users/import")
async def upload_page(subscription_id: str, browser: BrowserDep) -> Response:
    return await _upload_page(browser, valid_id(subscription_id))


async def _upload_page(
    browser: BrowserDep, subscription_id: str, problem: UpstreamProblem | None = None, status_code: int = 200
) -> Response:
    try:
        found = await browser.upstream.subscriptions.get(f"/subscriptions/{subscription_id}", browser.token)
    except UpstreamProblem as refused:
        ensure_shown(refused)
        raise
    return await render_named(
        browser,
        "imports/upload.html",
        status_code=status_code,
        subscription=found.body,
        subscription_id=subscription_id,
        key=new_key(),
        problem=problem,
        max_megabytes=MAX_UPLOAD_BYTES // 2**20,
    )


@router.get("/subscriptions/{subscription_id}/users/import/template.{kind}")
async def template(subscription_id: str, kind: str, browser: BrowserDep) -> Response:
    """seats' blank template, through the portal: the same origin, the token stays here."""
    subscription_id = valid_id(subscription_id)
    if kind not in ("csv", "xlsx"):
        raise PageNotFound()
    try:
        answer = await browser.upstream.seats.document(
            f"/subscriptions/{subscription_id}/users/import-template.{kind}", browser.token
        )
    except UpstreamProblem as problem:
        if problem.unauthenticated:
            raise
        raise PageNotFound() from None
    return Response(
        answer.content,
        media_type="text/csv" if kind == "csv" else XLSX,
        headers={"Content-Disposition": f'attachment; filename="users.{kind}"'},
    )


@router.post("/subscriptions/{subscription_id}/users/import")
async def upload(subscription_id: str, browser: BrowserDep) -> Response:
    """The file to seats (a draft: nothing is imported yet, R23), with the key the form was
    rendered with: a double click is one draft."""
    subscription_id = valid_id(subscription_id)
    token = browser.token
    declared = browser.request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD:
        # Refused before the body is read; no command is sent, so no CSRF check is needed.
        return await _upload_page(browser, subscription_id, refusal("file_too_large", 413), 413)
    form = await browser.form()
    key = idempotency_key(form)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return await _upload_page(browser, subscription_id, refusal("file_missing"), 422)
    filename = file.filename.replace("\\", "/").rsplit("/", 1)[-1][-MAX_FILENAME:]
    if not filename.lower().endswith(FILE_TYPES):
        return await _upload_page(browser, subscription_id, refusal("file_type"), 422)
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        return await _upload_page(browser, subscription_id, refusal("file_too_large", 413), 413)
    try:
        answer = await _send_file(browser, subscription_id, token, key, filename, content)
    except UpstreamProblem as problem:
        ensure_shown(problem)
        return await _upload_page(browser, subscription_id, problem, problem.status)
    import_id = valid_id(str(answer.body["import_id"]))
    return _go(browser, f"{_base(subscription_id)}/{import_id}")


async def _send_file(
    browser: BrowserDep, subscription_id: str, token: str, key: str, filename: str, content: bytes
) -> Answer:
    media_type = XLSX if filename.lower().endswith(".xlsx") else "text/csv"
    answer = await browser.upstream.seats.upload(
        _seats_base(subscription_id),
        token,
        key,
        files={"file": (filename, content, media_type)},
        timeout=UPLOAD_TIMEOUT_SECONDS,
    )
    if not isinstance(answer.body, dict):
        raise UpstreamProblem("seats", 502, "error", "seats answered without a draft.")
    return answer


# -- a draft: its rows, the incomplete and duplicates tabs, corrections, submission ------------


@router.get("/subscriptions/{subscription_id}/users/import/{import_id}")
async def draft_page(
    subscription_id: str, import_id: str, browser: BrowserDep, tab: str | None = None, cursor: str | None = None
) -> Response:
    return await _draft(browser, valid_id(subscription_id), valid_id(import_id), tab, cursor)


async def _draft(
    browser: BrowserDep,
    subscription_id: str,
    import_id: str,
    tab: str | None,
    cursor: str | None = None,
    problem: UpstreamProblem | None = None,
    status_code: int = 200,
    typed: dict[str, Any] | None = None,
) -> Response:
    token = browser.token
    base = _seats_base(subscription_id)
    try:
        summary = (await browser.upstream.seats.get(f"{base}/{import_id}", token)).body
    except UpstreamProblem as refused:
        ensure_shown(refused)
        raise
    draft = summary["status"] == "draft"
    if tab not in TABS:
        tab = "incomplete" if draft and summary["incomplete_count"] else "all"
    cursor = valid_cursor(cursor)
    rows: list[dict[str, Any]] = []
    next_cursor = None
    if draft and tab != "duplicates":
        params: dict[str, str | int] = {"limit": PAGE_ROWS}
        if tab == "incomplete":
            params["incomplete"] = "true"
        if cursor:
            params["cursor"] = cursor
        page = await browser.upstream.seats.get(f"{base}/{import_id}/rows", token, params)
        rows = page.body
        next_cursor = page.headers.get("x-next-cursor")
    for row in rows:
        row["problems"] = [row_error(e) for e in row["errors"]]
    duplicates = [{**d, "reason_text": dropped_reason(d["reason"])} for d in summary["duplicates"]]
    return await browser.render(
        "imports/draft.html",
        status_code=status_code,
        subscription_id=subscription_id,
        import_id=import_id,
        summary=summary,
        draft=draft,
        tab=tab,
        tabs=TABS,
        rows=rows,
        duplicates=duplicates,
        next_page=f"?{urlencode({'tab': tab, 'cursor': next_cursor})}" if next_cursor else None,
        keys={row["row"]: new_key() for row in rows},
        submit_key=new_key(),
        problem=problem,
        typed=typed or {},
        poll_seconds=poll_seconds(summary),
        max_email=MAX_EMAIL,
        max_name=MAX_NAME,
    )


@router.post("/subscriptions/{subscription_id}/users/import/{import_id}/rows/{row}")
async def correct_row(subscription_id: str, import_id: str, row: str, browser: BrowserDep) -> Response:
    """A row corrected in the draft, without uploading the file again (R23)."""
    subscription_id, import_id = valid_id(subscription_id), valid_id(import_id)
    if not row.isdigit() or len(row) > 9:
        raise PageNotFound()
    form = await browser.form()
    key = idempotency_key(form)
    tab = str(form.get("tab", ""))[:20]
    typed = {name: str(form.get(name, "")).strip() for name in ("email", "first_name", "last_name")}
    kept = {"row": int(row), **typed}
    if len(typed["email"]) > MAX_EMAIL or max(len(typed["first_name"]), len(typed["last_name"])) > MAX_NAME:
        return await _draft(browser, subscription_id, import_id, tab, None, refusal("row_too_long"), 422, kept)
    # An empty field is left as it was: seats refuses an empty name or address anyway, and
    # the row stays listed with what is missing.
    body = {name: value for name, value in typed.items() if value}
    try:
        await browser.upstream.seats.command(
            "PATCH", f"{_seats_base(subscription_id)}/{import_id}/rows/{row}", browser.token, key, body
        )
    except UpstreamProblem as problem:
        ensure_shown(problem)
        return await _draft(browser, subscription_id, import_id, tab, None, problem, problem.status, kept)
    return _go(browser, f"{_base(subscription_id)}/{import_id}?{urlencode({'tab': tab or 'incomplete'})}")


@router.post("/subscriptions/{subscription_id}/users/import/{import_id}/submission")
async def submit(subscription_id: str, import_id: str, browser: BrowserDep) -> Response:
    """Every row imported, once all are complete (R23); the import runs in chunks."""
    subscription_id, import_id = valid_id(subscription_id), valid_id(import_id)
    form = await browser.form()
    key = idempotency_key(form)
    try:
        await browser.upstream.seats.command(
            "POST", f"{_seats_base(subscription_id)}/{import_id}/submission", browser.token, key
        )
    except UpstreamProblem as problem:
        ensure_shown(problem)
        return await _draft(browser, subscription_id, import_id, None, None, problem, problem.status)
    return _go(browser, f"{_base(subscription_id)}/{import_id}")


@router.get("/subscriptions/{subscription_id}/users/import/{import_id}/progress")
async def progress(subscription_id: str, import_id: str, browser: BrowserDep) -> Response:
    """The progress bar htmx polls; without htmx, the import's page."""
    subscription_id, import_id = valid_id(subscription_id), valid_id(import_id)
    if not is_htmx(browser):
        return browser.redirect(f"{_base(subscription_id)}/{import_id}")
    try:
        summary = (await browser.upstream.seats.get(f"{_seats_base(subscription_id)}/{import_id}", browser.token)).body
    except UpstreamProblem as refused:
        ensure_shown(refused)
        raise
    return browser.fragment(
        "imports/_progress.html",
        subscription_id=subscription_id,
        import_id=import_id,
        summary=summary,
        poll_seconds=poll_seconds(summary),
    )


def poll_seconds(summary: dict[str, Any]) -> int:
    """How often the bar asks again: a tenth of the time seats estimates is left, within
    1–10 s (2 s while seats has no estimate yet), so a long import is not polled needlessly."""
    left = summary.get("seconds_left")
    if left is None:
        return 2
    return int(min(max(float(left) / 10, POLL_MIN_SECONDS), POLL_MAX_SECONDS))
