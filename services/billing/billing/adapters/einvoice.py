"""Structured e-invoices (issue 15, item 4): every invoice and credit note as EN 16931 data, in
both syntaxes the norm binds to, and as a Factur-X PDF.

- `cii_xml`: UN/CEFACT Cross Industry Invoice D16B, the Factur-X 1.0x / ZUGFeRD 2.x profile
  EN 16931 (what France's and Germany's B2B mandates accept, and what a Factur-X PDF carries);
- `ubl_xml`: OASIS UBL 2.1 Invoice or CreditNote, for Peppol and XRechnung receivers;
- `facturx_pdf`: the printed PDF/A-3 with the CII XML embedded (the `factur-x` library writes
  the attachment, its relationship and the XMP that declares the profile).

Both syntaxes are written from one reading of the invoice (`_Document`), so they say the same:
what EN 16931 requires there is decided once, in `_document`:

- A credit note's amounts are negative inside billing; EN 16931 wants a credit note (type 381)
  with the signs of an invoice, so every amount is turned (a line that charged something on a
  credit note becomes the negative one), as the printed document shows it.
- A line is quantity 1 (unit C62, "one") at its net amount: the net price may not be negative
  (BR-27) and price × quantity must give the line's net amount (PEPPOL-EN16931-R120), so a
  negative line is quantity -1 at the positive price. What was bought, for how many seats and
  days, stays in the line's name, as printed.
- A sale outside the EU's VAT (category O) names no VAT identifier at all (BR-O-02), neither
  the seller's nor the buyer's: the seller is identified by its legal registration (BT-30).
- The payment terms (BT-20, one text in either syntax) say when and how to pay, then, on an
  invoice, the seller's own legal wording when its sellers file gives one (France's
  late-payment penalties and 40 € fee: billing.domain.parties), as written.
- A buyer with no billing details still needs a postal address with a country (BR-10, BR-11):
  billing taxed that sale as a domestic one (billing.domain.vat), so the address given is the
  seller's country, with no street or city, which is exactly what was assumed.

Invoices issued before sellers were recorded carry no seller, VAT or payment details: they
cannot be e-invoices and are refused (`NotAnEInvoice`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal

import facturx
import facturx.facturx as facturx_module
from babel.numbers import get_currency_precision
from lxml import etree

from billing.domain.invoices import Invoice, InvoiceKind
from billing.domain.parties import Seller
from billing.domain.vat import MENTIONS, VatCategory
from contracts.parties import PostalAddress

EN16931 = "urn:cen.eu:en16931:2017"  # BT-24: the specification the document follows
INVOICE, CREDIT_NOTE = "380", "381"  # UNTDID 1001 (BT-3)
UNIT_ONE = "C62"  # UN/ECE Rec. 20: "one"
SEPA_CREDIT_TRANSFER = "58"  # UNTDID 4461 (BT-81)

# Peppol's electronic address schemes (EAS, BT-34/BT-49 scheme) that are VAT numbers, by
# country: the one identifier both parties always have here. A receiver registered on Peppol
# under another scheme (0208 Belgian enterprise number, 0009 SIRET, 0106 KvK, a Leitweg-ID)
# needs that id instead; billing does not hold it. Countries missing here (DK, SE) have no
# VAT-based scheme: their parties get no endpoint.
VAT_ENDPOINT_SCHEMES = {
    "AT": "9914",
    "BE": "9925",
    "BG": "9926",
    "CY": "9928",
    "CZ": "9929",
    "DE": "9930",
    "EE": "9931",
    "ES": "9920",
    "FI": "0213",
    "FR": "9957",
    "GR": "9933",
    "HR": "9934",
    "HU": "9910",
    "IE": "9935",
    "IT": "0211",
    "LT": "9937",
    "LU": "9938",
    "LV": "9939",
    "MT": "9943",
    "NL": "9944",
    "PL": "9945",
    "PT": "9946",
    "RO": "9947",
    "SI": "9949",
    "SK": "9950",
}

CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
UBL_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
UBL_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
UBL_ROOT = {
    InvoiceKind.INVOICE: ("Invoice", "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"),
    InvoiceKind.CREDIT_NOTE: ("CreditNote", "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"),
}


class NotAnEInvoice(ValueError):
    """The invoice cannot be written as an EN 16931 e-invoice: the message says why."""


@dataclass(frozen=True)
class _Line:
    number: str  # BT-126
    name: str  # BT-153
    quantity: int  # BT-129: 1, or -1 for a negative line
    price: str  # BT-146, never negative
    net: str  # BT-131
    category: VatCategory  # BT-151
    rate: str | None  # BT-152; none for category O (BR-O-05)
    start: date  # BT-134
    end: date  # BT-135


@dataclass(frozen=True)
class _Subtotal:  # BG-23
    category: VatCategory
    rate: str | None
    basis: str
    tax: str
    exemption: tuple[str, str] | None  # BT-121 code, BT-120 text


@dataclass(frozen=True)
class _Party:
    name: str
    address: PostalAddress | None  # none: the country alone (BR-11)
    country: str
    vat_number: str | None
    email: str
    registration: tuple[str, str | None] | None = None  # BT-30 and its ICD scheme (sellers only)

    @property
    def endpoint(self) -> tuple[str, str] | None:
        """(EAS scheme, id): the party's VAT number, where its country has a VAT-based scheme."""
        scheme = VAT_ENDPOINT_SCHEMES.get(self.country)
        return (scheme, self.vat_number) if scheme and self.vat_number else None


@dataclass(frozen=True)
class _Document:
    """The invoice as EN 16931 reads it: signs of an invoice, amounts as decimal strings."""

    type_code: str
    number: str
    issued_on: date
    due_on: date | None
    currency: str
    notes: tuple[str, ...]
    po_number: str | None
    corrects: str | None
    seller: _Party
    buyer: _Party
    iban: str
    bic: str
    payment_reference: str
    payment_terms: str
    lines: tuple[_Line, ...]
    subtotals: tuple[_Subtotal, ...]
    net_total: str
    vat_total: str
    total: str


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}"


def _registration_id(seller: Seller) -> tuple[str, str | None]:
    """BT-30: the register's number, as its ICD scheme writes it. The schemes sellers use
    (0002 SIREN, 0208 Belgian enterprise number, 0106 KvK) are digits only, which the printed
    registration ("RCS Paris 303 265 045") holds among its words; without a scheme, as printed."""
    if seller.registration_scheme is None:
        return seller.registration, None
    return re.sub(r"\D", "", seller.registration), seller.registration_scheme


def _document(invoice: Invoice) -> _Document:
    seller = invoice.seller
    if seller is None:
        raise NotAnEInvoice(
            f"{invoice.number} was issued before sellers, VAT and payment details were recorded: "
            "it has no EN 16931 form; its HTML and PDF documents stand"
        )
    credit_note = invoice.kind is InvoiceKind.CREDIT_NOTE
    sign = -1 if credit_note else 1
    currency = invoice.total.currency
    precision = get_currency_precision(currency)

    def amount(minor: int) -> str:
        return f"{Decimal(sign * minor).scaleb(-precision):f}"

    def unsigned(minor: int) -> str:
        return f"{Decimal(abs(minor)).scaleb(-precision):f}"

    categories = {subtotal.category for subtotal in invoice.vat_summary}
    named = VatCategory.NOT_SUBJECT not in categories  # BR-O-02
    lines = []
    for number, line in enumerate(invoice.lines, start=1):
        if line.vat is None:
            raise NotAnEInvoice(f"{invoice.number}: line {line.line_id} has no VAT")
        lines.append(
            _Line(
                number=str(number),
                name=line.description,
                quantity=-1 if sign * line.amount.amount_minor < 0 else 1,
                price=unsigned(line.amount.amount_minor),
                net=amount(line.amount.amount_minor),
                category=line.vat.category,
                rate=None if line.vat.category is VatCategory.NOT_SUBJECT else _rate(line.vat.rate),
                start=line.period_start.date(),
                end=max(line.period_end.date(), line.period_start.date()),  # BR-30: never before the start
            )
        )
    subtotals = tuple(
        _Subtotal(
            category=subtotal.category,
            rate=None if subtotal.category is VatCategory.NOT_SUBJECT else _rate(subtotal.rate),
            basis=amount(subtotal.taxable_minor),
            tax=amount(subtotal.tax_minor),
            exemption=MENTIONS.get(subtotal.category),
        )
        for subtotal in invoice.vat_summary
    )
    buyer = invoice.buyer
    if credit_note:
        terms = "No payment is due on a credit note." + (
            f" It corrects {invoice.corrects}." if invoice.corrects else ""
        )
    else:
        terms = (
            f"Payable by {invoice.due_on.isoformat()} ({seller.payment_terms_days} days) by bank transfer "
            f"to {seller.iban}, quoting {invoice.payment_reference}."
        )
        if seller.payment_terms_note:  # BT-20 is one text: the seller's legal wording follows, as written
            terms = f"{terms} {seller.payment_terms_note}"
    return _Document(
        type_code=CREDIT_NOTE if credit_note else INVOICE,
        number=invoice.number,
        issued_on=invoice.issued_at.date(),
        due_on=None if credit_note else invoice.due_on,
        currency=currency,
        notes=(invoice.reason,) if invoice.reason else (),
        po_number=invoice.po_number,
        corrects=invoice.corrects,
        seller=_Party(
            name=seller.legal_name,
            address=seller.address,
            country=seller.country,
            vat_number=seller.vat_number if named else None,
            email=seller.email,
            registration=_registration_id(seller),
        ),
        buyer=_Party(
            name=buyer.legal_name,
            address=buyer.address,
            country=buyer.country or seller.country,  # BR-10/BR-11: where the sale was taxed
            vat_number=buyer.vat_number if named else None,
            email=buyer.email,
        ),
        iban=seller.iban,
        bic=seller.bic,
        payment_reference=invoice.payment_reference,
        payment_terms=terms,
        lines=tuple(lines),
        subtotals=subtotals,
        net_total=amount(invoice.net_total.amount_minor),
        vat_total=amount(invoice.vat_total.amount_minor),
        total=amount(invoice.total.amount_minor),
    )


# -- CII (Factur-X / ZUGFeRD, profile EN 16931) ------------------------------------------------


def _cii(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{CII_NS[prefix]}}}{name}"


def _adder(namespace: Callable[[str], str]) -> Callable[..., etree._Element]:
    def add(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
        element = etree.SubElement(parent, namespace(tag), attributes)
        if text is not None:
            element.text = text
        return element

    return add


def _cii_date(parent: etree._Element, tag: str, day: date) -> None:
    add = _adder(_cii)
    add(add(parent, tag), "udt:DateTimeString", day.strftime("%Y%m%d"), format="102")


def _cii_party(parent: etree._Element, tag: str, party: _Party) -> None:
    add = _adder(_cii)
    element = add(parent, tag)
    add(element, "ram:Name", party.name)
    if party.registration:
        identifier, scheme = party.registration
        organisation = add(element, "ram:SpecifiedLegalOrganization")
        if scheme:
            add(organisation, "ram:ID", identifier, schemeID=scheme)
        else:
            add(organisation, "ram:ID", identifier)
    address = add(element, "ram:PostalTradeAddress")
    if party.address:
        if party.address.postcode:
            add(address, "ram:PostcodeCode", party.address.postcode)
        add(address, "ram:LineOne", party.address.line1)
        if party.address.line2:
            add(address, "ram:LineTwo", party.address.line2)
        add(address, "ram:CityName", party.address.city)
    add(address, "ram:CountryID", party.country)
    add(add(element, "ram:URIUniversalCommunication"), "ram:URIID", party.email, schemeID="EM")
    if party.vat_number:
        add(add(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_number, schemeID="VA")


def _cii_tax(parent: etree._Element, category: VatCategory, rate: str | None) -> etree._Element:
    add = _adder(_cii)
    tax = add(parent, "ram:ApplicableTradeTax")
    add(tax, "ram:TypeCode", "VAT")
    add(tax, "ram:CategoryCode", category.value)
    if rate is not None:
        add(tax, "ram:RateApplicablePercent", rate)
    return tax


def cii_xml(invoice: Invoice) -> bytes:
    """The invoice as a Factur-X / ZUGFeRD EN 16931 CII document (UTF-8 XML)."""
    document = _document(invoice)
    add = _adder(_cii)
    root = etree.Element(_cii("rsm:CrossIndustryInvoice"), nsmap=CII_NS)
    context = add(root, "rsm:ExchangedDocumentContext")
    add(add(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)
    header = add(root, "rsm:ExchangedDocument")
    add(header, "ram:ID", document.number)
    add(header, "ram:TypeCode", document.type_code)
    _cii_date(header, "ram:IssueDateTime", document.issued_on)
    for note in document.notes:
        add(add(header, "ram:IncludedNote"), "ram:Content", note)

    transaction = add(root, "rsm:SupplyChainTradeTransaction")
    for line in document.lines:
        item = add(transaction, "ram:IncludedSupplyChainTradeLineItem")
        add(add(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.number)
        add(add(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.name)
        agreement = add(item, "ram:SpecifiedLineTradeAgreement")
        add(add(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", line.price)
        delivery = add(item, "ram:SpecifiedLineTradeDelivery")
        add(delivery, "ram:BilledQuantity", str(line.quantity), unitCode=UNIT_ONE)
        settlement = add(item, "ram:SpecifiedLineTradeSettlement")
        _cii_tax(settlement, line.category, line.rate)
        period = add(settlement, "ram:BillingSpecifiedPeriod")
        _cii_date(period, "ram:StartDateTime", line.start)
        _cii_date(period, "ram:EndDateTime", line.end)
        add(add(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount", line.net)

    agreement = add(transaction, "ram:ApplicableHeaderTradeAgreement")
    _cii_party(agreement, "ram:SellerTradeParty", document.seller)
    _cii_party(agreement, "ram:BuyerTradeParty", document.buyer)
    if document.po_number:
        add(add(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", document.po_number)
    add(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = add(transaction, "ram:ApplicableHeaderTradeSettlement")
    add(settlement, "ram:PaymentReference", document.payment_reference)
    add(settlement, "ram:InvoiceCurrencyCode", document.currency)
    if document.due_on is not None:  # what to pay where: an invoice's, not a credit note's
        means = add(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        add(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER)
        add(add(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", document.iban)
        add(add(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", document.bic)
    for subtotal in document.subtotals:
        tax = add(settlement, "ram:ApplicableTradeTax")
        add(tax, "ram:CalculatedAmount", subtotal.tax)
        add(tax, "ram:TypeCode", "VAT")
        if subtotal.exemption:
            add(tax, "ram:ExemptionReason", subtotal.exemption[1])
        add(tax, "ram:BasisAmount", subtotal.basis)
        add(tax, "ram:CategoryCode", subtotal.category.value)
        if subtotal.exemption:
            add(tax, "ram:ExemptionReasonCode", subtotal.exemption[0])
        if subtotal.rate is not None:
            add(tax, "ram:RateApplicablePercent", subtotal.rate)
    terms = add(settlement, "ram:SpecifiedTradePaymentTerms")
    add(terms, "ram:Description", document.payment_terms)
    if document.due_on is not None:
        _cii_date(terms, "ram:DueDateDateTime", document.due_on)
    totals = add(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    add(totals, "ram:LineTotalAmount", document.net_total)
    add(totals, "ram:TaxBasisTotalAmount", document.net_total)
    add(totals, "ram:TaxTotalAmount", document.vat_total, currencyID=document.currency)
    add(totals, "ram:GrandTotalAmount", document.total)
    add(totals, "ram:DuePayableAmount", document.total)
    if document.corrects:
        add(add(settlement, "ram:InvoiceReferencedDocument"), "ram:IssuerAssignedID", document.corrects)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# -- UBL 2.1 -----------------------------------------------------------------------------------


def _ubl(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{UBL_CAC if prefix == 'cac' else UBL_CBC}}}{name}"


def _ubl_party(parent: etree._Element, tag: str, party: _Party) -> None:
    add = _adder(_ubl)
    element = add(add(parent, tag), "cac:Party")
    if party.endpoint:
        eas, endpoint = party.endpoint
        add(element, "cbc:EndpointID", endpoint, schemeID=eas)
    address = add(element, "cac:PostalAddress")
    if party.address:
        add(address, "cbc:StreetName", party.address.line1)
        if party.address.line2:
            add(address, "cbc:AdditionalStreetName", party.address.line2)
        add(address, "cbc:CityName", party.address.city)
        if party.address.postcode:
            add(address, "cbc:PostalZone", party.address.postcode)
    add(add(address, "cac:Country"), "cbc:IdentificationCode", party.country)
    if party.vat_number:
        tax_scheme = add(element, "cac:PartyTaxScheme")
        add(tax_scheme, "cbc:CompanyID", party.vat_number)
        add(add(tax_scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = add(element, "cac:PartyLegalEntity")
    add(legal, "cbc:RegistrationName", party.name)
    if party.registration:
        identifier, scheme = party.registration
        if scheme:
            add(legal, "cbc:CompanyID", identifier, schemeID=scheme)
        else:
            add(legal, "cbc:CompanyID", identifier)
    add(add(element, "cac:Contact"), "cbc:ElectronicMail", party.email)


def _ubl_category(parent: etree._Element, tag: str, category: VatCategory, rate: str | None) -> etree._Element:
    add = _adder(_ubl)
    element = add(parent, tag)
    add(element, "cbc:ID", category.value)
    if rate is not None:
        add(element, "cbc:Percent", rate)
    return element


def ubl_xml(invoice: Invoice) -> bytes:
    """The invoice as a UBL 2.1 Invoice, or a credit note as a UBL 2.1 CreditNote (UTF-8 XML)."""
    document = _document(invoice)
    add = _adder(_ubl)
    root_name, namespace = UBL_ROOT[invoice.kind]
    credit_note = invoice.kind is InvoiceKind.CREDIT_NOTE
    root = etree.Element(f"{{{namespace}}}{root_name}", nsmap={None: namespace, "cac": UBL_CAC, "cbc": UBL_CBC})
    add(root, "cbc:CustomizationID", EN16931)
    add(root, "cbc:ID", document.number)
    add(root, "cbc:IssueDate", document.issued_on.isoformat())
    if document.due_on is not None:  # UBL 2.1 CreditNote has no DueDate, nor is one due
        add(root, "cbc:DueDate", document.due_on.isoformat())
    add(root, "cbc:CreditNoteTypeCode" if credit_note else "cbc:InvoiceTypeCode", document.type_code)
    for note in document.notes:
        add(root, "cbc:Note", note)
    add(root, "cbc:DocumentCurrencyCode", document.currency)
    if document.po_number:
        add(add(root, "cac:OrderReference"), "cbc:ID", document.po_number)
    if document.corrects:
        add(add(add(root, "cac:BillingReference"), "cac:InvoiceDocumentReference"), "cbc:ID", document.corrects)
    _ubl_party(root, "cac:AccountingSupplierParty", document.seller)
    _ubl_party(root, "cac:AccountingCustomerParty", document.buyer)
    if document.due_on is not None:
        means = add(root, "cac:PaymentMeans")
        add(means, "cbc:PaymentMeansCode", SEPA_CREDIT_TRANSFER)
        add(means, "cbc:PaymentID", document.payment_reference)
        account = add(means, "cac:PayeeFinancialAccount")
        add(account, "cbc:ID", document.iban)
        add(add(account, "cac:FinancialInstitutionBranch"), "cbc:ID", document.bic)
    add(add(root, "cac:PaymentTerms"), "cbc:Note", document.payment_terms)
    tax_total = add(root, "cac:TaxTotal")
    add(tax_total, "cbc:TaxAmount", document.vat_total, currencyID=document.currency)
    for subtotal in document.subtotals:
        element = add(tax_total, "cac:TaxSubtotal")
        add(element, "cbc:TaxableAmount", subtotal.basis, currencyID=document.currency)
        add(element, "cbc:TaxAmount", subtotal.tax, currencyID=document.currency)
        category = _ubl_category(element, "cac:TaxCategory", subtotal.category, subtotal.rate)
        if subtotal.exemption:
            add(category, "cbc:TaxExemptionReasonCode", subtotal.exemption[0])
            add(category, "cbc:TaxExemptionReason", subtotal.exemption[1])
        add(add(category, "cac:TaxScheme"), "cbc:ID", "VAT")
    totals = add(root, "cac:LegalMonetaryTotal")
    add(totals, "cbc:LineExtensionAmount", document.net_total, currencyID=document.currency)
    add(totals, "cbc:TaxExclusiveAmount", document.net_total, currencyID=document.currency)
    add(totals, "cbc:TaxInclusiveAmount", document.total, currencyID=document.currency)
    add(totals, "cbc:PayableAmount", document.total, currencyID=document.currency)
    for line in document.lines:
        element = add(root, "cac:CreditNoteLine" if credit_note else "cac:InvoiceLine")
        add(element, "cbc:ID", line.number)
        quantity = "cbc:CreditedQuantity" if credit_note else "cbc:InvoicedQuantity"
        add(element, quantity, str(line.quantity), unitCode=UNIT_ONE)
        add(element, "cbc:LineExtensionAmount", line.net, currencyID=document.currency)
        period = add(element, "cac:InvoicePeriod")
        add(period, "cbc:StartDate", line.start.isoformat())
        add(period, "cbc:EndDate", line.end.isoformat())
        item = add(element, "cac:Item")
        add(item, "cbc:Name", line.name)
        category = _ubl_category(item, "cac:ClassifiedTaxCategory", line.category, line.rate)
        add(add(category, "cac:TaxScheme"), "cbc:ID", "VAT")
        add(add(element, "cac:Price"), "cbc:PriceAmount", line.price, currencyID=document.currency)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# -- Factur-X PDF ------------------------------------------------------------------------------


def facturx_pdf(invoice: Invoice, pdf: bytes) -> bytes:
    """`pdf` (the printed invoice, PDF/A-3: billing.adapters.rendering.render_invoice_pdf) with
    the CII XML embedded as Factur-X, profile EN 16931, dated as issued: the same bytes each
    time for the same invoice, as the printed PDF is. The XML is checked against the profile's
    XSD first: a document that fails it is a bug, and raises rather than being sent."""
    xml = cii_xml(invoice)
    with _library_clock_at(invoice.issued_at):
        return bytes(
            facturx.generate_from_binary(
                pdf,
                xml,
                flavor="factur-x",
                level="en16931",
                check_xsd=True,
                check_schematron=False,  # the library would post it to a Saxon server; the tests run it
                lang=invoice.language,
            )
        )


_LIBRARY_CLOCK = threading.Lock()


@contextmanager
def _library_clock_at(at: datetime) -> Iterator[None]:
    """factur-x stamps the PDF's dates, the XMP's and the attachment's with the wall clock
    (`datetime.now` in its module) and takes no date: while it writes, its clock reads `at`.
    Only this module calls factur-x, and one call at a time (the lock), so nothing else ever
    reads the stopped clock."""

    class Stopped(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Stopped:
            moment = at.astimezone(tz or UTC)
            return cls.fromtimestamp(moment.timestamp(), moment.tzinfo)

    with _LIBRARY_CLOCK:
        running = facturx_module.datetime
        facturx_module.datetime = Stopped
        try:
            yield
        finally:
            facturx_module.datetime = running
