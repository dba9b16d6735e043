"""R3, R44: account verification documents by customer type, uploaded by the account's
administrators, accepted or refused by an operator; all accepted → the account is verified."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from contracts.errors import Refusal, RuleViolation
from contracts.testing import T0
from identity.domain import documents
from identity.domain.accounts import AccountStatus, CustomerType
from identity.domain.documents import DocumentKind, DocumentStatus, MediaType

from .test_api import latest_token, published, register, sign_in, signed_in

OPERATOR = {"X-Operator-Token": "op-secret"}
PDF = b"%PDF-1.7\n" + b"x" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"y" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"z" * 100
TODAY = T0.date()


@pytest.fixture
async def service(driver_of):
    return (await driver_of(operator_token="op-secret", portal_url="http://id.test")).from_()


# -- the rules -------------------------------------------------------------------------------


def test_R44_each_customer_type_requires_its_documents():
    assert documents.required_documents(CustomerType.DESIGN_OFFICE) == (
        DocumentKind.COMPANY_REGISTER_EXTRACT,
        DocumentKind.DIRECTOR_ID,
    )
    assert documents.required_documents(CustomerType.CONTRACTOR_ENGINEER) == (
        DocumentKind.SIRENE_NOTICE,
        DocumentKind.ID_DOCUMENT,
    )
    assert documents.required_documents(CustomerType.STUDENT) == (DocumentKind.STUDENT_CARD,)
    assert documents.required_documents(None) == ()


def test_R44_the_file_type_is_told_by_its_content_not_its_name():
    assert documents.media_type_of(PDF) is MediaType.PDF
    assert documents.media_type_of(PNG) is MediaType.PNG
    assert documents.media_type_of(JPEG) is MediaType.JPEG
    for content, code in (
        (b"<html><script>alert(1)</script>", "document_type_not_accepted"),
        (b"", "document_empty"),
        (b"%PDF-" + b"0" * documents.MAX_DOCUMENT_BYTES, "document_too_large"),
    ):
        with pytest.raises(RuleViolation) as refused:
            documents.media_type_of(content)
        assert (refused.value.code, refused.value.refusal, refused.value.rule) == (code, Refusal.INVALID, "R44")


def test_R44_a_filename_keeps_no_path_and_no_control_characters():
    assert documents.safe_filename("C:\\Users\\ada\\kbis\x00.pdf") == "kbis.pdf"
    assert documents.safe_filename("../../etc/passwd") == "passwd"
    assert documents.safe_filename("\n") == "document"


def _new(account, kind, issued_on=None, current=None):
    return documents.new_document(
        "d1", account, kind, current, "scan.pdf", MediaType.PDF, 10, "0" * 64, issued_on, "p1", T0
    )


def test_R44_the_company_register_extract_is_under_3_months(account):
    acme, _ = account()
    acme.customer_type = CustomerType.DESIGN_OFFICE
    assert _new(acme, DocumentKind.COMPANY_REGISTER_EXTRACT, TODAY - timedelta(days=80)).issued_on
    for issued_on, code in (
        (None, "issue_date_missing"),
        (TODAY - timedelta(days=120), "document_too_old"),
        (TODAY + timedelta(days=1), "document_too_old"),
    ):
        with pytest.raises(RuleViolation) as refused:
            _new(acme, DocumentKind.COMPANY_REGISTER_EXTRACT, issued_on)
        assert refused.value.code == code
    assert _new(acme, DocumentKind.DIRECTOR_ID, date(2000, 1, 1)).issued_on is None  # not a dated one


def test_R44_only_documents_of_the_chosen_type_and_an_accepted_one_stays(account):
    acme, _ = account()
    with pytest.raises(RuleViolation) as untyped:
        _new(acme, DocumentKind.STUDENT_CARD)
    assert untyped.value.code == "document_not_required"
    acme.customer_type = CustomerType.STUDENT
    card = _new(acme, DocumentKind.STUDENT_CARD)
    card.refuse("Expired card", T0)
    assert (card.status, card.refusal_reason) == (DocumentStatus.REFUSED, "Expired card")
    again = _new(acme, DocumentKind.STUDENT_CARD, current=card)  # a refused one is sent again
    again.accept(T0)
    with pytest.raises(RuleViolation) as accepted:
        _new(acme, DocumentKind.STUDENT_CARD, current=again)
    assert accepted.value.code == "document_already_accepted"
    with pytest.raises(RuleViolation):
        again.refuse("changed my mind", T0)
    assert documents.all_required_accepted(acme, [again])


def test_R3_a_verified_account_sends_no_more_documents(account):
    acme, _ = account()
    acme.customer_type = CustomerType.STUDENT
    acme.accept_documents(T0)
    assert acme.status is AccountStatus.VERIFIED
    with pytest.raises(RuleViolation) as refused:
        documents.choose_customer_type(acme, CustomerType.DESIGN_OFFICE)
    assert refused.value.code == "account_already_verified"


def test_R44_refusing_needs_a_reason(account):
    acme, _ = account()
    acme.customer_type = CustomerType.STUDENT
    with pytest.raises(RuleViolation) as refused:
        _new(acme, DocumentKind.STUDENT_CARD).refuse("  ", T0)
    assert refused.value.code == "refusal_reason_missing"


# -- over HTTP -------------------------------------------------------------------------------


async def _upload(service, url, headers, content=PDF, name="scan.pdf", key=None, **form):
    """As the portal sends it: the file (its declared type a lie), and `form` as plain parts."""
    extra = {"Idempotency-Key": key} if key else {}
    parts = {"file": (name, content, "text/html"), **{k: (None, v.encode(), "text/plain") for k, v in form.items()}}
    return await service.post(url, headers={**headers, **extra}, files=parts)


async def test_R3_R44_documents_uploaded_then_accepted_verify_the_account(service):
    acme, ada = await signed_in(service)
    base = f"/accounts/{acme['account_id']}"
    empty = (await service.get(f"{base}/documents", headers=ada)).json()
    assert (empty["status"], empty["customer_type"], empty["required"]) == ("pending_verification", None, [])
    assert empty["customer_types"]["student"] == ["student_card"]
    assert empty["verification_deadline"].startswith((T0 + timedelta(days=60)).date().isoformat())

    chosen = await service.put(f"{base}/customer-type", headers=ada, json={"customer_type": "design_office"})
    assert [(r["kind"], r["dated"], r["document"]) for r in chosen.json()["required"]] == [
        ("company_register_extract", True, None),
        ("director_id", False, None),
    ]
    undated = await _upload(service, f"{base}/documents/company_register_extract", ada)
    assert (undated.status_code, undated.json()["code"]) == (422, "issue_date_missing")
    extract = await _upload(
        service, f"{base}/documents/company_register_extract", ada, issued_on=(TODAY - timedelta(days=10)).isoformat()
    )
    assert extract.status_code == 201, extract.text
    assert (extract.json()["media_type"], extract.json()["status"]) == ("application/pdf", "uploaded")
    director = await _upload(service, f"{base}/documents/director_id", ada, PNG, "passport.png")
    assert director.json()["media_type"] == "image/png"

    # An operator refuses the ID with a reason; the customer sees it and sends another.
    refused = await service.post(
        f"/ops{base}/documents/{director.json()['document_id']}/refusal", headers=OPERATOR, json={"reason": "Blurry"}
    )
    assert refused.status_code == 200, refused.text
    listed = (await service.get(f"{base}/documents", headers=ada)).json()
    assert [(r["document"]["status"], r["document"]["refusal_reason"]) for r in listed["required"]] == [
        ("uploaded", None),
        ("refused", "Blurry"),
    ]
    director = await _upload(service, f"{base}/documents/director_id", ada, JPEG, "passport.jpg")
    assert director.json()["status"] == "uploaded"

    for document in (extract, director):
        accepted = await service.post(
            f"/ops{base}/documents/{document.json()['document_id']}/acceptance", headers=OPERATOR
        )
        assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "verified"
    assert (await service.get(base, headers=ada)).json()["status"] == "verified"
    [verified] = await published(service, "identity.account_verified")
    assert verified["subject"] == acme["account_id"]
    assert await service.driver.pending_jobs() == []  # the 60-day deadline is cancelled
    late = await _upload(service, f"{base}/documents/director_id", ada, JPEG)
    assert (late.status_code, late.json()["code"]) == (409, "account_already_verified")


async def test_R3_R44_the_customer_type_can_be_chosen_at_sign_up(service):
    acme, ada = await signed_in(service, company="Acme")
    assert (await service.get(f"/accounts/{acme['account_id']}", headers=ada)).json()["customer_type"] is None
    registered = await register(service, "stu@example.com", "Stu", customer_type="student")
    await service.post("/verifications", json={"token": await latest_token(service, registered["person_id"])})
    stu = {"Authorization": f"Bearer {(await sign_in(service, 'stu@example.com')).json()['access_token']}"}
    docs = (await service.get(f"/accounts/{registered['account_id']}/documents", headers=stu)).json()
    assert [r["kind"] for r in docs["required"]] == ["student_card"]


async def test_R44_the_type_is_checked_by_content_and_never_served_sniffable(service):
    acme, ada = await signed_in(service)
    base = f"/accounts/{acme['account_id']}"
    await service.put(f"{base}/customer-type", headers=ada, json={"customer_type": "student"})
    html = await _upload(service, f"{base}/documents/student_card", ada, b"<html><body>hi", "card.pdf")
    assert (html.status_code, html.json()["code"]) == (422, "document_type_not_accepted")
    other = await _upload(service, f"{base}/documents/sirene_notice", ada)
    assert (other.status_code, other.json()["code"]) == (422, "document_not_required")
    big = await _upload(service, f"{base}/documents/student_card", ada, b"%PDF-" + b"0" * (10 * 2**20))
    assert (big.status_code, big.json()["code"]) == (422, "document_too_large")

    polyglot = b"%PDF-1.4 <html><script>alert(1)</script></html>"
    card = await _upload(service, f"{base}/documents/student_card", ada, polyglot, "C:\\scans\\card.pdf")
    assert (card.json()["filename"], card.json()["media_type"]) == ("card.pdf", "application/pdf")
    content_url = f"{base}/documents/{card.json()['document_id']}/content"
    for served in (
        await service.get(content_url, headers=ada),
        await service.get(f"/ops{content_url}", headers=OPERATOR),
    ):
        assert served.content == polyglot
        assert served.headers["content-type"] == "application/octet-stream"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert served.headers["content-disposition"] == "attachment"


async def test_R44_the_same_upload_key_twice_is_one_document(service):
    acme, ada = await signed_in(service)
    base = f"/accounts/{acme['account_id']}"
    await service.put(f"{base}/customer-type", headers=ada, json={"customer_type": "student"})
    first = await _upload(service, f"{base}/documents/student_card", ada, key="k" * 20)
    again = await _upload(service, f"{base}/documents/student_card", ada, key="k" * 20)
    assert again.headers.get("idempotent-replayed") == "true"
    assert first.json()["document_id"] == again.json()["document_id"]
    other = await _upload(service, f"{base}/documents/student_card", ada, PNG, key="k" * 20)
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")


async def test_R44_only_the_accounts_administrators_see_or_send_its_documents(service):
    acme, ada = await signed_in(service)
    globex, bob = await signed_in(service, "bob@example.com", "Globex")
    base = f"/accounts/{acme['account_id']}"
    await service.put(f"{base}/customer-type", headers=ada, json={"customer_type": "student"})
    card = await _upload(service, f"{base}/documents/student_card", ada)
    document_id = card.json()["document_id"]
    content_url = f"{base}/documents/{document_id}/content"
    # Another account's administrator: as if it did not exist.
    for answer in (
        await service.get(f"{base}/documents", headers=bob),
        await service.get(content_url, headers=bob),
        await _upload(service, f"{base}/documents/student_card", bob),
        await service.get(f"/accounts/{globex['account_id']}/documents/{document_id}/content", headers=bob),
    ):
        assert answer.status_code == 404
    # A member who is not an administrator: refused.
    await service.post(
        f"{base}/contacts", headers=ada, json={"email": "cy@example.com", "first_name": "Cy", "last_name": "Clerk"}
    )
    _, cy = await signed_in(service, "cy@example.com", company=None)
    for answer in (
        await service.get(f"{base}/documents", headers=cy),
        await service.get(content_url, headers=cy),
        await _upload(service, f"{base}/documents/student_card", cy),
        await service.put(f"{base}/customer-type", headers=cy, json={"customer_type": "student"}),
    ):
        assert (answer.status_code, answer.json()["rule"]) == (403, "R44")
    # Operators only decide.
    decision = f"/ops{base}/documents/{card.json()['document_id']}/acceptance"
    assert (await service.post(decision, headers=ada)).status_code == 403
