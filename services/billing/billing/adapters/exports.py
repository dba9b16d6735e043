"""Invoices and payments as CSV rows for the vendor's accounting (issue 15, item 7).

One row per invoice or credit note (with its VAT per rate in one column) and one per payment;
amounts as plain decimals with a point (`1752.00`, a credit note's negative), dates as ISO
8601, UTF-8: what accounting software imports without a locale guess.

A cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab
or a carriage return: a buyer's legal name, a payer's note, …) is written with a leading `'`
(OWASP's advice against CSV injection). Amounts are written by billing, never start with
those but a minus sign, and are left as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from babel.numbers import get_currency_precision

from billing.domain.invoices import Invoice
from billing.domain.payments import Balance, Payment

INVOICE_COLUMNS = (
    "number",
    "kind",
    "issued_on",
    "due_on",
    "seller",
    "account_id",
    "buyer",
    "buyer_vat_number",
    "buyer_country",
    "po_number",
    "currency",
    "net",
    "vat",
    "total",
    "vat_by_rate",
    "corrects",
    "state",
    "paid",
    "open",
)
PAYMENT_COLUMNS = (
    "payment_id",
    "invoice_number",
    "account_id",
    "method",
    "received_on",
    "currency",
    "amount",
    "bank_entry_id",
    "note",
    "reversed_on",
    "reversal_reason",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def decimal(amount_minor: int, currency: str) -> str:
    digits = get_currency_precision(currency)
    if digits == 0:
        return str(amount_minor)
    sign = "-" if amount_minor < 0 else ""
    units, minor = divmod(abs(amount_minor), 10**digits)
    return f"{sign}{units}.{minor:0{digits}d}"


def text(value: object) -> str:
    """A cell from outside billing: never a formula to a spreadsheet."""
    cell = "" if value is None else str(value)
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def invoice_row(invoice: Invoice, balance: Balance | None) -> list[str]:
    currency = invoice.total.currency
    buyer = invoice.buyer
    vat = "; ".join(
        f"{subtotal.category.value} {subtotal.rate}%: {decimal(subtotal.tax_minor, currency)} on "
        f"{decimal(subtotal.taxable_minor, currency)}"
        for subtotal in invoice.vat_summary
    )
    return [
        invoice.number,
        invoice.kind.value,
        invoice.issued_at.date().isoformat(),
        invoice.due_on.isoformat(),
        invoice.seller.seller_id if invoice.seller else "",
        invoice.account_id,
        text(buyer.legal_name),
        text(buyer.vat_number),
        buyer.country or "",
        text(invoice.po_number),
        currency,
        decimal(invoice.net_total.amount_minor, currency),
        decimal(invoice.vat_total.amount_minor, currency),
        decimal(invoice.total.amount_minor, currency),
        vat,
        invoice.corrects or "",
        balance.state.value if balance else "",
        decimal(balance.paid_minor, currency) if balance else "",
        decimal(balance.open_minor, currency) if balance else "",
    ]


def payment_row(payment: Payment, invoice_number: str) -> list[str]:
    return [
        payment.payment_id,
        invoice_number,
        payment.account_id,
        payment.method.value,
        payment.received_on.isoformat(),
        payment.currency,
        decimal(payment.amount_minor, payment.currency),
        text(payment.bank_entry_id),
        text(payment.note),
        payment.reversed_on.isoformat() if payment.reversed_on else "",
        text(payment.reversal_reason),
    ]


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)  # RFC 4180
    return out.getvalue()
