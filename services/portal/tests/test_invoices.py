"""Invoices in the portal (R31, R32, issue 15): the company's list and a subscription's, one
invoice in the page from billing's JSON (seller and buyer, due date, net, VAT per rate with its
mention, total payable, how to pay, the payment state), billing's PDF and UBL e-invoice
downloadable as attachments; another company's invoice is the same not-found page as an
unknown one; an older billing, without VAT or states, still renders."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from .conftest import ADA, EVE, hidden_fields, problem, subscription

INVOICE_1 = "6f1c1d6e-0000-5000-8000-000000000001"
INVOICE_2 = "6f1c1d6e-0000-5000-8000-000000000002"
CREDIT = "6f1c1d6e-0000-5000-8000-000000000003"
EVES = "6f1c1d6e-0000-5000-8000-00000000000e"
PDF = b"%PDF-1.7\n% a Factur-X invoice\n%%EOF\n"
UBL = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>\n'
)

SELLER = {
    "legal_name": "Entitle SAS",
    "address": {"line1": "12 rue de la Paix", "line2": None, "postcode": "75002", "city": "Paris", "country": "FR"},
    "vat_number": "FR40303265045",
}
BUYER = {
    "legal_name": "Ada Engineering SARL",
    "address": {
        "line1": "3 quai Perrache",
        "line2": "Bâtiment B",
        "postcode": "69002",
        "city": "Lyon",
        "country": "FR",
    },
    "vat_number": "FR83404833048",
}
REFERENCE = "RF18539007547034"


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


def eur(minor: int) -> dict[str, Any]:
    return {"amount_minor": minor, "currency": "EUR"}


def invoice(
    invoice_id: str,
    number: str,
    account_id: str,
    lines: list[dict[str, Any]],
    rate: str = "20",
    category: str = "S",
    **fields: Any,
) -> dict[str, Any]:
    """An invoice as billing's `InvoiceView` of issue 15 shows it: one VAT rate, rounded once."""
    net = sum(item["amount"]["amount_minor"] for item in lines)
    tax = int((Decimal(net) * Decimal(rate) / 100).quantize(Decimal(1), ROUND_HALF_UP))
    return {
        "invoice_id": invoice_id,
        "number": number,
        "kind": "credit_note" if net < 0 else "invoice",
        "po_number": None,
        "issued_at": "2026-02-01T00:00:00Z",
        "due_on": "2026-03-03",
        "net_total": eur(net),
        "vat_total": eur(tax),
        "total": eur(net + tax),
        "payment_reference": REFERENCE,
        "url": f"http://portal.test/invoices/{invoice_id}",
        "account_id": account_id,
        "seller": SELLER,
        "buyer": BUYER,
        "vat": [{"category": category, "rate": rate, "taxable": eur(net), "tax": eur(tax)}],
        "corrects": None,
        "lines": [{**item, "invoice_id": invoice_id, "vat_rate": rate, "vat": None} for item in lines],
        **fields,
    }


def older(found: dict[str, Any]) -> dict[str, Any]:
    """The same invoice as billing answered before issue 15: no VAT, parties, due date or state."""
    new = ("due_on", "net_total", "vat_total", "payment_reference", "seller", "buyer", "vat", "corrects")
    kept = {key: value for key, value in found.items() if key not in new}
    kept["total"] = found["net_total"]
    kept["lines"] = [{k: v for k, v in item.items() if k not in ("vat_rate", "vat")} for item in found["lines"]]
    return kept


SUMMARY_FIELDS = (
    "invoice_id",
    "number",
    "kind",
    "po_number",
    "issued_at",
    "due_on",
    "net_total",
    "vat_total",
    "total",
    "payment_reference",
    "url",
    "state",
    "paid",
    "open_amount",
)


@pytest.fixture
def billing(portal):
    """billing's invoice routes over a dict, with its R6 rules: the list for an administrator of
    one of the account's subscriptions (403 otherwise), another account's invoice a 404; the
    PDF and the e-invoice (409 for an invoice issued without a seller)."""
    fakes = portal.fakes
    invoices: dict[str, dict[str, Any]] = {}
    administrators = {ADA.person_id, EVE.person_id}
    documents = SimpleNamespace(pdf=PDF, ubl=UBL)

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
        summaries = [{k: i[k] for k in SUMMARY_FIELDS if k in i} for i in shown]
        return httpx.Response(200, json=summaries, headers=headers)

    @fakes.route("billing", "GET", r"/invoices/([^/]+)\.pdf")
    def as_pdf(request, caller, match):
        found = visible(caller, match.group(1))
        if found is None:
            return problem(404, "invoice_not_found", "No such invoice.")
        disposition = f'inline; filename="{found["number"]}.pdf"'
        return httpx.Response(
            200, content=documents.pdf, headers={"content-type": "application/pdf", "content-disposition": disposition}
        )

    @fakes.route("billing", "GET", r"/invoices/([^/.]+)/e-invoice")
    def as_e_invoice(request, caller, match):
        found = visible(caller, match.group(1))
        if found is None:
            return problem(404, "invoice_not_found", "No such invoice.")
        if not found.get("seller"):
            return problem(409, "not_an_e_invoice", "Issued before sellers and VAT were recorded.")
        return httpx.Response(200, content=documents.ubl, headers={"content-type": "application/xml"})

    @fakes.route("billing", "GET", r"/invoices/([^/.]+)")
    def one(request, caller, match):
        found = visible(caller, match.group(1))
        if found is None:
            return problem(404, "invoice_not_found", "No such invoice.")
        return httpx.Response(200, json=found)

    return SimpleNamespace(invoices=invoices, administrators=administrators, documents=documents)


def company_invoices(billing) -> None:
    billing.invoices[INVOICE_1] = invoice(
        INVOICE_1,
        "INV-2026-000001",
        ADA.account_id,
        [line("s-1", 1_000_033, "2026-01-05T09:00:00Z", "2027-01-05T09:00:00Z", kind="term")],
        issued_at="2026-01-05T09:00:00Z",
        due_on="2026-02-04",
        po_number="PO-7",
    )
    billing.invoices[INVOICE_2] = invoice(
        INVOICE_2,
        "INV-2026-000002",
        ADA.account_id,
        [line("s-2", 99_999, "2026-03-01T00:00:00Z", "2027-01-05T09:00:00Z")],
        issued_at="2026-03-01T00:00:00Z",
        due_on="2026-03-31",
    )
    billing.invoices[CREDIT] = invoice(
        CREDIT,
        "CN-2026-000001",
        ADA.account_id,
        [line("s-1", -50_000, "2026-04-01T00:00:00Z", "2027-01-05T09:00:00Z", quantity_delta=-5)],
        issued_at="2026-04-01T00:00:00Z",
        corrects="INV-2026-000001",
    )
    billing.invoices[EVES] = invoice(
        EVES, "INV-2026-000009", EVE.account_id, [line("s-eve", 700, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")]
    )


def rows_of(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/invoices/[^"]+">([^<]+)</a></th>', html)


def text_of(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed (for sentences split over lines)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def in_french(portal) -> None:
    form = hidden_fields((await portal.get("/invoices")).text)
    await portal.post("/language", data={"csrf_token": form["csrf_token"], "locale": "fr", "next": "/invoices"})


async def test_R31_R32_issue15_the_company_list_shows_number_dates_and_total_payable_from_the_summaries(
    portal, billing
):
    company_invoices(billing)
    await portal.sign_in()

    page = await portal.get("/invoices")

    assert page.status_code == 200
    assert rows_of(page.text) == ["CN-2026-000001", "INV-2026-000002", "INV-2026-000001"]  # newest first
    assert "EVE" not in page.text and "INV-2026-000009" not in page.text
    assert "Total payable" in page.text and "Due date" in page.text
    assert "€12,000.40" in page.text  # R32: net 10,000.33 + VAT 2,000.07, billing's minor units
    assert "€10,000.33" not in page.text  # the net is the invoice page's, not the list's
    assert "-€600.00" in page.text and "Credit note" in page.text
    assert "Feb 4, 2026" in page.text and "Jan 5, 2026" in page.text  # due date, issue date
    assert f'href="/invoices/{INVOICE_1}/download"' in page.text
    assert "Payment" not in page.text  # no state column: billing sent no states
    assert portal.fakes.calls("GET", "/invoices")[0].url.params["limit"] == "25"
    # the summaries are enough: no invoice is read for the list (it used to be one call per row)
    assert [r for r in portal.fakes.requests if r.url.host == "billing" and r.url.path != "/invoices"] == []
    assert "Older invoices" not in page.text


async def test_the_company_list_comes_a_page_at_a_time(portal, billing, monkeypatch):
    from portal.api import invoices as module

    monkeypatch.setattr(module, "PAGE_SIZE", 2)
    company_invoices(billing)
    await portal.sign_in()

    first = await portal.get("/invoices")
    [older_page] = re.findall(r'<a href="(/invoices\?cursor=[^"]+)">Older invoices</a>', first.text)
    second = await portal.get(older_page)

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


async def test_R31_R32_issue15_the_invoice_page_shows_parties_dates_lines_net_vat_and_payable(portal, billing):
    company_invoices(billing)
    await portal.sign_in()

    page = await portal.get(f"/invoices/{INVOICE_1}")
    text = text_of(page.text)

    assert page.status_code == 200
    assert "<h1>Invoice INV-2026-000001</h1>" in page.text
    assert "Seller Entitle SAS 12 rue de la Paix 75002 Paris France VAT number: FR40303265045" in text
    assert "Buyer Ada Engineering SARL 3 quai Perrache Bâtiment B 69002 Lyon France" in text
    assert "VAT number: FR83404833048" in text
    assert "Issue date January 5, 2026" in text and "Due date February 4, 2026" in text
    assert "PO number PO-7" in text  # R31
    assert "Seats added: 10 × designer standard" in text and "100 of 365 days" in text
    assert "VAT rate" in text and "20% €10,000.33" in text  # the line: its rate, its net amount
    assert "Total excluding VAT €10,000.33" in text
    assert "VAT at 20% on €10,000.33 €2,000.07" in text  # one row per rate, billing's rounding
    assert "Total payable €12,000.40" in text
    assert "Please pay €12,000.40 by February 4, 2026 by bank transfer, quoting the payment reference." in text
    assert "Payment reference RF18 5390 0754 7034" in text  # grouped by four, as it is copied
    assert "The bank account to pay into is printed on the PDF." in text  # billing sent no IBAN
    assert "<style>" not in page.text and "<iframe" not in page.text  # no upstream markup in the page
    assert 'href="/subscriptions/s-1/invoices"' in page.text
    calls = portal.fakes.calls("GET", f"/invoices/{INVOICE_1}")
    assert calls and "text/html" not in calls[0].headers.get("accept", "")


async def test_issue15_the_seller_s_bank_account_is_shown_when_billing_gives_it(portal, billing):
    company_invoices(billing)
    billing.invoices[INVOICE_1]["pay_to"] = {
        "account_holder": "Entitle SAS",
        "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPP",
    }
    await portal.sign_in()

    text = text_of((await portal.get(f"/invoices/{INVOICE_1}")).text)

    assert "Account holder Entitle SAS IBAN FR76 3000 6000 0112 3456 7890 189 BIC AGRIFRPP" in text
    assert "printed on the PDF" not in text


async def test_issue15_a_reverse_charged_invoice_shows_its_mention_in_the_person_s_language(portal, billing):
    billing.invoices[INVOICE_1] = invoice(
        INVOICE_1,
        "BE-INV-2026-000001",
        ADA.account_id,
        [line("s-1", 36_500, "2026-01-05T09:00:00Z", "2027-01-05T09:00:00Z")],
        rate="0",
        category="AE",
        buyer={**BUYER, "address": {**BUYER["address"], "country": "DE"}, "vat_number": "DE136695976"},
    )
    await portal.sign_in()

    english = text_of((await portal.get(f"/invoices/{INVOICE_1}")).text)
    await in_french(portal)
    french = text_of((await portal.get(f"/invoices/{INVOICE_1}")).text).replace("\xa0", " ").replace("\u202f", " ")

    assert "VAT at 0% on €365.00 Reverse charge — Article 196 of Council Directive 2006/112/EC €0.00" in english
    assert "Total payable €365.00" in english and "Germany" in english
    assert "TVA à 0 % sur 365,00 € Autoliquidation — article 196 de la directive 2006/112/CE 0,00 €" in french
    assert "Net à payer TTC 365,00 €" in french and "Allemagne" in french


async def test_issue15_a_credit_note_says_which_invoice_it_corrects_and_asks_no_payment(portal, billing):
    company_invoices(billing)
    await portal.sign_in()

    page = await portal.get(f"/invoices/{CREDIT}")
    text = text_of(page.text)

    assert "<h1>Credit note CN-2026-000001</h1>" in page.text
    assert "Corrects invoice INV-2026-000001" in text
    assert "Total credited -€600.00" in text
    assert "No payment is due on a credit note." in text
    assert "How to pay" not in text and "Due date" not in text and "Payment reference" not in text


@pytest.mark.parametrize(
    ("state", "paid", "open_amount", "badge", "instruction"),
    [
        ("paid", 1_200_040, 0, "Paid", None),
        ("open", 0, 1_200_040, "Open", "Please pay €12,000.40 by February 4, 2026"),
        ("partially_paid", 1_188_040, 12_000, "Partially paid — €120.00 open", "Please pay €120.00 by"),
        ("overdue", 1_188_040, 12_000, "Overdue — €120.00 open", "This invoice is overdue: please pay €120.00 now"),
        ("void", 0, 0, "Void", None),
        ("uncollectible", 0, 1_200_040, "Uncollectible", None),
    ],
)
async def test_issue15_the_payment_state_is_shown_on_the_list_and_the_page(
    portal, billing, state, paid, open_amount, badge, instruction
):
    company_invoices(billing)
    billing.invoices[INVOICE_1].update(state=state, paid=eur(paid), open_amount=eur(open_amount))
    await portal.sign_in()

    listed = await portal.get("/invoices")
    page = await portal.get(f"/invoices/{INVOICE_1}")
    text = text_of(page.text)

    assert f'<span class="state state-{state}">{badge}</span>' in listed.text
    assert f'<span class="state state-{state}">{badge}</span>' in page.text
    assert '<th scope="col">Payment</th>' in listed.text  # the column, as billing sends states
    if instruction:
        assert instruction in text and "Payment reference RF18 5390 0754 7034" in text
    else:
        assert "How to pay" not in text
    assert ("Paid so far €11,880.40" in text) == (state in ("partially_paid", "overdue"))


async def test_issue15_an_unknown_payment_state_is_not_shown(portal, billing):
    company_invoices(billing)
    billing.invoices[INVOICE_1].update(state="disputed<b>", open_amount=eur(100))
    await portal.sign_in()

    listed = await portal.get("/invoices")
    page = await portal.get(f"/invoices/{INVOICE_1}")

    assert listed.status_code == page.status_code == 200
    assert 'class="state' not in listed.text + page.text and "disputed" not in listed.text + page.text


async def test_issue15_the_overdue_badge_speaks_french(portal, billing):
    company_invoices(billing)
    billing.invoices[INVOICE_1].update(state="overdue", paid=eur(0), open_amount=eur(12_000))
    await portal.sign_in()
    await in_french(portal)

    listed = (await portal.get("/invoices")).text.replace("\xa0", " ").replace("\u202f", " ")

    assert "Échue — 120,00 € restant dû" in listed
    assert "Net à payer TTC" in listed and "Date d&#39;échéance" in listed


async def test_issue15_an_older_billing_without_vat_due_dates_or_states_still_renders(portal, billing):
    company_invoices(billing)
    for key, found in list(billing.invoices.items()):
        billing.invoices[key] = older(found)
    await portal.sign_in()

    listed = await portal.get("/invoices")
    page = await portal.get(f"/invoices/{INVOICE_1}")
    text = text_of(page.text)

    assert listed.status_code == page.status_code == 200
    assert rows_of(listed.text) == ["CN-2026-000001", "INV-2026-000002", "INV-2026-000001"]
    assert "€10,000.33" in listed.text and 'class="state' not in listed.text
    assert "Total €10,000.33" in text and "VAT" not in text  # billing's total as it sent it, no VAT made up
    assert "Seller" not in text and "How to pay" not in text and "Due date" not in text
    assert "/e-invoice" not in page.text  # an older billing has no e-invoice to offer
    assert f'href="/invoices/{INVOICE_1}/download"' in page.text


async def test_upstream_text_is_escaped_in_the_page(portal, billing):
    company_invoices(billing)
    billing.invoices[INVOICE_1]["lines"][0]["description"] = "<script>alert(1)</script>"
    billing.invoices[INVOICE_1]["po_number"] = '"><img src=x>'
    billing.invoices[INVOICE_1]["seller"] = {**SELLER, "legal_name": "<b>Seller</b>"}
    await portal.sign_in()

    page = await portal.get(f"/invoices/{INVOICE_1}")

    assert "<script>alert" not in page.text and "<img src=x>" not in page.text and "<b>Seller" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_issue15_the_download_is_billing_s_pdf_as_an_attachment_named_after_the_number(portal, billing):
    company_invoices(billing)
    await portal.sign_in()

    page = await portal.get(f"/invoices/{INVOICE_1}")
    answer = await portal.get(f"/invoices/{INVOICE_1}/download")

    assert "Download INV-2026-000001 (PDF)" in page.text
    assert answer.status_code == 200
    assert answer.content == PDF
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'attachment; filename="INV-2026-000001.pdf"'
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in answer.headers.get_list("content-security-policy")
    [call] = portal.fakes.calls("GET", f"/invoices/{INVOICE_1}.pdf")
    assert call.headers["authorization"].startswith("Bearer ")
    assert portal.fakes.calls("GET", f"/invoices/{INVOICE_1}.html") == []


async def test_issue15_the_e_invoice_is_billing_s_ubl_as_an_xml_attachment(portal, billing):
    company_invoices(billing)
    await portal.sign_in()

    page = await portal.get(f"/invoices/{INVOICE_1}")
    answer = await portal.get(f"/invoices/{INVOICE_1}/e-invoice")

    assert f'<a href="/invoices/{INVOICE_1}/e-invoice">E-invoice (UBL XML)</a>' in page.text
    assert answer.status_code == 200
    assert answer.content == UBL
    assert answer.headers["content-type"] == "application/xml"
    assert answer.headers["content-disposition"] == 'attachment; filename="INV-2026-000001.xml"'
    assert answer.headers["x-content-type-options"] == "nosniff"
    [call] = portal.fakes.calls("GET", f"/invoices/{INVOICE_1}/e-invoice")
    assert call.url.params["syntax"] == "ubl"


async def test_issue15_an_invoice_without_an_e_invoice_is_its_page_with_a_clear_message(portal, billing):
    company_invoices(billing)
    billing.invoices[INVOICE_2]["seller"] = None  # issued before sellers were recorded
    await portal.sign_in()

    page = await portal.get(f"/invoices/{INVOICE_2}")
    answer = await portal.get(f"/invoices/{INVOICE_2}/e-invoice")

    assert "/e-invoice" not in page.text  # not offered where billing has none
    assert "it has no e-invoice" in text_of(page.text)
    assert answer.status_code == 409
    assert "<h1>Invoice INV-2026-000002</h1>" in answer.text  # the invoice's page, not an error page
    assert '<p class="problem" role="alert">This invoice was issued before invoices carried the seller' in answer.text
    assert answer.text.count("it has no e-invoice") == 1
    assert "content-disposition" not in answer.headers


async def test_issue15_a_document_over_the_cap_is_refused_with_a_clear_message(portal, billing, monkeypatch):
    from portal.api import invoices as module

    monkeypatch.setattr(module, "MAX_DOCUMENT_BYTES", 1024)
    company_invoices(billing)
    billing.documents.pdf = b"%PDF-1.7\n" + b"0" * 4096
    await portal.sign_in()

    answer = await portal.get(f"/invoices/{INVOICE_1}/download")

    assert answer.status_code == 502
    assert "This file is too large to download from the portal." in answer.text
    assert "content-disposition" not in answer.headers


@pytest.mark.parametrize(("path", "content"), [("download", b"<html>not a pdf</html>"), ("e-invoice", b"%PDF-1.7")])
async def test_issue15_an_answer_that_is_not_the_file_asked_for_is_not_passed_on(portal, billing, path, content):
    company_invoices(billing)
    billing.documents.pdf = billing.documents.ubl = content
    await portal.sign_in()

    answer = await portal.get(f"/invoices/{INVOICE_1}/{path}")

    assert answer.status_code == 502 and "content-disposition" not in answer.headers
    assert content.decode() not in answer.text


async def test_another_company_s_invoice_is_the_same_page_as_an_unknown_one(portal, billing):
    company_invoices(billing)
    await portal.sign_in(ADA)

    answers = [
        await portal.get(f"/invoices/{EVES}"),
        await portal.get("/invoices/6f1c1d6e-0000-5000-8000-0000000000ff"),
        await portal.get("/invoices/x.html"),  # never billing's HTML route inside a page
        await portal.get(f"/invoices/{EVES}/download"),
        await portal.get(f"/invoices/{EVES}/e-invoice"),
        await portal.get("/invoices/%3Cscript%3E/download"),
        await portal.get("/invoices/%3Cscript%3E/e-invoice"),
    ]

    assert [a.status_code for a in answers] == [404] * 7
    assert all("<h1>Not found</h1>" in a.text for a in answers)
    assert portal.fakes.calls("GET", f"/invoices/{EVES}.pdf") == []
    assert portal.fakes.calls("GET", f"/invoices/{EVES}/e-invoice") == []
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
        f"/invoices/{INVOICE_1}/e-invoice",
        "/subscriptions/s-1/invoices",
    ):
        answer = await portal.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?next=")
    assert not [r for r in portal.fakes.requests if r.url.host == "billing"]


async def test_issue15_the_invoices_render_in_french(portal, billing):
    company_invoices(billing)
    await portal.sign_in()
    await in_french(portal)

    page = await portal.get("/invoices")
    one = await portal.get(f"/invoices/{INVOICE_1}")
    listed = page.text.replace("\u202f", " ").replace("\xa0", " ")
    text = text_of(one.text).replace("\u202f", " ").replace("\xa0", " ")

    assert 'lang="fr"' in page.text
    assert "12 000,40 €" in listed
    assert "5 janv. 2026" in listed and "4 févr. 2026" in listed
    assert one.status_code == 200
    assert "Date d'émission 5 janvier 2026" in text.replace("&#39;", "'")
    assert "TVA à 20 % sur 10 000,33 € 2 000,07 €" in text
    assert "Merci de régler 12 000,40 € au plus tard le 4 février 2026 par virement bancaire" in text
    assert "Télécharger INV-2026-000001 (PDF)" in text and "Facture électronique (XML UBL)" in text
