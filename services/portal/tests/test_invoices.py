"""Invoices in the portal (R31, R32): the company's list and a subscription's, one invoice in
the page from billing's JSON, and billing's document downloadable as an attachment; another
company's invoice is the same not-found page as an unknown one."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from .conftest import ADA, EVE, problem, subscription

INVOICE_1 = "6f1c1d6e-0000-5000-8000-000000000001"
INVOICE_2 = "6f1c1d6e-0000-5000-8000-000000000002"
CREDIT = "6f1c1d6e-0000-5000-8000-000000000003"
EVES = "6f1c1d6e-0000-5000-8000-00000000000e"


def line(subscription_id: str, amount: int, start: str, end: str, **fields: Any) -> dict[str, Any]:
    """A line as billing's `LineView` shows it."""
    return {
        "line_id": f"l-{subscription_id}-{amount}",
        "subscription_id": subscription_id,
        "kind": "seats",
        "description": "Seats added: 10 × designer standard",
        "period_start": start,
        "period_end": end,
        "quantity_delta": 10,
        "unit_price": {"amount_minor": 36500, "currency": "EUR"},
        "days_remaining": 100,
        "days_in_term": 365,
        "amount": {"amount_minor": amount, "currency": "EUR"},
        "invoice_id": None,
        **fields,
    }


def invoice(invoice_id: str, number: str, account_id: str, lines: list[dict[str, Any]], **fields: Any):
    """An invoice as billing's `InvoiceView` shows it."""
    total = sum(item["amount"]["amount_minor"] for item in lines)
    return {
        "invoice_id": invoice_id,
        "number": number,
        "kind": "credit_note" if total < 0 else "invoice",
        "po_number": None,
        "issued_at": "2026-02-01T00:00:00Z",
        "total": {"amount_minor": total, "currency": "EUR"},
        "url": f"http://portal.test/invoices/{invoice_id}",
        "account_id": account_id,
        "lines": [{**item, "invoice_id": invoice_id} for item in lines],
        **fields,
    }


SUMMARY_FIELDS = ("invoice_id", "number", "kind", "po_number", "issued_at", "total", "url")


@pytest.fixture
def billing(portal):
    """billing's invoice routes over a dict, with its R6 rules: the list for an administrator of
    one of the account's subscriptions (403 otherwise), another account's invoice a 404."""
    fakes = portal.fakes
    invoices: dict[str, dict[str, Any]] = {}
    administrators = {ADA.person_id, EVE.person_id}

    def visible(caller, invoice_id):
        found = invoices.get(invoice_id)
        if caller is None or found is None or found["account_id"] != caller.account_id:
            return None
        return found if caller.person_id in administrators else None

    @fakes.route("billing", "GET", r"/invoices")
    def listed(request, caller, match):
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        if caller.person_id not in administrators:
            return problem(403, "not_an_administrator", "R6: only an administrator can read its invoices.")
        mine = sorted(
            (i for i in invoices.values() if i["account_id"] == caller.account_id),
            key=lambda i: (i["issued_at"], i["number"]),
            reverse=True,
        )
        limit = int(request.url.params.get("limit", 100))
        start = int(request.url.params.get("cursor", "0").removeprefix("c") or 0)
        shown = mine[start : start + limit]
        headers = {"X-Next-Cursor": f"c{start + limit}"} if len(mine) > start + limit else {}
        return httpx.Response(200, json=[{k: i[k] for k in SUMMARY_FIELDS} for i in shown], headers=headers)

    @fakes.route("billing", "GET", r"/invoices/([^/]+)\.html")
    def as_html(request, caller, match):
        found = visible(caller, match.group(1))
        if found is None:
            return problem(404, "invoice_not_found", "No such invoice.")
        head = "<!DOCTYPE html><html><head><style>body{}</style></head>"
        html = f"{head}<body><h1>Invoice {found['number']}</h1></body></html>"
        return httpx.Response(200, text=html, headers={"content-type": "text/html; charset=utf-8"})

    @fakes.route("billing", "GET", r"/invoices/([^/.]+)")
    def one(request, caller, match):
        found = visible(caller, match.group(1))
        if found is None:
            return problem(404, "invoice_not_found", "No such invoice.")
        return httpx.Response(200, json=found)

    return SimpleNamespace(invoices=invoices, administrators=administrators)


def company_invoices(billing) -> None:
    billing.invoices[INVOICE_1] = invoice(
        INVOICE_1,
        "INV-2026-000001",
        ADA.account_id,
        [line("s-1", 1_000_033, "2026-01-05T09:00:00Z", "2027-01-05T09:00:00Z", kind="term")],
        issued_at="2026-01-05T09:00:00Z",
        po_number="PO-7",
    )
    billing.invoices[INVOICE_2] = invoice(
        INVOICE_2,
        "INV-2026-000002",
        ADA.account_id,
        [line("s-2", 99_999, "2026-03-01T00:00:00Z", "2027-01-05T09:00:00Z")],
        issued_at="2026-03-01T00:00:00Z",
    )
    billing.invoices[CREDIT] = invoice(
        CREDIT,
        "CN-2026-000001",
        ADA.account_id,
        [line("s-1", -50_000, "2026-04-01T00:00:00Z", "2027-01-05T09:00:00Z", quantity_delta=-5)],
        issued_at="2026-04-01T00:00:00Z",
    )
    billing.invoices[EVES] = invoice(
        EVES, "INV-2026-000009", EVE.account_id, [line("s-eve", 700, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")]
    )


def rows_of(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/invoices/[^"]+">([^<]+)</a></th>', html)


async def test_R31_R32_the_company_list_shows_number_date_period_po_and_exact_totals(portal, billing):
    company_invoices(billing)
    await portal.sign_in()

    page = await portal.get("/invoices")

    assert page.status_code == 200
    assert rows_of(page.text) == ["CN-2026-000001", "INV-2026-000002", "INV-2026-000001"]  # newest first
    assert "EVE" not in page.text and "INV-2026-000009" not in page.text
    assert "€10,000.33" in page.text  # R32: billing's minor units, exactly
    assert "-€500.00" in page.text and "Credit note" in page.text
    assert "PO-7" in page.text  # R31: the PO number printed on the invoice
    assert "Jan 5, 2026 to Jan 5, 2027" in page.text  # the period its lines cover
    assert f'href="/invoices/{INVOICE_1}/download"' in page.text
    assert portal.fakes.calls("GET", "/invoices")[0].url.params["limit"] == "25"
    assert "Older invoices" not in page.text


async def test_the_company_list_comes_a_page_at_a_time(portal, billing, monkeypatch):
    from portal.api import invoices as module

    monkeypatch.setattr(module, "PAGE_SIZE", 2)
    company_invoices(billing)
    await portal.sign_in()

    first = await portal.get("/invoices")
    [older] = re.findall(r'<a href="(/invoices\?cursor=[^"]+)">Older invoices</a>', first.text)
    second = await portal.get(older)

    assert rows_of(first.text) == ["CN-2026-000001", "INV-2026-000002"]
    assert rows_of(second.text) == ["INV-2026-000001"]
    assert "Newest invoices" in second.text
    garbled = await portal.get("/invoices?cursor=%3Cscript%3E")
    assert garbled.status_code == 200 and rows_of(garbled.text) == rows_of(first.text)


async def test_a_subscription_s_invoices_are_those_with_one_of_its_lines(portal, billing):
    company_invoices(billing)
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA)
    await portal.sign_in()

    page = await portal.get("/subscriptions/s-1/invoices")

    assert page.status_code == 200
    assert rows_of(page.text) == ["CN-2026-000001", "INV-2026-000001"]
    assert "Invoices of a subscription" in page.text


async def test_another_company_s_subscription_invoices_are_not_found(portal, billing):
    portal.fakes.subscriptions["s-eve"] = subscription("s-eve", EVE)
    await portal.sign_in(ADA)

    theirs = await portal.get("/subscriptions/s-eve/invoices")
    unknown = await portal.get("/subscriptions/s-nothing/invoices")

    assert theirs.status_code == unknown.status_code == 404
    assert portal.fakes.calls("GET", "/invoices") == []


async def test_R32_one_invoice_is_rendered_by_the_portal_from_billing_s_json(portal, billing):
    company_invoices(billing)
    await portal.sign_in()

    page = await portal.get(f"/invoices/{INVOICE_1}")

    assert page.status_code == 200
    assert "<h1>Invoice INV-2026-000001</h1>" in page.text
    assert "Seats added: 10 × designer standard" in page.text
    assert "100 of 365 days" in page.text
    assert page.text.count("€10,000.33") == 2  # the line and the total
    assert "<style>" not in page.text and "<iframe" not in page.text  # no upstream markup in the page
    assert 'href="/subscriptions/s-1/invoices"' in page.text
    calls = portal.fakes.calls("GET", f"/invoices/{INVOICE_1}")
    assert calls and "text/html" not in calls[0].headers.get("accept", "")


async def test_upstream_text_is_escaped_in_the_page(portal, billing):
    company_invoices(billing)
    billing.invoices[INVOICE_1]["lines"][0]["description"] = "<script>alert(1)</script>"
    billing.invoices[INVOICE_1]["po_number"] = '"><img src=x>'
    await portal.sign_in()

    page = await portal.get(f"/invoices/{INVOICE_1}")

    assert "<script>alert" not in page.text and "<img src=x>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_the_download_is_billing_s_document_as_a_sandboxed_attachment(portal, billing):
    company_invoices(billing)
    await portal.sign_in()

    answer = await portal.get(f"/invoices/{INVOICE_1}/download")

    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="INV-2026-000001.html"'
    assert answer.headers["content-type"].startswith("text/html")
    assert "sandbox" in answer.headers.get_list("content-security-policy")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "<h1>Invoice INV-2026-000001</h1>" in answer.text
    [call] = portal.fakes.calls("GET", f"/invoices/{INVOICE_1}.html")
    assert call.headers["authorization"].startswith("Bearer ")


async def test_another_company_s_invoice_is_the_same_page_as_an_unknown_one(portal, billing):
    company_invoices(billing)
    await portal.sign_in(ADA)

    answers = [
        await portal.get(f"/invoices/{EVES}"),
        await portal.get("/invoices/6f1c1d6e-0000-5000-8000-0000000000ff"),
        await portal.get("/invoices/x.html"),  # never billing's HTML route inside a page
        await portal.get(f"/invoices/{EVES}/download"),
        await portal.get("/invoices/%3Cscript%3E/download"),
    ]

    assert [a.status_code for a in answers] == [404] * 5
    assert all("<h1>Not found</h1>" in a.text for a in answers)
    assert portal.fakes.calls("GET", f"/invoices/{EVES}.html") == []
    assert portal.fakes.calls("GET", "/invoices/x.html") == []


async def test_R6_a_person_administering_nothing_is_told_so(portal, billing):
    company_invoices(billing)
    billing.administrators.discard(ADA.person_id)
    await portal.sign_in()

    page = await portal.get("/invoices")

    assert page.status_code == 403
    assert "Only an administrator of one of the company&#39;s subscriptions can read its invoices" in page.text


async def test_signed_out_the_invoice_pages_send_to_sign_in(portal, billing):
    company_invoices(billing)
    for path in (
        "/invoices",
        f"/invoices/{INVOICE_1}",
        f"/invoices/{INVOICE_1}/download",
        "/subscriptions/s-1/invoices",
    ):
        answer = await portal.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?next=")
    assert not [r for r in portal.fakes.requests if r.url.host == "billing"]


async def test_the_invoices_render_in_french(portal, billing):
    company_invoices(billing)
    await portal.sign_in()
    form = dict(re.findall(r'name="(csrf_token)" value="([^"]*)"', (await portal.get("/invoices")).text))
    await portal.post("/language", data={**form, "locale": "fr", "next": "/invoices"})

    page = await portal.get("/invoices")
    one = await portal.get(f"/invoices/{INVOICE_1}")

    assert 'lang="fr"' in page.text
    assert "10\u202f000,33\xa0€" in page.text or "10 000,33 €" in page.text.replace("\u202f", " ").replace("\xa0", " ")
    assert "5 janv. 2026" in page.text
    assert one.status_code == 200
