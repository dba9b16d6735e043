"""The company's verification documents (R3, R44): what the company's customer type requires,
the 60-day deadline, each document's status (uploaded, accepted, or refused with the reason),
the customer type to choose, and one upload form per document (multipart, works without
JavaScript). Only the account's administrators see this page (identity answers 403 to anyone
else, shown as the not-found page).

Upstream calls, all to identity with the person's token, commands with the form's key:
- `GET /accounts/{id}/documents` (the page);
- `PUT /accounts/{id}/customer-type` (the type, which decides the documents);
- `POST /accounts/{id}/documents/{kind}` (multipart: `file`, and `issued_on` for the company
  register extract, which must be under 3 months old);
- `GET /accounts/{id}/documents/{document_id}/content` (one's own upload, as an attachment).
"""

from __future__ import annotations

import re
from datetime import date

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import BrowserDep, PageNotFound, new_key, valid_id
from portal.api.forms import ensure_shown, idempotency_key, refusal

router = APIRouter(tags=["pages"], include_in_schema=False)

PAGE = "/company/documents"
# identity's own bound (identity.domain.documents.MAX_DOCUMENT_BYTES): a larger file is refused
# here, before it is read into memory or sent on.
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024  # the form's other fields and the part headers
MAX_FILENAME = 200
CUSTOMER_TYPES = ("design_office", "contractor_engineer", "student")
KINDS = ("company_register_extract", "director_id", "sirene_notice", "id_document", "student_card")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
UPLOAD_TIMEOUT_SECONDS = 60.0  # identity reads and stores the whole file before it answers

# identity's refusals of an upload or a type, and the portal's own, in the person's language
# (not in rendering.PROBLEMS yet: see the report).


@router.get(PAGE)
async def documents_page(browser: BrowserDep, sent: str | None = None) -> Response:
    return await _page(browser, sent=sent if sent in KINDS else None)


async def _page(
    browser: BrowserDep,
    *,
    sent: str | None = None,
    problem: UpstreamProblem | None = None,
    problem_kind: str | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    account_id = browser.account_id
    try:
        found = (await browser.upstream.identity.get(f"/accounts/{account_id}/documents", browser.token)).body
    except UpstreamProblem as refused:
        ensure_shown(refused)  # 403 (not an administrator) and 404: the not-found page
        raise
    open_ = found["status"] in ("pending_verification", "verification_lapsed")
    with_a_form = {r["kind"] for r in found["required"] if open_ and (r["document"] or {}).get("status") != "accepted"}
    return await browser.render(
        "documents/documents.html",
        status_code=status_code,
        documents=found,
        open_=open_,
        keys={kind: new_key() for kind in (*KINDS, "customer_type")},
        sent=sent,
        problem=problem,
        problem_kind=problem_kind if problem_kind in with_a_form else None,  # else shown at the top
        typed=typed or {},
        max_megabytes=MAX_DOCUMENT_BYTES // 2**20,
    )


@router.post(f"{PAGE}/customer-type")
async def choose_customer_type(browser: BrowserDep) -> Response:
    """R44: the type decides which documents identity requires."""
    form = await browser.form()
    account_id = browser.account_id
    key = idempotency_key(form)
    chosen = str(form.get("customer_type", ""))
    if chosen not in CUSTOMER_TYPES:
        return await _page(browser, problem=refusal("customer_type_missing"), status_code=422)
    try:
        await browser.upstream.identity.command(
            "PUT", f"/accounts/{account_id}/customer-type", browser.token, key, {"customer_type": chosen}
        )
    except UpstreamProblem as problem:
        ensure_shown(problem)
        return await _page(browser, problem=problem, typed={"customer_type": chosen}, status_code=problem.status)
    return browser.redirect(PAGE)


@router.post(f"{PAGE}/{{kind}}")
async def upload_document(kind: str, browser: BrowserDep) -> Response:
    """R44: one document to identity, with the key its form was rendered with (a double click
    is one upload). identity tells the type by the file's content; the portal bounds the size."""
    if kind not in KINDS:
        raise PageNotFound()
    declared = browser.request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_DOCUMENT_BYTES + MULTIPART_OVERHEAD:
        # Refused before the body is read; nothing is sent, so no CSRF check is needed.
        return await _page(browser, problem=refusal("document_too_large", 413), problem_kind=kind, status_code=413)
    form = await browser.form()
    account_id = browser.account_id
    key = idempotency_key(form)
    issued_on = str(form.get("issued_on", "")).strip()[:10]
    typed = {f"issued_on_{kind}": issued_on}
    file = form.get("file")
    problem = None
    if not isinstance(file, UploadFile) or not file.filename:
        problem = refusal("file_missing")
    elif issued_on and not _is_date(issued_on):
        problem = refusal("issue_date_invalid")
    if problem:
        return await _page(browser, problem=problem, problem_kind=kind, typed=typed, status_code=422)
    assert isinstance(file, UploadFile) and file.filename
    content = await file.read(MAX_DOCUMENT_BYTES + 1)
    if len(content) > MAX_DOCUMENT_BYTES:
        return await _page(
            browser, problem=refusal("document_too_large", 413), problem_kind=kind, typed=typed, status_code=413
        )
    filename = file.filename.replace("\\", "/").rsplit("/", 1)[-1][-MAX_FILENAME:]
    # The browser's declared type proves nothing: identity reads the content.
    try:
        await browser.upstream.identity.upload(
            f"/accounts/{account_id}/documents/{kind}",
            browser.token,
            key,
            {"file": (filename, content, "application/octet-stream")},
            timeout=UPLOAD_TIMEOUT_SECONDS,
            fields={"issued_on": issued_on} if issued_on else None,
        )
    except UpstreamProblem as problem:
        ensure_shown(problem)
        return await _page(browser, problem=problem, problem_kind=kind, typed=typed, status_code=problem.status)
    return browser.redirect(f"{PAGE}?sent={kind}")


def _is_date(value: str) -> bool:
    if not ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@router.get(f"{PAGE}/{{document_id}}/file")
async def download(document_id: str, browser: BrowserDep) -> Response:
    """One's own upload, always as an attachment the browser does not render or sniff."""
    document_id = valid_id(document_id)
    account_id = browser.account_id
    try:
        answer = await browser.upstream.identity.document(
            f"/accounts/{account_id}/documents/{document_id}/content", browser.token
        )
    except UpstreamProblem as problem:
        if problem.unauthenticated:
            raise
        raise PageNotFound() from None
    return Response(
        answer.content,
        media_type="application/octet-stream",
        # `X-Content-Type-Options: nosniff` is on every answer already (portal.api.errors).
        headers={"Content-Disposition": "attachment", "Cache-Control": "private, no-store"},
    )
