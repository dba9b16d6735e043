"""Issue 15, item 3: the invoice as a legal document, in the buyer's language, as HTML and as a
PDF/A-3b from the same template; and the PDF route, for the HTML page's readers only (R6).

Amounts are hand-computed: 2 seats × 730.00 EUR for a whole annual term is 1,460.00 EUR net;
20 % French VAT is 292.00 EUR, 1,752.00 EUR payable; reverse-charged, 0 VAT."""

from __future__ import annotations

import io
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import timedelta
from importlib.resources import files

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from facturx import get_facturx_xml_from_pdf
from lxml import html as lxml_html
from pypdf import PdfReader

from billing.adapters.rendering import LOCALES, css_counter_text, render_invoice, render_invoice_pdf, translations
from billing.domain import invoices
from billing.domain.invoices import Invoice, InvoiceKind
from billing.domain.subscriptions import SubscriptionView
from contracts.testing import ADA as ADA_CONTACT
from contracts.values import Money
from servicekit.http.auth import Caller

from .invoicing_kit import SELLERS, buyer_in

NBSP, NNBSP = "\u00a0", "\u202f"  # what Babel writes between number and unit, and between thousands in French
ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada")
EVE = Caller(person_id="p-eve", account_id="a-eve", email="eve@example.com", name="Eve")
MEMBER = Caller(person_id="p-member", account_id="a-1", email="member@example.com", name="Mo")
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"


def issued(events, language: str, buyer, *, po: str | None = "PO-2026-7", number: int = 1) -> Invoice:
    """An annual term of 2 seats at 730.00 EUR, issued at START by the seller of the buyer's
    country to a buyer whose administrator reads `language`."""
    admin = ADA_CONTACT.model_copy(update={"locale": language})
    view = SubscriptionView("s-1", "a-1")
    lines = view.activate(events.activated(admin=admin, price=73000, po=po), "act-s-1")
    [draft] = invoices.group_lines(lines, {"s-1": view})
    seller = SELLERS.for_buyer(buyer.country)
    return invoices.issue(draft, f"inv-{number}", number, events.START, seller, buyer)


def text_of(page: str, css_class: str) -> str:
    [element] = lxml_html.fromstring(page).find_class(css_class)
    return re.sub(r"[ \t\r\n]+", " ", element.text_content()).strip()  # Babel's no-break spaces kept


def spaced(text: str) -> str:
    """Babel's no-break spaces as plain ones, for texts whose spacing is not the point."""
    return text.replace(NBSP, " ").replace(NNBSP, " ")


def test_issue15_a_french_domestic_invoice_reads_in_french_with_french_money_dates_and_20_percent(events):
    invoice = issued(events, "fr", buyer_in("FR", "FR40303265045", name="Atelier Dupont SARL"))
    page = render_invoice(invoice)
    document = lxml_html.fromstring(page)
    assert document.get("lang") == "fr"
    assert text_of(page, "net-total") == f"1{NNBSP}460,00{NBSP}€"
    assert text_of(page, "vat-total") == f"292,00{NBSP}€"
    assert text_of(page, "total") == f"1{NNBSP}752,00{NBSP}€"
    assert text_of(page, "issued-at") == "5 janvier 2026"
    assert text_of(page, "due-on") == "4 février 2026"  # the French seller's 30 days
    assert f"20{NBSP}%" in text_of(page, "vat-rate")
    for words in ("Facture FR-INV-2026-000001", "Date d'échéance", "Récapitulatif de la TVA", "Net à payer TTC"):
        assert words in document.text_content(), words
    seller, buyer = document.find_class("seller")[0], document.find_class("buyer")[0]
    assert "Entitle Software SAS" in seller.text_content() and "RCS Paris 303 265 045" in seller.text_content()
    assert "FR40303265045" in seller.text_content() and "FR40303265045" in buyer.text_content()
    assert "Atelier Dupont SARL" in buyer.text_content() and text_of(page, "po-number") == "PO-2026-7"
    assert text_of(page, "iban") == "FR14 2004 1010 0505 0001 3M02 606"
    assert text_of(page, "payment-reference") == "RF40 FRIN V202 6000 001"
    assert "Autoliquidation" not in page and "Invoice" not in page


def test_issue15_a_belgian_sale_to_a_dutch_vat_registered_buyer_reads_in_dutch_reverse_charged(events):
    invoice = issued(events, "nl", buyer_in("NL", "NL004495445B01", name="Ontwerp BV"))
    page = render_invoice(invoice)
    assert invoice.number == "BE-INV-2026-000001" and lxml_html.fromstring(page).get("lang") == "nl"
    assert "Btw verlegd — artikel 196 Richtlijn 2006/112/EG" in page
    assert text_of(page, "vat-total") == f"€{NBSP}0,00"
    assert text_of(page, "net-total") == text_of(page, "total") == f"€{NBSP}1.460,00"
    assert "Btw verlegd (AE)" in text_of(page, "vat-rate") and "0%" in text_of(page, "vat-rate")
    assert text_of(page, "issued-at") == "5 januari 2026" and "Factuur BE-INV-2026-000001" in page
    assert "NL004495445B01" in lxml_html.fromstring(page).find_class("buyer")[0].text_content()
    assert text_of(page, "iban") == "BE71 0961 2345 6769"


def test_issue15_a_sale_outside_the_eu_says_not_subject_to_vat_article_44(events):
    page = render_invoice(issued(events, "en", buyer_in("US", name="Design Inc")))
    assert "Not subject to VAT — Article 44 of Council Directive 2006/112/EC" in page
    assert text_of(page, "total") == "€1,460.00" and text_of(page, "issued-at") == "January 5, 2026"


def test_issue15_a_credit_note_reads_in_german_as_a_gutschrift_with_positive_amounts_and_no_payment(events):
    """Credit notes are negative inside billing; the document prints what it credits, positive."""
    buyer = buyer_in("DE", name="Entwurf GmbH")  # no VAT number: the German rate (19 %), One-Stop-Shop
    invoice = issued(events, "de", buyer)
    draft = invoices.credit_note_draft(invoice, "credit-1")
    note = invoices.issue(
        draft,
        "cn-1",
        1,
        events.START + timedelta(days=3),
        invoice.seller,
        buyer,
        corrects=invoice.number,
        reason="Doppelt berechnet",
        treatment=invoices.treatment_of(invoice),
    )
    assert note.kind is InvoiceKind.CREDIT_NOTE and note.total.amount_minor == -173740  # 1,460.00 + 19 %
    page = render_invoice(note)
    assert "Gutschrift BE-CN-2026-000001" in page and lxml_html.fromstring(page).get("lang") == "de"
    assert text_of(page, "corrects") == invoice.number and text_of(page, "reason") == "Doppelt berechnet"
    assert text_of(page, "net-total") == f"1.460,00{NBSP}€"
    assert text_of(page, "vat-total") == f"277,40{NBSP}€"
    assert text_of(page, "total") == f"1.737,40{NBSP}€"
    assert f"19{NBSP}%" in text_of(page, "vat-rate") and "Gutschriftsbetrag" in page
    amounts = lxml_html.fromstring(page).xpath("//td[contains(@class, 'amount')]")
    assert len(amounts) == 5 + 3 + 3 and all("-" not in cell.text_content() for cell in amounts)
    assert "Auf eine Gutschrift ist nichts zu zahlen." in page
    assert "IBAN" not in page and "due-on" not in page


def test_issue15_an_invoice_issued_before_sellers_were_recorded_still_renders_with_a_note(events):
    invoice = issued(events, "en", buyer_in("BE"), po=None)
    legacy = replace(
        invoice,
        seller=None,
        vat_summary=(),
        lines=tuple(replace(line, vat=None) for line in invoice.lines),
        vat_total=Money(amount_minor=0, currency="EUR"),
        total=invoice.net_total,
        payment_reference="",
    )
    page = render_invoice(legacy)
    document = lxml_html.fromstring(page)
    assert document.find_class("seller") == [] and document.find_class("legacy") != []
    assert "issued before the seller" in page and "IBAN" not in page and "VAT summary" not in page
    assert text_of(page, "total") == "€1,460.00" and document.find_class("po-number") == []


def test_issue15_the_page_counter_is_translated_and_no_translation_can_break_out_of_the_css():
    assert css_counter_text("Seite %(page)s von %(pages)s") == '"Seite " counter(page) " von " counter(pages)'
    assert css_counter_text('%(page)s"</style>') == 'counter(page) "\\22 \\3c /style\\3e "'


def test_issue15_the_document_is_accessible_a_caption_and_column_headers_for_each_table(events):
    document = lxml_html.fromstring(render_invoice(issued(events, "fr", buyer_in("FR"))))
    tables = document.xpath("//table")
    assert len(tables) == 3 and all(table.xpath("caption") and table.xpath(".//th[@scope]") for table in tables)
    assert document.xpath("//table[@class='lines']/thead//th/text()")[:2] == ["Désignation", "Période"]


@pytest.mark.parametrize("locale", [locale for locale in LOCALES if locale != "en"])
def test_issue15_every_message_of_the_document_is_translated(locale):
    """Every message the template and the renderer use (extracted as `pybabel extract` would)
    has a translation in each language, compiled from the .po with no .mo file."""
    root = files("billing.adapters")
    with (root / "locales" / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    package = str(root.joinpath("..", ".."))
    used = {
        message
        for _, _, message, *_ in extract_from_dir(package, method_map, options_map, keywords={"_": None, "N_": None})
    }
    assert len(used) > 40
    with (root / "locales" / locale / "LC_MESSAGES" / "billing.po").open("rb") as po:
        catalogue = {message.id: message.string for message in read_po(po, locale=locale) if message.id}
    assert used <= set(catalogue), used - set(catalogue)
    assert all(catalogue[message] for message in used)
    assert (
        translations(locale).gettext("Credit note") == {"fr": "Avoir", "nl": "Creditnota", "de": "Gutschrift"}[locale]
    )


def test_issue15_the_pdf_is_pdf_a_3b_and_says_the_number_the_total_and_the_iban(events):
    invoice = issued(events, "fr", buyer_in("FR"))
    pdf = render_invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    identification = [node for node in ET.fromstring(metadata).iter() if node.get(f"{PDFAID}part")]
    assert [(node.get(f"{PDFAID}part"), node.get(f"{PDFAID}conformance")) for node in identification] == [("3", "B")]
    text = spaced(" ".join(page.extract_text() for page in reader.pages))
    assert invoice.number in text and "1 752,00 €" in text and "FR14 2004 1010 0505 0001 3M02 606" in text
    assert "Page 1 sur 1" in text  # the page counter, in the buyer's language
    fonts = {font.get_object()["/BaseFont"] for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("DejaVu" in str(name) for name in fonts)  # embedded, as PDF/A requires
    assert render_invoice_pdf(invoice) == pdf  # an issued invoice never changes, nor does its PDF


def as_(service, caller: Caller) -> dict:
    return {"Authorization": f"Bearer {service.driver.token(caller)}"}


async def test_issue15_R6_the_pdf_route_serves_the_administrator_and_answers_404_to_anyone_else(service, events):
    await service.driver.apply(*events.bought())
    [summary] = (await service.get("/invoices", headers=as_(service, ADA))).json()
    answer = await service.get(f"/invoices/{summary['invoice_id']}.pdf", headers=as_(service, ADA))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == f'inline; filename="{summary["number"]}.pdf"'
    assert (
        answer.content.startswith(b"%PDF-")
        and summary["number"] in PdfReader(io.BytesIO(answer.content)).pages[0].extract_text()
    )
    filename, embedded = get_facturx_xml_from_pdf(answer.content)  # issue 15, item 4: one file for both
    assert filename == "factur-x.xml" and summary["number"].encode() in embedded
    view = (await service.get(f"/invoices/{summary['invoice_id']}", headers=as_(service, ADA))).json()
    seller = SELLERS.for_buyer(None)
    assert view["pay_to"] == {"account_holder": seller.legal_name, "iban": seller.iban, "bic": seller.bic}
    for stranger in (EVE, MEMBER):
        theirs = await service.get(f"/invoices/{summary['invoice_id']}.pdf", headers=as_(service, stranger))
        unknown = await service.get(f"/invoices/{uuid.uuid4()}.pdf", headers=as_(service, stranger))
        assert theirs.status_code == unknown.status_code == 404, stranger
        assert theirs.json()["code"] == unknown.json()["code"]
    schema = (await service.get("/openapi.json")).json()
    operation = schema["paths"]["/invoices/{invoice_id}.pdf"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"] and len(operation["description"]) > 20
