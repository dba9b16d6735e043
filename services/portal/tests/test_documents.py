"""The company's verification documents page (R3, R44): what the customer type requires, the
60-day deadline, each document's status, choosing the type, and uploading each document
(multipart, no JavaScript needed) to identity with the form's Idempotency-Key."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from portal.api import documents as documents_api
from portal.app import build

from .conftest import ADA, EVE, Portal, hidden_fields, problem

PAGE = "/company/documents"
PDF = b"%PDF-1.7\n" + b"x" * 64
REQUIRED = {
    "design_office": ["company_register_extract", "director_id"],
    "contractor_engineer": ["sirene_notice", "id_document"],
    "student": ["student_card"],
}
FILE_PART = re.compile(rb'name="file"; filename="([^"]*)"\r\nContent-Type: ([^\r]*)\r\n\r\n(.*?)\r\n--', re.S)
DATE_PART = re.compile(rb'name="issued_on"\r\n(?:Content-Type: [^\r]*\r\n)?\r\n([^\r]*)\r\n--')


@pytest.fixture
async def portal(settings, clock, fakes):
    """The portal with this page's router, whether or not `portal.app` registers it yet."""
    runtime = build(settings, clock=clock, transport=fakes.transport())
    await runtime.migrate()
    assert runtime.app is not None
    if not any(getattr(route, "path", None) == PAGE for route in runtime.app.routes):
        runtime.app.include_router(documents_api.router)
    client = Portal(transport=httpx.ASGITransport(app=runtime.app), base_url="https://portal.test")
    client.fakes = fakes
    async with client:
        yield client
    await runtime.upstream.aclose()
    await runtime.db.dispose()


class Identity:
    """identity's document routes over dicts, with its rules: only the account the token acts
    for (404 for any other), only its administrators (403), documents the type requires, the
    type told by the content (PDF here)."""

    def __init__(self) -> None:
        self.status = {ADA.account_id: "pending_verification", EVE.account_id: "pending_verification"}
        self.types: dict[str, str | None] = {ADA.account_id: None, EVE.account_id: "student"}
        self.documents: dict[str, dict[str, dict[str, Any]]] = {ADA.account_id: {}, EVE.account_id: {}}
        self.contents: dict[str, bytes] = {}
        self.administrators = {ADA.person_id, EVE.person_id}
        self.uploads: list[dict[str, Any]] = []

    def view(self, account_id: str) -> dict[str, Any]:
        """As identity's `DocumentsView`."""
        kinds = REQUIRED.get(self.types[account_id] or "", [])
        found = self.documents[account_id]
        return {
            "account_id": account_id,
            "status": self.status[account_id],
            "verification_deadline": "2026-03-06T09:00:00Z",
            "customer_type": self.types[account_id],
            "customer_types": REQUIRED,
            "required": [
                {"kind": k, "dated": k == "company_register_extract", "document": found.get(k)} for k in kinds
            ],
            "others": [d for k, d in found.items() if k not in kinds],
        }

    def refused(self, caller, account_id: str) -> httpx.Response | None:
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        if caller.account_id != account_id or account_id not in self.status:
            return problem(404, "account_not_found", f"No account {account_id} is visible to you.")
        if caller.person_id not in self.administrators:
            return problem(403, "not_an_administrator", "Only an administrator (R44).")
        return None

    def install(self, fakes) -> None:
        @fakes.route("identity", "GET", r"/accounts/([^/]+)/documents")
        def read(request, caller, match):
            return self.refused(caller, match[1]) or httpx.Response(200, json=self.view(match[1]))

        @fakes.route("identity", "PUT", r"/accounts/([^/]+)/customer-type")
        def choose(request, caller, match):
            if no := self.refused(caller, match[1]):
                return no
            self.types[match[1]] = json.loads(request.content)["customer_type"]
            return httpx.Response(200, json={**self.view(match[1]), "event_ids": []})

        @fakes.route("identity", "POST", r"/accounts/([^/]+)/documents/([a-z_]+)")
        def upload(request, caller, match):
            account_id, kind = match[1], match[2]
            if no := self.refused(caller, account_id):
                return no
            part = FILE_PART.search(request.content)
            dated = DATE_PART.search(request.content)
            assert part is not None
            filename, content_type, content = part.groups()
            self.uploads.append(
                {
                    "kind": kind,
                    "filename": filename.decode(),
                    "content_type": content_type.decode(),
                    "content": content,
                    "issued_on": dated[1].decode() if dated else None,
                    "key": request.headers["idempotency-key"],
                }
            )
            if kind not in REQUIRED.get(self.types[account_id] or "", []):
                return problem(422, "document_not_required", "Not required (R44).")
            if not content.startswith(b"%PDF-"):
                return problem(422, "document_type_not_accepted", "A document must be a PDF, JPEG or PNG file.")
            if kind == "company_register_extract" and not dated:
                return problem(422, "issue_date_missing", "Give the date the extract was issued.")
            document = {
                "document_id": f"d-{len(self.contents) + 1}",
                "kind": kind,
                "filename": filename.decode(),
                "media_type": "application/pdf",
                "size": len(content),
                "uploaded_at": "2026-01-06T10:00:00Z",
                "issued_on": dated[1].decode() if dated else None,
                "status": "uploaded",
                "decided_at": None,
                "refusal_reason": None,
            }
            self.documents[account_id][kind] = document
            self.contents[document["document_id"]] = content
            return httpx.Response(201, json={**document, "event_ids": []})

        @fakes.route("identity", "GET", r"/accounts/([^/]+)/documents/([^/]+)/content")
        def content(request, caller, match):
            if no := self.refused(caller, match[1]):
                return no
            mine = {d["document_id"] for d in self.documents[match[1]].values()}
            if match[2] not in mine:
                return problem(404, "document_not_found", "No such document.")
            octets = {"content-type": "application/octet-stream"}
            return httpx.Response(200, content=self.contents[match[2]], headers=octets)


@pytest.fixture
def identity(portal) -> Identity:
    fake = Identity()
    fake.install(portal.fakes)
    return fake


def forms(html: str) -> dict[str, dict[str, str]]:
    """Each of this page's forms' hidden fields, by its action."""
    found = re.findall(r'<form method="post" action="(/company/documents[^"]*)"(.*?)</form>', html, re.S)
    return {action: hidden_fields(body) for action, body in found}


def with_type(identity: Identity, customer_type: str = "design_office") -> None:
    identity.types[ADA.account_id] = customer_type


async def test_R3_R44_the_page_shows_the_deadline_and_asks_for_the_customer_type(portal, identity):
    await portal.sign_in()
    page = await portal.get(PAGE)
    assert page.status_code == 200, page.text
    assert "<h1>Verification documents</h1>" in page.text
    assert "Pending verification" in page.text
    assert "March 6, 2026" in page.text  # the 60 days (R3)
    assert "Not chosen yet" in page.text
    assert "Choose your type of customer to see the documents to provide." in page.text
    for label in ("Design office", "Contractor engineer", "Engineering student or intern"):
        assert label in page.text
    assert "SIRENE registration notice" in page.text  # what each type needs, before choosing

    form = forms(page.text)[f"{PAGE}/customer-type"]
    chosen = await portal.post(f"{PAGE}/customer-type", data={**form, "customer_type": "design_office"})
    assert (chosen.status_code, chosen.headers["location"]) == (303, PAGE)
    [call] = portal.fakes.calls("PUT", f"/accounts/{ADA.account_id}/customer-type")
    assert call.headers["idempotency-key"] == form["idempotency_key"]
    assert json.loads(call.content) == {"customer_type": "design_office"}

    page = await portal.get(PAGE)
    assert '<label for="file-company_register_extract">' in page.text
    assert '<label for="issued-company_register_extract">Date of issue</label>' in page.text
    assert '<label for="file-director_id">' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert page.text.count("Not sent yet") == 2


async def test_R44_a_document_is_uploaded_once_however_often_the_form_is_sent(portal, identity):
    with_type(identity)
    await portal.sign_in()
    form = forms((await portal.get(PAGE)).text)[f"{PAGE}/company_register_extract"]
    sent = {**form, "issued_on": "2025-12-20"}
    files = {"file": ("C:\\scans\\kbis.pdf", PDF, "text/html")}
    first = await portal.post(f"{PAGE}/company_register_extract", data=sent, files=files)
    second = await portal.post(f"{PAGE}/company_register_extract", data=sent, files=files)  # a double click

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == f"{PAGE}?sent=company_register_extract"
    calls = portal.fakes.calls("POST", f"/accounts/{ADA.account_id}/documents/company_register_extract")
    assert [c.headers["idempotency-key"] for c in calls] == [form["idempotency_key"]] * 2
    [upload] = identity.uploads  # the second answer was the first one's (same key)
    assert (upload["filename"], upload["content"], upload["issued_on"]) == ("kbis.pdf", PDF, "2025-12-20")
    assert upload["content_type"] == "application/octet-stream"  # the browser's claim is not passed on

    page = await portal.get(f"{PAGE}?sent=company_register_extract")
    assert "Document sent. We review it and show the result here." in page.text
    assert "Sent, waiting for review" in page.text
    assert "kbis.pdf" in page.text and "Send a new file" in page.text


async def test_R44_refused_documents_show_the_reason_and_accepted_ones_no_form(portal, identity):
    with_type(identity)
    identity.documents[ADA.account_id] = {
        "company_register_extract": {
            "document_id": "d-1",
            "kind": "company_register_extract",
            "filename": "kbis.pdf",
            "media_type": "application/pdf",
            "size": 10,
            "uploaded_at": "2026-01-06T10:00:00Z",
            "issued_on": "2025-12-20",
            "status": "accepted",
            "decided_at": "2026-01-07T10:00:00Z",
            "refusal_reason": None,
        },
        "director_id": {
            "document_id": "d-2",
            "kind": "director_id",
            "filename": "<b>id</b>.png",
            "media_type": "image/png",
            "size": 10,
            "uploaded_at": "2026-01-06T10:00:00Z",
            "issued_on": None,
            "status": "refused",
            "decided_at": "2026-01-07T10:00:00Z",
            "refusal_reason": "The scan is blurry <script>",
        },
    }
    await portal.sign_in()
    page = (await portal.get(PAGE)).text
    assert "Accepted" in page and "Refused" in page
    assert "The scan is blurry &lt;script&gt;" in page  # escaped
    assert "&lt;b&gt;id&lt;/b&gt;.png" in page
    assert set(forms(page)) == {f"{PAGE}/customer-type", f"{PAGE}/director_id"}  # nothing to send for the accepted

    identity.status[ADA.account_id] = "verified"
    verified = (await portal.get(PAGE)).text
    assert "Your company is verified: its documents were accepted." in verified
    assert forms(verified) == {}
    assert "Documents due by" not in verified


async def test_R44_bad_input_shows_the_page_again_with_a_clear_message_and_the_date_kept(portal, identity):
    with_type(identity)
    await portal.sign_in()
    form = forms((await portal.get(PAGE)).text)[f"{PAGE}/company_register_extract"]
    url = f"{PAGE}/company_register_extract"

    missing = await portal.post(url, data={**form, "issued_on": "2025-12-20"}, files={"file": ("", b"", "")})
    assert missing.status_code == 422
    assert "Choose a file to upload." in missing.text and 'value="2025-12-20"' in missing.text

    bad_date = await portal.post(url, data={**form, "issued_on": "20/12/2025"}, files={"file": ("k.pdf", PDF, "x")})
    assert bad_date.status_code == 422 and "Enter the issue date as a date, such as 2026-11-30." in bad_date.text

    html = await portal.post(
        url, data={**form, "issued_on": "2025-12-20"}, files={"file": ("k.pdf", b"<html>", "application/pdf")}
    )
    assert html.status_code == 422 and 'role="alert">The file must be a PDF, JPEG or PNG document.' in html.text
    assert 'value="2025-12-20"' in html.text

    too_large = await portal.post(
        url, data={**form, "issued_on": "2025-12-20"}, files={"file": ("k.pdf", b"%PDF-" + b"0" * (10 * 2**20), "x")}
    )
    assert too_large.status_code == 413 and "The file is larger than 10 MB." in too_large.text
    assert len(identity.uploads) == 1  # only the HTML file reached identity

    no_type = await portal.post(f"{PAGE}/customer-type", data=forms(html.text)[f"{PAGE}/customer-type"])
    assert no_type.status_code == 422 and "Choose the type of customer." in no_type.text


async def test_R44_only_administrators_see_the_page_and_only_their_own_files(portal, identity):
    identity.administrators.discard(ADA.person_id)  # Ada is a member only
    await portal.sign_in()
    refused = await portal.get(PAGE)
    assert refused.status_code == 404 and "<h1>Not found</h1>" in refused.text
    assert (await portal.get(f"{PAGE}/bogus_kind")).status_code in (404, 405)


async def test_R44_a_file_is_downloaded_as_an_attachment_and_another_companys_is_not_found(portal, identity):
    with_type(identity, "student")
    identity.documents[ADA.account_id]["student_card"] = {"document_id": "d-ada"}
    identity.documents[EVE.account_id]["student_card"] = {"document_id": "d-eve"}
    identity.contents.update({"d-ada": b"%PDF-ada <html>", "d-eve": b"%PDF-eve"})
    await portal.sign_in()
    mine = await portal.get(f"{PAGE}/d-ada/file")
    assert (mine.status_code, mine.content) == (200, b"%PDF-ada <html>")
    assert mine.headers["content-type"] == "application/octet-stream"
    assert mine.headers["x-content-type-options"] == "nosniff"
    assert mine.headers["content-disposition"] == "attachment"
    assert (await portal.get(f"{PAGE}/d-eve/file")).status_code == 404
    assert (await portal.get(f"{PAGE}/bad%0Aid/file")).status_code == 404


async def test_R44_signed_out_goes_to_sign_in(portal, identity):
    answer = await portal.get(PAGE)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in?next=/company/documents")
    fields = await portal.form_fields("/sign-in")
    posted = await portal.post(f"{PAGE}/student_card", data=fields, files={"file": ("k.pdf", PDF, "x")})
    assert posted.status_code in (303, 403)
    assert identity.uploads == []


async def test_R3_the_documents_page_renders_in_french(portal, identity):
    with_type(identity)
    await portal.sign_in()
    form = hidden_fields((await portal.get(PAGE)).text)
    await portal.post("/language", data={"csrf_token": form["csrf_token"], "locale": "fr", "next": PAGE})
    page = await portal.get(PAGE)
    assert page.status_code == 200 and 'lang="fr"' in page.text
    assert "6 mars 2026" in page.text
