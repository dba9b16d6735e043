"""Bulk import of users (R23) in the portal: the template, the upload, the "incomplete" and
"duplicates" tabs with inline correction without uploading again, the submission once
nothing blocks, the progress with seats' estimate, and the result.

The fake below answers as seats' import API does (`seats/api/imports.py`): the same paths,
bodies and shapes (`ImportView`, `RowView`, paged rows with `X-Next-Cursor`)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from .conftest import ADA, EVE, hidden_fields, problem, subscription

TEMPLATE_CSV = b"email,first_name,last_name\r\nada@example.com,Ada,Lovelace\r\n"
FILE = (
    "email,first_name,last_name\n"
    "grace@example.com,Grace,Hopper\n"  # row 2
    "not-an-address,Alan,Turing\n"  # row 3: to correct
    "linus@example.com,,Torvalds\n"  # row 4: to correct
    "grace@example.com,Grace,Again\n"  # row 5: a duplicate of row 2
    "known@example.com,Known,User\n"  # row 6: already a user
)


def forms(html: str) -> dict[str, dict[str, str]]:
    """Each form's hidden fields, by its action."""
    found = {}
    for action, body in re.findall(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', html, re.S):
        found[action] = hidden_fields(body)
    return found


def _row_errors(email: str, first: str, last: str) -> list[str]:
    errors = []
    if not email:
        errors.append("email is required")
    elif "@" not in email:
        errors.append(f"'{email}' is not a valid e-mail address")
    if not first:
        errors.append("first name is required")
    if not last:
        errors.append("last name is required")
    return errors


@dataclass
class FakeImport:
    import_id: str
    subscription_id: str
    rows: list[dict[str, Any]]
    dropped: list[dict[str, Any]]
    status: str = "draft"
    done: int = 0
    added: int = 0
    seconds_left: float | None = None

    def view(self) -> dict[str, Any]:
        incomplete = [r for r in self.rows if r["errors"]]
        return {
            "import_id": self.import_id,
            "status": self.status,
            "total": len(self.rows),
            "done": self.done,
            "added": self.added,
            "seconds_left": self.seconds_left,
            "incomplete_count": len(incomplete),
            "incomplete": incomplete[:100],
            "duplicates_count": len(self.dropped),
            "duplicates": self.dropped[:100],
            "submitted_at": None if self.status == "draft" else "2026-01-05T09:00:00Z",
            "finished_at": "2026-01-05T09:01:00Z" if self.status == "done" else None,
        }


@dataclass
class FakeSeatsImports:
    """seats' bulk import, as far as these pages call it."""

    fakes: Any
    listed: set[str] = field(default_factory=lambda: {"known@example.com"})
    drafts: dict[str, FakeImport] = field(default_factory=dict)
    uploads: list[tuple[str, bytes]] = field(default_factory=list)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    submissions: int = 0

    def install(self) -> None:
        route = self.fakes.route
        base = r"/subscriptions/([^/]+)/users"
        route("seats", "GET", base + r"/import-template\.(csv|xlsx)")(self.template)
        route("seats", "POST", base + r"/imports")(self.upload)
        route("seats", "GET", base + r"/imports/([^/]+)")(self.read)
        route("seats", "GET", base + r"/imports/([^/]+)/rows")(self.rows)
        route("seats", "PATCH", base + r"/imports/([^/]+)/rows/(\d+)")(self.correct)
        route("seats", "POST", base + r"/imports/([^/]+)/submission")(self.submit)

    def _administers(self, caller, subscription_id: str) -> bool:
        found = self.fakes.subscriptions.get(subscription_id)
        return bool(
            caller
            and found
            and found["administrator_id"] == caller.person_id
            and found["account_id"] == caller.account_id
        )

    def _draft(self, caller, subscription_id: str, import_id: str) -> FakeImport | httpx.Response:
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        draft = self.drafts.get(import_id)
        if not self._administers(caller, subscription_id) or draft is None or draft.subscription_id != subscription_id:
            return problem(404, "import_not_found", "No such import.")
        return draft

    def template(self, request, caller, match) -> httpx.Response:
        kind = match.group(2)
        return httpx.Response(
            200,
            content=TEMPLATE_CSV if kind == "csv" else b"PK\x03\x04xlsx",
            headers={"content-type": "text/csv", "content-disposition": f'attachment; filename="users.{kind}"'},
        )

    def upload(self, request, caller, match) -> httpx.Response:
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        if not self._administers(caller, match.group(1)):
            return problem(404, "subscription_not_found", "No such subscription.")
        filename, content = _multipart_file(request)
        self.uploads.append((filename, content))
        if not filename.endswith((".csv", ".xlsx")):
            return problem(422, "unreadable_import", "The file cannot be imported: send a .csv or .xlsx file.")
        lines = list(csv.reader(io.StringIO(content.decode())))
        if lines[:1] != [["email", "first_name", "last_name"]]:
            return problem(422, "unreadable_import", "The file cannot be imported: the header row lacks email.")
        rows, dropped, seen = [], [], {}
        for row_no, (email, first, last) in enumerate(lines[1:], start=2):
            if email in self.listed:
                dropped.append({"row": row_no, "email": email, "reason": "already a user of this subscription"})
            elif email in seen:
                dropped.append({"row": row_no, "email": email, "reason": f"duplicate of row {seen[email]}"})
            else:
                seen[email] = row_no
                errors = _row_errors(email, first, last)
                rows.append({"row": row_no, "email": email, "first_name": first, "last_name": last, "errors": errors})
        import_id = f"imp-{len(self.drafts) + 1}"
        self.drafts[import_id] = FakeImport(import_id, match.group(1), rows, dropped)
        return httpx.Response(201, json={**self.drafts[import_id].view(), "event_ids": []})

    def read(self, request, caller, match) -> httpx.Response:
        draft = self._draft(caller, match.group(1), match.group(2))
        return draft if isinstance(draft, httpx.Response) else httpx.Response(200, json=draft.view())

    def rows(self, request, caller, match) -> httpx.Response:
        draft = self._draft(caller, match.group(1), match.group(2))
        if isinstance(draft, httpx.Response):
            return draft
        found = [r for r in draft.rows if r["errors"]] if request.url.params.get("incomplete") == "true" else draft.rows
        after = int(request.url.params.get("cursor", "0") or 0)
        limit = int(request.url.params.get("limit", "100"))
        found = [r for r in found if r["row"] > after]
        page = found[:limit]
        headers = {"x-next-cursor": str(page[-1]["row"])} if len(found) > limit else {}
        return httpx.Response(200, json=page, headers=headers)

    def correct(self, request, caller, match) -> httpx.Response:
        draft = self._draft(caller, match.group(1), match.group(2))
        if isinstance(draft, httpx.Response):
            return draft
        body = json.loads(request.content)
        self.corrections.append(body)
        if "email" in body and "@" not in body["email"]:
            return problem(422, "invalid_request", "email: value is not a valid email address")
        if draft.status != "draft":
            return problem(409, "import_submitted", "This import is importing; start a new one to change it.")
        row = next(r for r in draft.rows if r["row"] == int(match.group(3)))
        row.update(body)
        row["errors"] = _row_errors(row["email"], row["first_name"], row["last_name"])
        if any(r["email"] == row["email"] for r in draft.rows if r is not row) or row["email"] in self.listed:
            row["errors"].append(f"{row['email']} is already a user or in another row")
        return httpx.Response(200, json={**draft.view(), "event_ids": []})

    def submit(self, request, caller, match) -> httpx.Response:
        draft = self._draft(caller, match.group(1), match.group(2))
        if isinstance(draft, httpx.Response):
            return draft
        if any(r["errors"] for r in draft.rows):
            return problem(422, "import_incomplete", "2 rows need correcting before the import: row 3: ...")
        self.submissions += 1
        draft.status = "importing"
        return httpx.Response(202, json={**draft.view(), "event_ids": []})


def _multipart_file(request: httpx.Request) -> tuple[str, bytes]:
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    for part in request.content.split(b"--" + boundary):
        head, _, body = part.partition(b"\r\n\r\n")
        if b'name="file"' in head:
            filename = re.search(rb'filename="([^"]*)"', head)
            return (filename.group(1).decode() if filename else ""), body.removesuffix(b"\r\n")
    return "", b""


@pytest.fixture
def seats(portal) -> FakeSeatsImports:
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA)
    portal.fakes.subscriptions["s-eve"] = subscription("s-eve", EVE)
    found = FakeSeatsImports(portal.fakes)
    found.install()
    return found


async def upload(portal, content: str = FILE, filename: str = "users.csv", **headers: str) -> httpx.Response:
    fields = hidden_fields((await portal.get("/subscriptions/s-1/users/import")).text)
    return await portal.post(
        "/subscriptions/s-1/users/import",
        data=fields,
        files={"file": (filename, content.encode(), "text/csv")},
        headers=headers,
    )


async def test_the_upload_page_offers_both_templates_and_a_file_field_r23(portal, seats):
    await portal.sign_in()
    page = await portal.get("/subscriptions/s-1/users/import")
    assert page.status_code == 200
    assert "<h1>Import users</h1>" in page.text
    assert 'href="/subscriptions/s-1/users/import/template.csv"' in page.text
    assert 'href="/subscriptions/s-1/users/import/template.xlsx"' in page.text
    assert 'enctype="multipart/form-data"' in page.text and 'hx-encoding="multipart/form-data"' in page.text
    assert '<label for="import-file">File</label>' in page.text
    assert ">Upload</button>" in page.text
    assert '<script src="/static/upload.js" defer></script>' in page.text
    assert "onclick" not in page.text and "<script>" not in page.text
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", hidden_fields(page.text)["idempotency_key"])


async def test_the_templates_come_from_seats_through_the_portal_r23(portal, seats):
    await portal.sign_in()
    csv_file = await portal.get("/subscriptions/s-1/users/import/template.csv")
    xlsx_file = await portal.get("/subscriptions/s-1/users/import/template.xlsx")
    assert csv_file.status_code == 200 and csv_file.content == TEMPLATE_CSV
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.headers["content-disposition"] == 'attachment; filename="users.csv"'
    assert xlsx_file.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    [call] = portal.fakes.calls("GET", "/subscriptions/s-1/users/import-template.csv")
    assert "token" not in str(call.url) and call.headers["authorization"].startswith("Bearer ")
    assert (await portal.get("/subscriptions/s-1/users/import/template.pdf")).status_code == 404


async def test_a_file_is_sent_to_seats_once_however_often_the_form_is_sent_r23(portal, seats):
    await portal.sign_in()
    fields = hidden_fields((await portal.get("/subscriptions/s-1/users/import")).text)
    sent = {"file": ("users.csv", FILE.encode(), "text/csv")}

    first = await portal.post("/subscriptions/s-1/users/import", data=fields, files=sent)
    second = await portal.post("/subscriptions/s-1/users/import", data=fields, files=sent)  # a double click

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"] == "/subscriptions/s-1/users/import/imp-1"
    calls = portal.fakes.calls("POST", "/subscriptions/s-1/users/imports")
    assert [c.headers["idempotency-key"] for c in calls] == [fields["idempotency_key"]] * 2
    assert len(seats.drafts) == 1
    assert seats.uploads[0] == ("users.csv", FILE.encode())
    assert "multipart/form-data" in calls[0].headers["content-type"]


async def test_with_htmx_the_upload_answers_where_to_go_next(portal, seats):
    await portal.sign_in()
    answer = await upload(portal, **{"HX-Request": "true"})
    assert answer.status_code == 200
    assert answer.headers["hx-redirect"] == "/subscriptions/s-1/users/import/imp-1"


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("", "", "Choose a file to upload."),
        ("users.pdf", "%PDF", "Send a .csv or .xlsx file."),
    ],
)
async def test_a_missing_or_wrong_file_is_refused_before_seats_r23(portal, seats, filename, content, message):
    await portal.sign_in()
    fields = hidden_fields((await portal.get("/subscriptions/s-1/users/import")).text)
    answer = await portal.post(
        "/subscriptions/s-1/users/import", data=fields, files={"file": (filename, content.encode(), "text/plain")}
    )
    assert answer.status_code == 422
    assert f'<p class="problem" role="alert">{message}</p>' in answer.text
    assert portal.fakes.calls("POST", "/subscriptions/s-1/users/imports") == []


async def test_a_file_over_10_mb_is_refused_before_seats_r23(portal, seats, monkeypatch):
    from portal.api import imports

    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr(imports, "MULTIPART_OVERHEAD", 10**6)  # past the declared length: the read bound
    await portal.sign_in()
    answer = await upload(portal, content="email,first_name,last_name\n" + "a@example.com,A,B\n" * 100)
    assert answer.status_code == 413
    assert "This file is larger than 10 MB." in answer.text
    monkeypatch.setattr(imports, "MULTIPART_OVERHEAD", 0)  # the declared length says so: the body is not read
    assert (await upload(portal, content="x" * 2000)).status_code == 413
    assert portal.fakes.calls("POST", "/subscriptions/s-1/users/imports") == []


async def test_a_file_seats_cannot_read_is_explained_on_the_page_r23(portal, seats):
    await portal.sign_in()
    answer = await upload(portal, content="mail;name\nx;y\n")
    assert answer.status_code == 422
    assert "This file cannot be read. Use the template" in answer.text
    assert 'role="alert"' in answer.text and ">Upload</button>" in answer.text


async def test_the_draft_opens_on_the_incomplete_tab_with_counts_r23(portal, seats):
    await portal.sign_in()
    await upload(portal)

    page = await portal.get("/subscriptions/s-1/users/import/imp-1")

    assert page.status_code == 200
    assert re.search(r'href="\?tab=incomplete" aria-current="page">Incomplete <span class="count">\(2\)', page.text)
    assert re.search(r'href="\?tab=duplicates">Duplicates <span class="count">\(2\)', page.text)
    assert re.search(r'href="\?tab=all">All rows <span class="count">\(3\)', page.text)
    assert "This is not a valid e-mail address." in page.text and "The first name is missing." in page.text
    assert 'value="not-an-address"' in page.text and 'id="email-3"' in page.text and 'id="first-name-4"' in page.text
    assert "grace@example.com" not in page.text  # complete rows are on the "all" tab
    row_forms = forms(page.text)
    assert set(row_forms) == {
        "/subscriptions/s-1/users/import/imp-1/rows/3",
        "/subscriptions/s-1/users/import/imp-1/rows/4",
        "/sign-out",
        "/language",
    }
    assert (
        row_forms["/subscriptions/s-1/users/import/imp-1/rows/3"]["idempotency_key"]
        != (row_forms["/subscriptions/s-1/users/import/imp-1/rows/4"]["idempotency_key"])
    )
    assert "Submit import" not in page.text  # R23: nothing is imported while rows are incomplete
    assert "Correct the 2 incomplete rows to submit the import." in page.text


async def test_the_duplicates_tab_lists_the_rows_left_out_r23(portal, seats):
    await portal.sign_in()
    await upload(portal)
    page = await portal.get("/subscriptions/s-1/users/import/imp-1?tab=duplicates")
    assert "<caption>Rows left out as duplicates</caption>" in page.text
    assert "<td>Duplicate of row 2</td>" in page.text
    assert "<td>Already a user of this subscription</td>" in page.text
    everything = await portal.get("/subscriptions/s-1/users/import/imp-1?tab=all")
    assert "grace@example.com" in everything.text and "Hopper" in everything.text


async def test_a_row_is_corrected_on_the_page_without_uploading_again_r23(portal, seats):
    await portal.sign_in()
    await upload(portal)
    page = await portal.get("/subscriptions/s-1/users/import/imp-1")
    form = forms(page.text)["/subscriptions/s-1/users/import/imp-1/rows/3"]
    typed = {**form, "email": "alan@example.com", "first_name": "Alan", "last_name": "Turing"}

    first = await portal.post("/subscriptions/s-1/users/import/imp-1/rows/3", data=typed)
    again = await portal.post("/subscriptions/s-1/users/import/imp-1/rows/3", data=typed)

    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == "/subscriptions/s-1/users/import/imp-1?tab=incomplete"
    calls = portal.fakes.calls("PATCH", "/subscriptions/s-1/users/imports/imp-1/rows/3")
    assert [c.headers["idempotency-key"] for c in calls] == [form["idempotency_key"]] * 2
    assert json.loads(calls[0].content) == {"email": "alan@example.com", "first_name": "Alan", "last_name": "Turing"}
    assert len(seats.corrections) == 1 and len(seats.uploads) == 1
    after = await portal.get(first.headers["location"])
    assert 'id="email-3"' not in after.text and 'id="first-name-4"' in after.text
    assert re.search(r"Incomplete <span class=\"count\">\(1\)", after.text)


async def test_a_refused_correction_keeps_what_was_typed_r23(portal, seats):
    await portal.sign_in()
    await upload(portal)
    form = forms((await portal.get("/subscriptions/s-1/users/import/imp-1")).text)[
        "/subscriptions/s-1/users/import/imp-1/rows/3"
    ]
    answer = await portal.post(
        "/subscriptions/s-1/users/import/imp-1/rows/3",
        data={**form, "email": "still-wrong", "first_name": "Alan", "last_name": "Mathison Turing"},
    )
    assert answer.status_code == 422
    assert "Some fields are not valid." in answer.text
    assert 'value="still-wrong"' in answer.text and 'value="Mathison Turing"' in answer.text

    too_long = await portal.post(
        "/subscriptions/s-1/users/import/imp-1/rows/3",
        data={**form, "email": "a@example.com", "first_name": "A" * 201, "last_name": "B"},
    )
    assert too_long.status_code == 422 and "a name at most 200" in too_long.text
    assert len(seats.corrections) == 1  # the long name never left the portal


async def test_once_complete_the_import_is_submitted_and_its_progress_shown_r23(portal, seats):
    await portal.sign_in()
    await upload(portal)
    page = await portal.get("/subscriptions/s-1/users/import/imp-1")
    row_forms = forms(page.text)
    for row, fix in (("3", {"email": "alan@example.com"}), ("4", {"first_name": "Linus"})):
        form = row_forms[f"/subscriptions/s-1/users/import/imp-1/rows/{row}"]
        fixed = await portal.post(f"/subscriptions/s-1/users/import/imp-1/rows/{row}", data={**form, **fix})
        assert fixed.status_code == 303
    ready = await portal.get("/subscriptions/s-1/users/import/imp-1")
    assert "3 users will be added and invited." in ready.text and ">Submit import</button>" in ready.text
    submission = forms(ready.text)["/subscriptions/s-1/users/import/imp-1/submission"]

    first = await portal.post("/subscriptions/s-1/users/import/imp-1/submission", data=submission)
    again = await portal.post("/subscriptions/s-1/users/import/imp-1/submission", data=submission)

    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == "/subscriptions/s-1/users/import/imp-1"
    assert seats.submissions == 1
    importing = await portal.get("/subscriptions/s-1/users/import/imp-1")
    assert "Importing… 0 of 3 rows done." in importing.text and "Estimating the time left…" in importing.text
    assert 'hx-get="/subscriptions/s-1/users/import/imp-1/progress"' in importing.text
    assert 'aria-live="polite"' in importing.text and '<progress max="3" value="0"' in importing.text
    assert '<a href="/subscriptions/s-1/users/import/imp-1">Refresh</a>' in importing.text  # without JavaScript
    assert "Submit import" not in importing.text

    seats.drafts["imp-1"].done, seats.drafts["imp-1"].seconds_left = 1, 40.0
    polled = await portal.get("/subscriptions/s-1/users/import/imp-1/progress", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and "<html" not in polled.text
    assert "Importing… 1 of 3 rows done." in polled.text and "About 40 seconds left." in polled.text
    assert 'hx-trigger="every 4s"' in polled.text  # a tenth of seats' estimate

    seats.drafts["imp-1"].status, seats.drafts["imp-1"].done, seats.drafts["imp-1"].added = "done", 3, 3
    done = await portal.get("/subscriptions/s-1/users/import/imp-1/progress", headers={"HX-Request": "true"})
    assert "The import is finished." in done.text and "hx-trigger" not in done.text
    assert re.search(r"<dt>Users added and invited</dt><dd>3</dd>", done.text)
    assert re.search(r"<dt>Rows not imported \(already users or duplicates\)</dt><dd>2</dd>", done.text)


async def test_submitting_with_rows_to_correct_is_refused_on_the_page_r23(portal, seats):
    await portal.sign_in()
    await upload(portal)
    page = await portal.get("/subscriptions/s-1/users/import/imp-1")
    fields = {"csrf_token": hidden_fields(page.text)["csrf_token"], "idempotency_key": "k" * 32}
    answer = await portal.post("/subscriptions/s-1/users/import/imp-1/submission", data=fields)
    assert answer.status_code == 422
    assert "Some rows still need correcting" in answer.text and seats.submissions == 0


async def test_the_progress_partial_without_htmx_is_the_import_page(portal, seats):
    await portal.sign_in()
    answer = await portal.get("/subscriptions/s-1/users/import/imp-1/progress")
    assert answer.status_code == 303 and answer.headers["location"] == "/subscriptions/s-1/users/import/imp-1"


async def test_another_company_s_import_is_the_same_page_as_an_unknown_one_r6(portal, seats):
    await portal.sign_in(EVE)
    await portal.post(
        "/subscriptions/s-eve/users/import",
        data=hidden_fields((await portal.get("/subscriptions/s-eve/users/import")).text),
        files={"file": ("users.csv", FILE.encode(), "text/csv")},
    )
    assert "imp-1" in seats.drafts
    await portal.post("/sign-out", data=hidden_fields((await portal.get("/subscriptions")).text))
    await portal.sign_in(ADA)

    pages = [
        await portal.get("/subscriptions/s-eve/users/import"),
        await portal.get("/subscriptions/s-eve/users/import/imp-1"),
        await portal.get("/subscriptions/s-1/users/import/imp-1"),  # Eve's import under Ada's subscription
        await portal.get("/subscriptions/s-1/users/import/nothing"),
        await portal.get("/subscriptions/s-1/users/import/%3Cscript%3E"),
    ]
    assert {p.status_code for p in pages} == {404}
    assert len({re.sub(r'name="next" value="[^"]*"', "", p.text) for p in pages}) == 1
    csrf = hidden_fields(pages[0].text)["csrf_token"]
    fix = await portal.post(
        "/subscriptions/s-eve/users/import/imp-1/rows/3",
        data={"csrf_token": csrf, "idempotency_key": "k" * 32, "email": "x@example.com"},
    )
    submit = await portal.post(
        "/subscriptions/s-eve/users/import/imp-1/submission", data={"csrf_token": csrf, "idempotency_key": "k" * 32}
    )
    assert fix.status_code == submit.status_code == 404
    assert len(portal.fakes.calls("PATCH", "/subscriptions/s-eve/users/imports/imp-1/rows/3")) == 1  # seats: 404
    assert seats.corrections == [] and seats.submissions == 0


async def test_signed_out_the_pages_lead_to_sign_in(portal, seats):
    for path in ("/subscriptions/s-1/users/import", "/subscriptions/s-1/users/import/imp-1"):
        answer = await portal.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/sign-in?next={path}"


async def test_a_form_without_csrf_token_or_key_sends_nothing(portal, seats):
    await portal.sign_in()
    fields = hidden_fields((await portal.get("/subscriptions/s-1/users/import")).text)
    sent = {"file": ("users.csv", FILE.encode(), "text/csv")}
    no_csrf = await portal.post(
        "/subscriptions/s-1/users/import", data={"idempotency_key": fields["idempotency_key"]}, files=sent
    )
    no_key = await portal.post("/subscriptions/s-1/users/import", data={"csrf_token": fields["csrf_token"]}, files=sent)
    assert no_csrf.status_code == 403 and no_key.status_code == 404
    assert seats.uploads == []


async def test_the_pages_read_in_french(portal, seats):
    await portal.sign_in()
    await upload(portal)
    fields = hidden_fields((await portal.get("/subscriptions")).text)
    await portal.post("/language", data={**fields, "locale": "fr", "next": "/subscriptions"})
    upload_page = await portal.get("/subscriptions/s-1/users/import")
    draft = await portal.get("/subscriptions/s-1/users/import/imp-1")
    assert upload_page.status_code == draft.status_code == 200
    assert '<html lang="fr">' in draft.text
