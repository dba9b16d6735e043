"""VAT on invoices for B2B sales in Europe (issue 15, item 2), with amounts computed by hand,
and the properties that hold for any invoice: net = Σ lines, VAT once per rate, total = net + VAT."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from billing.domain import invoices, vat
from billing.domain.invoices import InvoiceDraft, InvoiceKind, NotCreditable
from billing.domain.lines import InvoiceLine, LineKind
from billing.domain.vat import VatCategory
from contracts.parties import AccountBillingDetails, PostalAddress
from contracts.values import Contact, Money

from .invoicing_kit import buyer_in, issue

AT = datetime(2026, 3, 1, tzinfo=UTC)
ADA = Contact(person_id="p-ada", email="ada@example.com", name="Ada", locale="fr")


def line(n: int, amount_minor: int, kind: LineKind = LineKind.TERM) -> InvoiceLine:
    return InvoiceLine(
        line_id=f"l-{n}",
        subscription_id="s-1",
        account_id="a-1",
        kind=kind,
        description=f"line {n}",
        period_start=AT,
        period_end=datetime(2027, 3, 1, tzinfo=UTC),
        quantity_delta=1,
        unit_price=Money(amount_minor=abs(amount_minor), currency="EUR"),
        days_remaining=365,
        days_in_term=365,
        amount=Money(amount_minor=amount_minor, currency="EUR"),
        caused_by=f"ev-{n}",
    )


def draft(*amounts: int) -> InvoiceDraft:
    return InvoiceDraft(
        account_id="a-1",
        po_number="PO-1",
        administrator=ADA,
        lines=tuple(line(n, amount) for n, amount in enumerate(amounts)),
    )


def minor(invoice) -> tuple[int, int, int]:
    return invoice.net_total.amount_minor, invoice.vat_total.amount_minor, invoice.total.amount_minor


def test_issue15_domestic_france_at_20_percent_by_the_french_seller():
    # 3 seats × 365.00 for the year, then 2 seats × 365.00 × 292/365 = 584.00 added.
    invoice = issue(draft(109500, 58400), "inv-1", 1, AT, buyer_in("FR", "FR40303265045"))
    assert (invoice.seller.seller_id, invoice.number) == ("FR", "FR-INV-2026-000001")
    assert minor(invoice) == (167900, 33580, 201480)  # 1 679.00 + 335.80 = 2 014.80
    [subtotal] = invoice.vat_summary
    assert (subtotal.category, subtotal.rate, subtotal.taxable_minor) == (VatCategory.STANDARD, Decimal(20), 167900)
    assert [l.vat.tax.amount_minor for l in invoice.lines] == [21900, 11680]
    assert invoice.due_on == date(2026, 3, 31) and invoice.payment_reference == "RF40FRINV2026000001"


def test_issue15_vat_is_rounded_once_per_rate_and_shared_out_so_the_lines_add_up():
    # 3 × 10.01 = 30.03 at 20 % = 6.006 → 6.01 once; rounding each line (2.002 → 2.00) would give 6.00.
    invoice = issue(draft(1001, 1001, 1001), "inv-1", 1, AT, buyer_in("FR"))
    assert minor(invoice) == (3003, 601, 3604)
    assert [l.vat.tax.amount_minor for l in invoice.lines] == [201, 200, 200]


def test_issue15_reverse_charged_from_belgium_to_a_dutch_company_with_a_vat_number():
    invoice = issue(draft(109500), "inv-1", 1, AT, buyer_in("NL", "NL004495445B01"))
    assert (invoice.seller.seller_id, invoice.number) == ("BE", "BE-INV-2026-000001")
    assert minor(invoice) == (109500, 0, 109500)
    [subtotal] = invoice.vat_summary
    assert (subtotal.category, subtotal.rate) == (VatCategory.REVERSE_CHARGE, Decimal(0))
    treatment = invoices.treatment_of(invoice)
    assert treatment.exemption == ("VATEX-EU-AE", "Reverse charge")


def test_issue15_an_invalid_vat_number_is_refused_and_a_buyer_without_one_pays_their_countrys_vat():
    address = PostalAddress(line1="Damrak 1", postcode="1012 LG", city="Amsterdam", country="NL")
    with pytest.raises(ValidationError, match="not a valid VAT number of NL"):
        AccountBillingDetails(legal_name="Klant BV", address=address, vat_number="NL004495446B01")
    # Without a valid number the sale is not reverse-charged: the Dutch rate (21 %), by the BE seller.
    invoice = issue(draft(109500), "inv-1", 1, AT, buyer_in("NL"))
    assert (invoice.seller.seller_id, invoice.vat_summary[0].category) == ("BE", VatCategory.STANDARD)
    assert minor(invoice) == (109500, 22995, 132495)


def test_issue15_outside_the_eu_no_vat_is_charged():
    invoice = issue(draft(109500), "inv-1", 1, AT, buyer_in("US"))
    assert minor(invoice) == (109500, 0, 109500)
    assert invoice.vat_summary[0].category is VatCategory.NOT_SUBJECT


def test_issue15_a_credit_note_against_a_vat_invoice_mirrors_it_at_the_rate_it_was_invoiced_at():
    original = issue(draft(109500, 58400), "inv-1", 1, AT, buyer_in("FR", "FR40303265045"))
    whole = invoices.credit_note_draft(original, "op-1")
    credit = issue(
        whole, "cn-1", 1, AT, original.buyer, corrects=original.number, treatment=invoices.treatment_of(original)
    )
    assert (credit.kind, credit.number, credit.corrects) == (
        InvoiceKind.CREDIT_NOTE,
        "FR-CN-2026-000001",
        "FR-INV-2026-000001",
    )
    assert minor(credit) == (-167900, -33580, -201480)
    # Part of one line: 292.00 of the 584.00, at 20 %.
    part = invoices.credit_note_draft(original, "op-2", {"l-1": 29200})
    partial = issue(part, "cn-2", 2, AT, original.buyer, treatment=invoices.treatment_of(original))
    assert minor(partial) == (-29200, -5840, -35040)
    # A rate that changed since does not change the correction: the invoice's treatment is kept.
    later = invoices.treatment_of(original)
    assert later.rate == Decimal(20) and later.category is VatCategory.STANDARD


def test_issue15_only_what_an_invoice_holds_can_be_credited():
    original = issue(draft(10000), "inv-1", 1, AT, buyer_in("FR"))
    with pytest.raises(NotCreditable, match="up to its own amount"):
        invoices.credit_note_draft(original, "op", {"l-0": 10001})
    with pytest.raises(NotCreditable, match="no line"):
        invoices.credit_note_draft(original, "op", {"l-9": 100})


def test_issue15_a_rate_applies_from_its_date_as_the_table_says():
    assert vat.standard_rate("DE", date(2020, 6, 30)) == Decimal(19)
    assert vat.standard_rate("DE", date(2020, 7, 1)) == Decimal(16)
    assert vat.standard_rate("DE", date(2021, 1, 1)) == Decimal(19)
    assert vat.standard_rate("FI", date(2026, 1, 1)) == Decimal("25.5")
    with pytest.raises(LookupError):
        vat.standard_rate("US", date(2026, 1, 1))


def test_issue15_halves_round_away_from_zero_so_a_credit_mirrors_its_charge():
    assert (vat.tax_on(250, Decimal(20)), vat.tax_on(-250, Decimal(20))) == (50, -50)
    assert (vat.tax_on(1, Decimal(50)), vat.tax_on(-1, Decimal(50))) == (1, -1)  # 0.5 → 1, −0.5 → −1
    assert vat.tax_on(1003, Decimal("5.5")) == 55  # 55.165 → 55


countries = st.sampled_from(
    [
        ("FR", None),
        ("FR", "FR40303265045"),
        ("NL", "NL004495445B01"),
        ("NL", None),
        ("BE", None),
        ("DE", "DE136695976"),
        ("US", None),
        (None, None),
    ]
)


@given(
    amounts=st.lists(st.integers(-5_000_000, 5_000_000), min_size=1, max_size=15),
    buyer=countries,
    day=st.dates(date(2020, 1, 1), date(2027, 12, 31)),
)
def test_issue15_totals_always_equal_the_lines_plus_vat_once_per_rate(amounts, buyer, day):
    country, number = buyer
    at = datetime(day.year, day.month, day.day, tzinfo=UTC)
    invoice = issue(draft(*amounts), "inv-1", 1, at, buyer_in(country, number) if country else None)
    assert invoice.net_total.amount_minor == sum(amounts)
    for subtotal in invoice.vat_summary:
        at_rate = [l for l in invoice.lines if (l.vat.category, l.vat.rate) == (subtotal.category, subtotal.rate)]
        assert subtotal.taxable_minor == sum(l.amount.amount_minor for l in at_rate)
        assert subtotal.tax_minor == vat.tax_on(subtotal.taxable_minor, subtotal.rate)
        assert sum(l.vat.tax.amount_minor for l in at_rate) == subtotal.tax_minor
    assert invoice.vat_total.amount_minor == sum(s.tax_minor for s in invoice.vat_summary)
    assert invoice.total.amount_minor == invoice.net_total.amount_minor + invoice.vat_total.amount_minor
    if invoice.kind is InvoiceKind.INVOICE and all(a > 0 for a in amounts):
        credit = issue(
            invoices.credit_note_draft(invoice, "op"),
            "cn",
            1,
            at,
            invoice.buyer,
            treatment=invoices.treatment_of(invoice),
        )
        assert minor(credit) == tuple(-amount for amount in minor(invoice))


@given(total=st.integers(-(10**9), 10**9), weights=st.lists(st.integers(-(10**7), 10**7), min_size=1, max_size=20))
def test_issue15_a_share_out_always_adds_up_to_what_is_shared(total, weights):
    shares = vat.allocate(total, weights)
    assert sum(shares) == (total if any(weights) else 0) and len(shares) == len(weights)
