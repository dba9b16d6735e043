"""Issue 15, item 3: the payment terms a seller's law wants printed (France: Code de commerce
L441-9 and L441-10, the late-payment penalty rate and the 40 € recovery fee). The wording is the
vendor's, from its sellers file (`payment_terms_note`), checked at start; it is printed as written
in the invoice's footer (the HTML page and the PDF, one template) and carried as EN 16931 BT-20
in CII and UBL, on invoices only. The demo FR seller has the French wording; BE has none."""

from __future__ import annotations

import io
import json
import tomllib
from dataclasses import replace
from datetime import timedelta
from importlib.resources import files

import pytest
from lxml import etree
from lxml import html as lxml_html
from pypdf import PdfReader

from billing.adapters.einvoice import CII_NS, cii_xml, ubl_xml
from billing.adapters.rendering import render_invoice, render_invoice_pdf
from billing.adapters.sellers import load_sellers
from billing.domain import invoices
from billing.domain.invoices import Invoice, InvoiceKind
from billing.domain.parties import PAYMENT_TERMS_NOTE_MAX, Buyer, SellerConfigError, Sellers
from billing.domain.subscriptions import SubscriptionView
from billing.handlers.buyers import billing_details_changed
from billing.settings import BillingSettings
from billing.store.invoices import seller_json, seller_of_json
from contracts import testing
from contracts.testing import ADA as ADA_CONTACT
from servicekit.http.auth import Caller

from .einvoice_rules import Rules
from .invoicing_kit import SELLERS, buyer_in

UBL = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII_TERMS = "//ram:SpecifiedTradePaymentTerms/ram:Description"  # BT-20
UBL_TERMS = "//cac:PaymentTerms/cbc:Note"  # BT-20
FR_NOTE = SELLERS.by_id["FR"].payment_terms_note or ""
ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada")


@pytest.fixture(scope="module")
def rules() -> Rules:
    """Both EN 16931 schematrons, compiled once for this module."""
    return Rules()


@pytest.fixture
def settings(operator_settings) -> BillingSettings:
    """The service's tests here run on SQLite and on PostgreSQL."""
    return operator_settings


def issued(events, buyer: Buyer, language: str = "fr") -> Invoice:
    """An annual term of 2 seats at 730.00 EUR, issued at START by the seller of the buyer's country."""
    admin = ADA_CONTACT.model_copy(update={"locale": language})
    view = SubscriptionView("s-1", "a-1")
    lines = view.activate(events.activated(admin=admin, price=73000), "act-s-1")
    [draft] = invoices.group_lines(lines, {"s-1": view})
    return invoices.issue(draft, "inv-1", 1, events.START, SELLERS.for_buyer(buyer.country), buyer)


def credit_note_of(invoice: Invoice, events) -> Invoice:
    """The whole invoice credited three days later, as an operator's correction issues it."""
    assert invoice.seller is not None
    return invoices.issue(
        invoices.credit_note_draft(invoice, "credit-1"),
        "cn-1",
        1,
        events.START + timedelta(days=3),
        invoice.seller,
        invoice.buyer,
        corrects=invoice.number,
        reason="Facturé deux fois",
        treatment=invoices.treatment_of(invoice),
    )


def footer_notes(page: str) -> list[str]:
    footer = "//footer//p[@class='payment-terms']"
    return [element.text_content() for element in lxml_html.fromstring(page).xpath(footer)]


def bt20(invoice: Invoice) -> tuple[list[str], list[str]]:
    """BT-20 as CII and as UBL write it."""
    cii = [node.text or "" for node in etree.fromstring(cii_xml(invoice)).xpath(CII_TERMS, namespaces=CII_NS)]
    ubl = [node.text or "" for node in etree.fromstring(ubl_xml(invoice)).xpath(UBL_TERMS, namespaces=UBL)]
    return cii, ubl


def passes_en16931(rules: Rules, invoice: Invoice) -> None:
    for syntax, xml in (("cii", cii_xml(invoice)), ("ubl", ubl_xml(invoice))):
        report = rules.check(xml, syntax)
        assert report.failures == [], f"{syntax}:\n" + "\n".join(map(str, report.failures))
        assert report.rules_fired > 30, syntax


def sellers_file(**fr_overrides: object) -> dict:
    """The demo sellers file, parsed, with the FR table's keys overridden (None removes one)."""
    config = tomllib.loads((files("billing.adapters") / "demo_sellers.toml").read_text(encoding="utf-8"))
    table = config["sellers"]["FR"]
    for key, value in fr_overrides.items():
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    return config


# -- the demo sellers ---------------------------------------------------------------------------


def test_issue15_the_demo_french_seller_states_the_l441_10_penalties_and_the_40_euro_fee_and_belgium_none():
    assert "L441-10" in FR_NOTE and "40 €" in FR_NOTE and "escompte" in FR_NOTE
    assert "Banque centrale européenne" in FR_NOTE and "10 points" in FR_NOTE
    assert SELLERS.by_id["BE"].payment_terms_note is None


# -- the printed invoice --------------------------------------------------------------------------


def test_issue15_a_french_invoice_prints_the_sellers_payment_terms_verbatim_in_its_footer(events):
    page = render_invoice(issued(events, buyer_in("FR", "FR44732829320", name="Atelier Dupont SARL")))
    assert footer_notes(page) == [FR_NOTE]
    # inside the payment block, after the bank details it is about
    [payment] = lxml_html.fromstring(page).find_class("payment")
    assert payment.xpath("./*[last()]/@class") == ["payment-terms"]


def test_issue15_the_pdf_of_a_french_invoice_carries_the_payment_terms(events):
    reader = PdfReader(io.BytesIO(render_invoice_pdf(issued(events, buyer_in("FR")))))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for words in ("Pas d'escompte pour paiement anticipé.", "(art. L441-10 du Code de commerce)", "de 40 €"):
        assert words in text, words


def test_issue15_a_seller_without_a_note_prints_none_and_its_bt20_is_the_payment_instructions_alone(rules, events):
    invoice = issued(events, buyer_in("NL", "NL004495445B01", name="Ontwerp BV"), language="nl")
    assert invoice.seller is not None and invoice.seller.seller_id == "BE"
    assert footer_notes(render_invoice(invoice)) == []
    passes_en16931(rules, invoice)
    cii, ubl = bt20(invoice)
    reference = invoice.payment_reference
    instructions = f"Payable by 2026-02-04 (30 days) by bank transfer to BE71096123456769, quoting {reference}."
    assert cii == ubl == [instructions]


def test_issue15_a_credit_note_of_a_french_invoice_prints_no_payment_terms_in_any_form(rules, events):
    note = credit_note_of(issued(events, buyer_in("FR", "FR44732829320")), events)
    assert note.kind is InvoiceKind.CREDIT_NOTE and note.seller is not None and note.seller.payment_terms_note
    page = render_invoice(note)
    assert footer_notes(page) == [] and "L441-10" not in page
    passes_en16931(rules, note)
    cii, ubl = bt20(note)
    assert cii == ubl == ["No payment is due on a credit note. It corrects FR-INV-2026-000001."]
    printed = PdfReader(io.BytesIO(render_invoice_pdf(note))).pages
    assert "L441-10" not in " ".join(page.extract_text() for page in printed)


def test_issue15_the_note_is_text_not_markup_escaped_in_the_html_and_the_xml(rules, events):
    invoice = issued(events, buyer_in("FR"))
    assert invoice.seller is not None
    tricky = 'Retard : 40 € <b>& "frais"</b>'
    marked = replace(invoice, seller=replace(invoice.seller, payment_terms_note=tricky))
    page = render_invoice(marked)
    assert footer_notes(page) == [tricky] and "<b>" not in page
    passes_en16931(rules, marked)
    cii, ubl = bt20(marked)
    assert all(terms.endswith(f" {tricky}") for terms in cii + ubl)


# -- the e-invoices ---------------------------------------------------------------------------------


def test_issue15_a_french_invoice_carries_the_note_as_bt20_in_cii_and_ubl_and_passes_en16931(rules, events):
    invoice = issued(events, buyer_in("FR", "FR44732829320", name="Atelier Dupont SARL"))
    passes_en16931(rules, invoice)
    cii, ubl = bt20(invoice)
    expected = (
        f"Payable by 2026-02-04 (30 days) by bank transfer to FR1420041010050500013M02606, "
        f"quoting {invoice.payment_reference}. {FR_NOTE}"
    )
    assert cii == ubl == [expected]


# -- the sellers file -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "why"),
    [
        ("Pénalités de retard.\nIndemnité de 40 €.", "U+000A at character 21"),
        ("Pénalités\tde retard.", "U+0009 at character 10"),
        ("Pénalités de retard.\n", "U+000A at character 21"),  # a multi-line TOML string's last line break
        ("Pénalités de retard.\u2028Indemnité.", "U+2028"),
        ("Pénalités \u202ede retard.", "U+202E"),  # a bidi override: what is printed is not what is read
        ("x" * (PAYMENT_TERMS_NOTE_MAX + 1), f"{PAYMENT_TERMS_NOTE_MAX + 1} characters, at most 500"),
        (40, "a text"),
    ],
)
def test_issue15_a_bad_payment_terms_note_stops_billing_naming_the_seller_and_the_field(note, why):
    with pytest.raises(SellerConfigError) as refused:
        Sellers.of(sellers_file(payment_terms_note=note))
    message = str(refused.value)
    assert message.startswith("seller 'FR': payment_terms_note: "), message
    assert why in message, message


def test_issue15_a_bad_note_in_the_sellers_file_refuses_the_start(tmp_path):
    """What billing's start reads (load_sellers of BILLING_SELLERS_FILE) refuses the file."""
    path = tmp_path / "sellers.toml"
    path.write_text(
        '[sellers.FR]\nlegal_name = "X SAS"\n'
        'address = { line1 = "1 rue A", postcode = "75002", city = "Paris", country = "FR" }\n'
        'vat_number = "FR40303265045"\nregistration = "RCS Paris 303 265 045"\n'
        'iban = "FR1420041010050500013M02606"\nbic = "PSSTFRPPLIL"\nemail = "f@x.example"\ndefault = true\n'
        'payment_terms_note = """Pénalités de retard.\nIndemnité de 40 €."""\n',
        encoding="utf-8",
    )
    with pytest.raises(SellerConfigError, match=r"seller 'FR': payment_terms_note: U\+000A"):
        load_sellers(str(path))


def test_issue15_the_note_is_optional_trimmed_and_may_be_exactly_the_maximum():
    assert Sellers.of(sellers_file(payment_terms_note=None)).by_id["FR"].payment_terms_note is None
    assert Sellers.of(sellers_file(payment_terms_note="   ")).by_id["FR"].payment_terms_note is None
    assert Sellers.of(sellers_file(payment_terms_note=" Net 30. ")).by_id["FR"].payment_terms_note == "Net 30."
    longest = "é" * PAYMENT_TERMS_NOTE_MAX
    assert Sellers.of(sellers_file(payment_terms_note=longest)).by_id["FR"].payment_terms_note == longest


# -- frozen into the issued invoice -----------------------------------------------------------------


def test_issue15_an_invoice_stored_before_the_note_existed_reads_back_without_one():
    """A seller block stored before this field has no key for it: it reads back as no note,
    so that invoice prints as it did."""
    stored = json.loads(seller_json(SELLERS.by_id["FR"]))
    assert stored.pop("payment_terms_note") == FR_NOTE
    assert seller_of_json(json.dumps(stored)).payment_terms_note is None
    assert seller_of_json(seller_json(SELLERS.by_id["FR"])) == SELLERS.by_id["FR"]


async def test_issue15_an_issued_french_invoice_keeps_its_note_through_the_store_and_the_html_route(service, events):
    """Billed from the events to a buyer in France, stored (SQLite and PostgreSQL), and read
    back by the page's route: the note printed is the one frozen in at issue."""
    async with service.driver.uow() as uow:
        await billing_details_changed(testing.billing_details_changed(), uow)
        await uow.commit()
    await service.driver.apply(*events.bought())
    headers = {"Authorization": f"Bearer {service.driver.token(ADA)}"}
    [summary] = (await service.get("/invoices", headers=headers)).json()
    assert summary["number"].startswith("FR-INV-")
    page = await service.get(f"/invoices/{summary['invoice_id']}.html", headers=headers)
    assert page.status_code == 200, page.text
    assert footer_notes(page.text) == [FR_NOTE]
