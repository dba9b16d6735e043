"""Issue 15, item 4: every invoice and credit note as a structured e-invoice that passes the
EN 16931 rules offline (XSD + CEN schematron: tests/einvoice_rules.py), in both syntaxes (CII
for Factur-X / ZUGFeRD, UBL 2.1 for Peppol / XRechnung), and as a Factur-X PDF/A-3; the
e-invoice route for the HTML page's readers only (R6).

Amounts are hand-computed: 2 seats × 730.00 EUR for a whole annual term is 1,460.00 EUR net;
20 % French VAT is 292.00, 1,752.00 payable. A tier change 181 days into the 365-day term
leaves 184 days: the old tier's credit is 2 × 730.00 × 184/365 = 736.00, the new tier's
charge 2 × 1,095.00 × 184/365 = 1,104.00."""

from __future__ import annotations

import io
import uuid
from dataclasses import replace
from datetime import UTC, timedelta

import pytest
from facturx import get_facturx_xml_from_pdf
from lxml import etree
from pypdf import PdfReader

from billing.adapters.einvoice import CII_NS, NotAnEInvoice, cii_xml, facturx_pdf, ubl_xml
from billing.adapters.rendering import render_invoice_pdf
from billing.domain import invoices
from billing.domain.invoices import Invoice, InvoiceKind
from billing.domain.parties import Buyer
from billing.domain.subscriptions import SubscriptionView
from contracts.testing import ADA as ADA_CONTACT
from servicekit.http.auth import Caller

from .einvoice_rules import Report, Rules, parse_svrl
from .invoicing_kit import SELLERS, buyer_in

UBL = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada")
EVE = Caller(person_id="p-eve", account_id="a-eve", email="eve@example.com", name="Eve")
TIER_CHANGE_AT = timedelta(days=181)


@pytest.fixture(scope="session")
def rules() -> Rules:
    """Both schematrons compiled once for the session (about 0.3 s and 0.5 s)."""
    return Rules()


def passes_en16931(rules: Rules, invoice: Invoice) -> tuple[bytes, bytes]:
    """The invoice's CII and UBL, each asserted to pass its XSD and the EN 16931 schematron
    with no fatal failure; a schematron that fired no rule would have checked nothing."""
    documents = cii_xml(invoice), ubl_xml(invoice)
    for syntax, xml in zip(("cii", "ubl"), documents, strict=True):
        report = rules.check(xml, syntax)
        assert report.failures == [], f"{syntax}:\n" + "\n".join(map(str, report.failures))
        assert report.rules_fired > 30, syntax
    return documents


def issued(events, buyer: Buyer, *, language: str = "en", tier_change: int | None = None, number: int = 1) -> Invoice:
    """An annual term of 2 seats at 730.00 EUR (and, with `tier_change`, a change to a tier at
    that unit price 181 days in: the old tier's credit and the new tier's charge), issued at
    START by the seller of the buyer's country."""
    admin = ADA_CONTACT.model_copy(update={"locale": language})
    view = SubscriptionView("s-1", "a-1")
    lines = view.activate(events.activated(admin=admin, price=73000, po="PO-2026-7"), "act-s-1")
    if tier_change is not None:
        change = events.tier_changed(events.START + TIER_CHANGE_AT, old=73000, new=tier_change)
        lines += list(view.change_tier(change, "ev-tier"))
    [draft] = invoices.group_lines(lines, {"s-1": view})
    return invoices.issue(draft, f"inv-{number}", number, events.START, SELLERS.for_buyer(buyer.country), buyer)


def credit_note(invoice: Invoice, lines, at) -> Invoice:
    """A credit note of `lines` against `invoice`, as an operator's correction issues it: the
    invoice's seller, buyer and VAT treatment."""
    draft = invoices.InvoiceDraft(invoice.account_id, invoice.po_number, invoice.administrator, tuple(lines))
    assert invoice.seller is not None
    return invoices.issue(
        draft,
        "cn-1",
        1,
        at,
        invoice.seller,
        invoice.buyer,
        corrects=invoice.number,
        reason="Tier changed back",
        treatment=invoices.treatment_of(invoice),
    )


def cii(xml: bytes, path: str) -> list[str]:
    return [node.text or "" for node in etree.fromstring(xml).xpath(path, namespaces=CII_NS)]


def ubl(xml: bytes, path: str) -> list[str]:
    return [
        node if isinstance(node, str) else node.text or "" for node in etree.fromstring(xml).xpath(path, namespaces=UBL)
    ]


HEADER_TAX = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
TOTALS = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"


def test_issue15_a_french_domestic_invoice_at_20_percent_passes_en16931_in_cii_and_ubl(rules, events):
    invoice = issued(events, buyer_in("FR", "FR44732829320", name="Atelier Dupont SARL"), language="fr")
    cii_document, ubl_document = passes_en16931(rules, invoice)
    assert cii(cii_document, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert cii(cii_document, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == ["urn:cen.eu:en16931:2017"]
    assert cii(cii_document, f"{HEADER_TAX}/ram:CategoryCode") == ["S"]
    assert cii(cii_document, f"{HEADER_TAX}/ram:RateApplicablePercent") == ["20"]
    assert cii(cii_document, f"{HEADER_TAX}/ram:BasisAmount") == ["1460.00"]
    assert cii(cii_document, f"{HEADER_TAX}/ram:CalculatedAmount") == ["292.00"]
    assert cii(cii_document, f"{TOTALS}/ram:GrandTotalAmount") == cii(cii_document, f"{TOTALS}/ram:DuePayableAmount")
    assert cii(cii_document, f"{TOTALS}/ram:DuePayableAmount") == ["1752.00"]
    assert cii(cii_document, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == ["FR40303265045"]
    assert cii(cii_document, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']") == [
        "303265045"  # BT-30: the SIREN of "RCS Paris 303 265 045"
    ]
    assert cii(cii_document, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == [
        "FR44732829320"
    ]
    assert cii(cii_document, "//ram:PaymentReference") == [invoice.payment_reference]
    assert cii(cii_document, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == ["FR1420041010050500013M02606"]
    assert cii(cii_document, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == ["58"]
    assert cii(cii_document, "//ram:DueDateDateTime/udt:DateTimeString") == ["20260204"]  # 30 days
    assert cii(cii_document, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == ["PO-2026-7"]
    assert ubl(ubl_document, "/inv:Invoice/cbc:InvoiceTypeCode") == ["380"]
    assert ubl(ubl_document, "/inv:Invoice/cbc:DueDate") == ["2026-02-04"]
    assert ubl(ubl_document, "//cac:LegalMonetaryTotal/cbc:PayableAmount") == ["1752.00"]
    assert ubl(ubl_document, "//cac:TaxTotal/cbc:TaxAmount") == ["292.00"]
    assert ubl(ubl_document, "//cac:AccountingSupplierParty//cbc:EndpointID/@schemeID") == ["9957"]  # FR VAT


def test_issue15_a_reverse_charged_sale_from_belgium_to_the_netherlands_passes_en16931(rules, events):
    invoice = issued(events, buyer_in("NL", "NL004495445B01", name="Ontwerp BV"), language="nl")
    cii_document, ubl_document = passes_en16931(rules, invoice)
    assert invoice.number.startswith("BE-INV-")
    assert cii(cii_document, f"{HEADER_TAX}/ram:CategoryCode") == ["AE"]
    assert cii(cii_document, f"{HEADER_TAX}/ram:RateApplicablePercent") == ["0"]
    assert cii(cii_document, f"{HEADER_TAX}/ram:CalculatedAmount") == ["0.00"]
    assert cii(cii_document, f"{HEADER_TAX}/ram:ExemptionReasonCode") == ["VATEX-EU-AE"]
    assert cii(cii_document, f"{TOTALS}/ram:DuePayableAmount") == ["1460.00"]
    assert cii(cii_document, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0208']") == [
        "0403170701"
    ]
    assert ubl(ubl_document, "//cac:TaxCategory/cbc:TaxExemptionReasonCode") == ["VATEX-EU-AE"]
    assert ubl(ubl_document, "//cac:AccountingCustomerParty//cbc:EndpointID") == ["NL004495445B01"]
    assert ubl(ubl_document, "//cac:AccountingCustomerParty//cbc:EndpointID/@schemeID") == ["9944"]
    assert ubl(ubl_document, "//cac:AccountingCustomerParty//cac:PartyTaxScheme/cbc:CompanyID") == ["NL004495445B01"]


def test_issue15_a_sale_outside_the_eu_is_not_subject_to_vat_and_names_no_vat_identifier_br_o_02(rules, events):
    invoice = issued(events, buyer_in("US", name="Design Inc"))
    cii_document, ubl_document = passes_en16931(rules, invoice)
    assert cii(cii_document, f"{HEADER_TAX}/ram:CategoryCode") == ["O"]
    assert cii(cii_document, f"{HEADER_TAX}/ram:ExemptionReasonCode") == ["VATEX-EU-O"]
    assert cii(cii_document, f"{HEADER_TAX}/ram:RateApplicablePercent") == []  # BR-O-05 and its breakdown twin
    assert cii(cii_document, "//ram:SpecifiedTaxRegistration/ram:ID") == []  # BR-O-02
    assert cii(cii_document, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == ["0403170701"]
    assert ubl(ubl_document, "//cac:PartyTaxScheme") == [] and ubl(ubl_document, "//cbc:EndpointID") == []


def test_issue15_several_lines_with_a_negative_one_are_quantity_minus_one_at_a_positive_price(rules, events):
    """BR-27: no net price is negative; price × quantity is the line's net amount. A buyer in
    Germany with no VAT number pays the German rate (One-Stop-Shop): 1,828.00 net, 19 % is 347.32."""
    invoice = issued(events, buyer_in("DE", name="Entwurf GmbH"), language="de", tier_change=109500)
    assert sorted(line.amount.amount_minor for line in invoice.lines) == [-73600, 110400, 146000]
    cii_document, ubl_document = passes_en16931(rules, invoice)
    quantities = cii(cii_document, "//ram:BilledQuantity")
    prices = cii(cii_document, "//ram:NetPriceProductTradePrice/ram:ChargeAmount")
    nets = cii(cii_document, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount")
    assert sorted(zip(nets, quantities, prices, strict=True)) == [
        ("-736.00", "-1", "736.00"),
        ("1104.00", "1", "1104.00"),
        ("1460.00", "1", "1460.00"),
    ]
    assert nets == [f"{line.amount.amount_minor / 100:.2f}" for line in invoice.lines]  # in the invoice's order
    assert cii(cii_document, f"{HEADER_TAX}/ram:RateApplicablePercent") == ["19"]
    assert cii(cii_document, f"{HEADER_TAX}/ram:CalculatedAmount") == ["347.32"]
    assert cii(cii_document, f"{TOTALS}/ram:LineTotalAmount") == ["1828.00"]
    assert cii(cii_document, f"{TOTALS}/ram:GrandTotalAmount") == ["2175.32"]
    assert ubl(ubl_document, "//cac:InvoiceLine/cbc:InvoicedQuantity") == quantities
    assert ubl(ubl_document, "//cac:InvoiceLine/cac:Price/cbc:PriceAmount") == prices
    assert ubl(ubl_document, "//cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount") == ["2175.32"]


def test_issue15_a_credit_note_against_a_vat_invoice_is_type_381_with_positive_amounts_and_its_reference(rules, events):
    invoice = issued(events, buyer_in("FR", "FR44732829320"), language="fr")
    draft = invoices.credit_note_draft(invoice, "credit-1")
    note = credit_note(invoice, draft.lines, events.START + timedelta(days=3))
    assert note.kind is InvoiceKind.CREDIT_NOTE and note.total.amount_minor == -175200
    cii_document, ubl_document = passes_en16931(rules, note)
    assert cii(cii_document, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert cii(cii_document, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [invoice.number]  # BT-25
    assert cii(cii_document, f"{TOTALS}/ram:DuePayableAmount") == ["1752.00"]
    assert cii(cii_document, f"{HEADER_TAX}/ram:CalculatedAmount") == ["292.00"]
    assert cii(cii_document, "//ram:IncludedNote/ram:Content") == ["Tier changed back"]
    assert cii(cii_document, "//ram:SpecifiedTradeSettlementPaymentMeans") == []  # nothing to pay to the seller
    assert ubl(ubl_document, "/cn:CreditNote/cbc:CreditNoteTypeCode") == ["381"]
    assert ubl(ubl_document, "//cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == [invoice.number]
    assert ubl(ubl_document, "//cac:CreditNoteLine/cbc:CreditedQuantity") == ["1"]
    assert ubl(ubl_document, "//cac:LegalMonetaryTotal/cbc:PayableAmount") == ["1752.00"]


def test_issue15_a_credit_note_with_a_charge_line_shows_that_line_negative(rules, events):
    """A tier change back: the dearer tier's credit (1,104.00) exceeds the cheaper tier's charge
    (736.00), so the lines sum below zero; on the credit note the charge is the negative line."""
    invoice = issued(events, buyer_in("NL", "NL004495445B01"), tier_change=109500)
    view = SubscriptionView("s-1", "a-1")
    view.activate(events.activated(price=109500), "act-s-1")
    back = events.tier_changed(events.START + TIER_CHANGE_AT, old=109500, new=73000)
    note = credit_note(invoice, view.change_tier(back, "ev-back"), events.START + TIER_CHANGE_AT)
    assert note.kind is InvoiceKind.CREDIT_NOTE and note.net_total.amount_minor == -36800
    cii_document, ubl_document = passes_en16931(rules, note)
    nets = cii(cii_document, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount")
    quantities = cii(cii_document, "//ram:BilledQuantity")
    assert sorted(zip(nets, quantities, strict=True)) == [("-736.00", "-1"), ("1104.00", "1")]
    assert cii(cii_document, f"{TOTALS}/ram:DuePayableAmount") == ["368.00"]  # reverse-charged: no VAT
    assert ubl(ubl_document, "//cac:CreditNoteLine/cbc:CreditedQuantity") == quantities


def test_issue15_a_buyer_without_billing_details_gets_the_country_the_sale_was_taxed_in_br_10_br_11(rules, events):
    """BR-10 and BR-11 require the buyer's postal address and country: a buyer who gave no
    billing details was taxed as a domestic buyer (billing.domain.vat), and that country is
    what the address says, with no street or city."""
    invoice = issued(events, Buyer.of(None, "Ada Admin", "ada@example.com"))
    cii_document, ubl_document = passes_en16931(rules, invoice)
    assert cii(cii_document, "//ram:BuyerTradeParty/ram:PostalTradeAddress/*") == ["BE"]
    assert cii(cii_document, "//ram:BuyerTradeParty/ram:Name") == ["Ada Admin"]
    assert cii(cii_document, f"{HEADER_TAX}/ram:RateApplicablePercent") == ["21"]
    assert ubl(ubl_document, "//cac:AccountingCustomerParty//cac:PostalAddress//cbc:IdentificationCode") == ["BE"]
    without_address = etree.fromstring(cii_document)
    for address in without_address.xpath("//ram:BuyerTradeParty/ram:PostalTradeAddress", namespaces=CII_NS):
        address.getparent().remove(address)
    assert "BR-10" in rules.check(etree.tostring(without_address), "cii").rule_ids


def test_issue15_an_invoice_issued_before_sellers_were_recorded_has_no_e_invoice(events):
    invoice = replace(issued(events, buyer_in("BE")), seller=None)
    for writer in (cii_xml, ubl_xml):
        with pytest.raises(NotAnEInvoice, match="issued before sellers"):
            writer(invoice)


def broken(xml: bytes, path: str, namespaces: dict[str, str], value: str, attribute: str | None = None) -> bytes:
    document = etree.fromstring(xml)
    [node] = document.xpath(path, namespaces=namespaces)
    if attribute:
        node.set(attribute, value)
    else:
        node.text = value
    return etree.tostring(document)


def test_issue15_the_rules_catch_a_wrong_total_and_an_unknown_code_in_either_syntax(rules, events):
    """The validator can fail: a grand total that is not net + VAT breaks BR-CO-15, and a unit
    code outside UN/ECE Rec. 20 breaks the code-list rule (BR-CL-23 in UBL; in CII, Factur-X's
    own rule, which looks the code up in the codedb file beside the stylesheet: so those
    look-ups run here, they are not skipped)."""
    invoice = issued(events, buyer_in("FR", "FR44732829320"))
    cii_document, ubl_document = cii_xml(invoice), ubl_xml(invoice)
    wrong_total = broken(cii_document, f"{TOTALS}/ram:GrandTotalAmount", CII_NS, "1752.01")
    assert "BR-CO-15" in rules.check(wrong_total, "cii").rule_ids
    unknown_unit = broken(cii_document, "//ram:BilledQuantity", CII_NS, "NOPE", attribute="unitCode")
    [code_list] = rules.check(unknown_unit, "cii").failures  # Factur-X's code-list rule, read from the codedb
    assert code_list.rule.startswith("FX-SCH-A-") and "'@unitCode' is not allowed" in code_list.text
    wrong_total = broken(ubl_document, "//cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", UBL, "1752.01")
    assert "BR-CO-15" in rules.check(wrong_total, "ubl").rule_ids
    unknown_unit = broken(ubl_document, "//cbc:InvoicedQuantity", UBL, "NOPE", attribute="unitCode")
    assert "BR-CL-23" in rules.check(unknown_unit, "ubl").rule_ids
    unnumbered = broken(ubl_document, "/inv:Invoice/cbc:ID", UBL, "")
    assert "BR-02" in rules.check(unnumbered, "ubl").rule_ids  # an invoice needs its number


def xmp_of(pdf: bytes) -> dict[str, str | None]:
    """The PDF's XMP metadata, each element's text by its local name."""
    metadata = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_object().get_data()
    return {
        etree.QName(node).localname: node.text
        for node in etree.fromstring(metadata).iter()
        if isinstance(node.tag, str)
    }


def test_issue15_the_factur_x_pdf_carries_the_cii_and_declares_the_en16931_profile(rules, events):
    invoice = issued(events, buyer_in("FR", "FR44732829320"), language="fr")
    pdf = facturx_pdf(invoice, render_invoice_pdf(invoice))
    filename, embedded = get_facturx_xml_from_pdf(pdf)
    assert filename == "factur-x.xml" and embedded == cii_xml(invoice)
    assert rules.check(embedded, "cii").failures == []
    said = xmp_of(pdf)
    assert said["ConformanceLevel"] == "EN 16931" and said["DocumentType"] == "INVOICE"
    assert said["DocumentFileName"] == "factur-x.xml"
    assert (said["part"], said["conformance"]) == ("3", "B")  # still PDF/A-3, which may carry the XML


def as_(service, caller: Caller) -> dict:
    return {"Authorization": f"Bearer {service.driver.token(caller)}"}


async def test_issue15_R6_the_e_invoice_route_serves_ubl_by_default_and_cii_to_the_administrator_only(
    service, events, rules
):
    await service.driver.apply(*events.bought())
    [summary] = (await service.get("/invoices", headers=as_(service, ADA))).json()
    route = f"/invoices/{summary['invoice_id']}/e-invoice"
    for query, syntax, root in (("", "ubl", "Invoice"), ("?syntax=cii", "cii", "CrossIndustryInvoice")):
        answer = await service.get(route + query, headers=as_(service, ADA))
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/xml")
        assert answer.headers["content-disposition"] == f'attachment; filename="{summary["number"]}.{syntax}.xml"'
        assert etree.QName(etree.fromstring(answer.content)).localname == root
        assert rules.check(answer.content, syntax).failures == []  # the buyer without billing details, too
    assert (await service.get(route + "?syntax=pdf", headers=as_(service, ADA))).status_code == 422
    theirs = await service.get(route, headers=as_(service, EVE))
    unknown = await service.get(f"/invoices/{uuid.uuid4()}/e-invoice", headers=as_(service, EVE))
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["code"] == unknown.json()["code"]
    schema = (await service.get("/openapi.json")).json()
    operation = schema["paths"]["/invoices/{invoice_id}/e-invoice"]["get"]
    assert "application/xml" in operation["responses"]["200"]["content"]


def test_issue15_a_report_lists_fatal_failures_apart_from_warnings():
    svrl = b"""<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
      <svrl:fired-rule context="x"/>
      <svrl:failed-assert id="BR-01" flag="fatal" location="/a"><svrl:text>fatal</svrl:text></svrl:failed-assert>
      <svrl:failed-assert id="BR-02" location="/b"><svrl:text>no flag</svrl:text></svrl:failed-assert>
      <svrl:failed-assert id="R008" flag="warning"><svrl:text>only a warning</svrl:text></svrl:failed-assert>
    </svrl:schematron-output>"""
    report: Report = parse_svrl(svrl)
    assert report.rule_ids == {"BR-01", "BR-02"} and [w.rule for w in report.warnings] == ["R008"]
    assert report.rules_fired == 1


def test_issue15_the_factur_x_pdf_is_dated_as_issued_so_the_same_invoice_gives_the_same_bytes(events):
    """An issued invoice never changes, nor does its PDF: factur-x would stamp the wall clock."""
    invoice = issued(events, buyer_in("FR", "FR44732829320"), language="fr")
    printed = render_invoice_pdf(invoice)
    pdf = facturx_pdf(invoice, printed)
    said = xmp_of(pdf)
    issued_at = invoice.issued_at.astimezone(UTC)
    assert said["CreateDate"] == said["ModifyDate"] == issued_at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    info = PdfReader(io.BytesIO(pdf)).metadata
    assert info is not None and info["/ModDate"] == issued_at.strftime("D:%Y%m%d%H%M%S+00'00'")
    assert facturx_pdf(invoice, printed) == pdf
