"""The invoice as a legal document (issue 15, item 3): one jinja2 template beside this module
(autoescaped) for the HTML page and the PDF, in the buyer's language.

Fixed words come from gettext catalogues, `billing/adapters/locales/<lang>/LC_MESSAGES/billing.po`,
compiled in memory when first used, as the portal does (portal.adapters.i18n): a fresh clone
or an image needs no build step and no writable package directory. English is the messages as
written. Extract new messages with
`pybabel extract -F billing/adapters/locales/babel.cfg -k N_ -o /tmp/billing.pot .` (from
services/billing), then `pybabel update -i /tmp/billing.pot -d billing/adapters/locales -D billing`.

Money, numbers, percentages and dates are written as the buyer's locale writes them (Babel).
The PDF is WeasyPrint's rendering of the same HTML, as PDF/A-3b: the archival variant that may
carry attachments, so the Factur-X XML can be embedded into it (billing.adapters.einvoice).
"""

from __future__ import annotations

import gettext
import io
import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_precision
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from schwifty import IBAN
from stdnum import iso11649

from billing.domain.invoices import Invoice, InvoiceKind
from billing.domain.vat import VatCategory
from contracts.values import Money

LOCALES = ("en", "fr", "nl", "de")
DEFAULT_LOCALE = "en"
DOMAIN = "billing"

_env = Environment(
    loader=PackageLoader("billing.adapters", "templates"),
    undefined=StrictUndefined,
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "translated where shown"
    return message


# What each VAT category is called in the summary, and what the law wants written on an
# invoice that charges no VAT (Council Directive 2006/112/EC: Art. 226(11) asks for the
# reference of the provision; Art. 226(11a) for the words "reverse charge").
CATEGORY_NAMES = {
    VatCategory.STANDARD: N_("Standard rate"),
    VatCategory.REVERSE_CHARGE: N_("Reverse charge"),
    VatCategory.NOT_SUBJECT: N_("Not subject to VAT"),
}
LEGAL_MENTIONS = {
    VatCategory.REVERSE_CHARGE: N_("Reverse charge — Article 196 of Council Directive 2006/112/EC"),
    VatCategory.NOT_SUBJECT: N_("Not subject to VAT — Article 44 of Council Directive 2006/112/EC"),
}


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of `locale` (English, or a language with no catalogue: the
    messages as written)."""
    source = files("billing.adapters") / "locales" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not source.is_file():
        return gettext.NullTranslations()
    with source.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def language_of(invoice: Invoice) -> str:
    return invoice.language if invoice.language in LOCALES else DEFAULT_LOCALE


class DocumentFormats:
    """How one document writes its amounts, numbers and dates: in its locale and, for a credit
    note, with the sign turned. A credit note's amounts are negative inside billing (lines
    summing below zero, which is what makes it a credit note), but the document says "credit
    note" and the amounts it credits, positive, as accountants book it and EN 16931 requires
    (BR-CO: a credit note's amounts have the sign of an invoice's); a line that charged
    something on it (a new tier's charge beside the old tier's larger credit) is the one shown
    negative."""

    def __init__(self, locale: str, kind: InvoiceKind) -> None:
        self.locale = locale
        self.sign = -1 if kind is InvoiceKind.CREDIT_NOTE else 1

    def money(self, money: Money) -> str:
        return self.minor(money.amount_minor, money.currency)

    def minor(self, amount_minor: int, currency: str) -> str:
        amount = Decimal(self.sign * amount_minor).scaleb(-get_currency_precision(currency))
        return format_currency(amount, currency, locale=self.locale)

    def unit_price(self, money: Money) -> str:
        """A unit price keeps its sign: on a credit note the quantity turns instead."""
        amount = Decimal(money.amount_minor).scaleb(-get_currency_precision(money.currency))
        return format_currency(amount, money.currency, locale=self.locale)

    def quantity(self, quantity: int) -> str:
        return format_decimal(self.sign * quantity, locale=self.locale)

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, rate: Decimal) -> str:
        """A rate in percent (`Decimal("5.5")`) as the locale writes it: "5,5 %" in French."""
        return format_percent(rate / 100, locale=self.locale, decimal_quantization=False)

    def date(self, value: date | datetime, format: str = "long") -> str:
        if isinstance(value, datetime):
            value = value.date()
        return format_date(value, format=format, locale=self.locale)

    def country(self, code: str) -> str:
        return Locale.parse(self.locale).territories.get(code, code)

    @staticmethod
    def reference(reference: str) -> str:
        """An ISO 11649 reference in groups of four, as the standard prints it: RF18 5390 0754 7034."""
        return iso11649.format(reference) if reference else ""

    @staticmethod
    def iban(iban: str) -> str:
        """In groups of four, as printed for people to copy: BE71 0961 2345 6769."""
        return IBAN(iban).formatted


_PLACEHOLDER = re.compile(r"%\((page|pages)\)s")


def css_string(text: str) -> Markup:
    """`text` as a quoted CSS string: quotes, backslashes and angle brackets escaped, so no
    text can end the string or the <style> element it is written into."""
    escaped = "".join(f"\\{ord(character):x} " if character in '"\\<>' else character for character in text)
    return Markup(f'"{escaped}"')


def css_counter_text(message: str) -> Markup:
    """A translated "Page %(page)s of %(pages)s" as the value of a CSS `content` property: the
    words as quoted strings, the placeholders as the page counters."""
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(message):
        if match.start() > position:
            parts.append(css_string(message[position : match.start()]))
        parts.append(f"counter({match.group(1)})")
        position = match.end()
    if position < len(message):
        parts.append(css_string(message[position:]))
    return Markup(" ".join(parts))


def _context(invoice: Invoice, for_print: bool) -> dict[str, Any]:
    locale = language_of(invoice)
    catalogue = translations(locale)
    _ = catalogue.gettext
    return dict(
        invoice=invoice,
        credit_note=invoice.kind is InvoiceKind.CREDIT_NOTE,
        locale=locale,
        fmt=DocumentFormats(locale, invoice.kind),
        _=_,
        category_names=CATEGORY_NAMES,
        mentions=[
            LEGAL_MENTIONS[category]
            for category in dict.fromkeys(subtotal.category for subtotal in invoice.vat_summary)
            if category in LEGAL_MENTIONS
        ],
        page_counter=css_counter_text(_("Page %(page)s of %(pages)s")),
        css_string=css_string,
        for_print=for_print,
    )


def render_invoice(invoice: Invoice, *, for_print: bool = False) -> str:
    """The invoice or credit note as an HTML page, in the buyer's language."""
    return _env.get_template("invoice.html.j2").render(**_context(invoice, for_print))


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The same document as a PDF/A-3b, A4, fonts embedded; the same bytes each time for the
    same invoice (its date of creation is the issue date). CPU-bound (about 0.1 s a page):
    call it off the event loop (billing.api.documents)."""
    from weasyprint import HTML  # imported when first needed: it loads Pango, fontconfig and fonts

    html = HTML(string=render_invoice(invoice, for_print=True))
    pdf = html.write_pdf(pdf_variant="pdf/a-3b", uncompressed_pdf=False)
    assert pdf is not None  # no target given: the bytes are returned
    return pdf
