"""The portal's four languages (en, fr, nl, de): gettext catalogues and formats per locale (Babel).

The catalogues are the `.po` files under `portal/locales/<lang>/LC_MESSAGES/portal.po`, the
only ones kept in the repository: each is compiled to a `.mo` in memory when first used, so
a fresh clone or an image needs no build step and no writable package directory.
"""

from __future__ import annotations

import gettext
import io
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib.resources import files

from babel import Locale, negotiate_locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency as babel_format_currency
from babel.numbers import format_decimal as babel_format_decimal
from babel.numbers import format_percent as babel_format_percent
from babel.numbers import get_currency_precision

LOCALES = ("en", "fr", "nl", "de")
DEFAULT_LOCALE = "en"
DOMAIN = "portal"
LANGUAGE_NAMES = {code: str(Locale.parse(code).get_display_name(code)).capitalize() for code in LOCALES}
"""Each language in its own words, for the switcher: English, Français, Nederlands, Deutsch."""


def supported(locale: str | None) -> str | None:
    return locale if locale in LOCALES else None


def from_accept_language(header: str | None) -> str:
    """The first of the browser's languages the portal speaks, else English."""
    wanted = []
    for part in (header or "").split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag:
            wanted.append(tag)
    return negotiate_locale(wanted, LOCALES) or DEFAULT_LOCALE


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of `locale` (English: the messages as written)."""
    source = files("portal") / "locales" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not source.is_file():
        return gettext.NullTranslations()
    with source.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Formats:
    """Dates, numbers and money as a reader of `locale` writes them."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._ = translations(locale).gettext

    def date(self, value: date | datetime | str | None, format: str = "long") -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            value = value.date()
        return babel_format_date(value, format=format, locale=self.locale)

    def datetime(self, value: datetime | str | None, format: str = "medium") -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return babel_format_datetime(value, format=format, tzinfo=value.tzinfo, locale=self.locale)

    def decimal(self, value: int | float | Decimal) -> str:
        return babel_format_decimal(value, locale=self.locale)

    def percent(self, rate: str | int | Decimal) -> str:
        """A rate in percent as billing writes it ("21", "5.5"): "5.5%" in English, "5,5 %" in
        French; every decimal it has is kept (VAT rates are exact)."""
        return babel_format_percent(Decimal(str(rate)) / 100, locale=self.locale, decimal_quantization=False)

    def money(self, amount_minor: int, currency: str) -> str:
        """An amount in minor units (`Money`): 36500 EUR is "€365.00" in English, "365,00 €" in French."""
        amount = Decimal(amount_minor).scaleb(-get_currency_precision(currency))
        return babel_format_currency(amount, currency, locale=self.locale)
