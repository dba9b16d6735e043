"""Who buys (issue 15): a customer account's billing details, as identity keeps them and
billing prints them on invoices.

Validated where they enter, with the well-kept libraries of the field: countries are ISO 3166
codes that CLDR (Babel) names, VAT numbers are checked by `python-stdnum` (format and check
digits of each country's scheme). A VAT number is always stored compact and prefixed with its
country code (`FR40303265045`, `BE0403170701`), as EN 16931 (BT-48) and VIES write it.
"""

from __future__ import annotations

from functools import cache

from babel import Locale
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator
from stdnum import get_cc_module
from stdnum.exceptions import ValidationError as NumberError

# Codes that CLDR names but that are no country a buyer can be established in.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}

# The 27 member states by ISO 3166 code (Greek VAT numbers start with EL: `vat_prefix`).
EU_COUNTRIES = frozenset(
    (
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    )
)


def vat_prefix(country: str) -> str:
    return "EL" if country == "GR" else country


@cache
def countries() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code that CLDR names (Babel's data, not a list of our own)."""
    codes = (str(code) for code in Locale("en").territories)
    return frozenset(code for code in codes if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES)


def normalise_country(country: str) -> str:
    code = country.strip().upper()
    if code not in countries():
        raise ValueError(f"{country!r} is not an ISO 3166 country code (two letters, e.g. FR, BE, NL, DE)")
    return code


def normalise_vat_number(country: str, number: str) -> str:
    """The VAT number in its compact form, prefixed with the country's VAT code; ValueError
    (with the reason in words) when python-stdnum finds it invalid for that country."""
    country = normalise_country(country)
    module = get_cc_module(country.lower(), "vat")
    if module is None:
        raise ValueError(f"VAT numbers of {country} cannot be checked here; leave the VAT number empty")
    prefix = vat_prefix(country)
    raw = number.strip().upper().replace(" ", "").replace(".", "").replace("-", "")
    if country in EU_COUNTRIES and not raw.startswith(prefix):
        if raw[:2].isalpha():
            raise ValueError(f"a VAT number of {country} starts with {prefix}, not {raw[:2]}")
        raw = prefix + raw
    try:
        compact = module.validate(raw[2:] if country in EU_COUNTRIES else raw)
    except NumberError as error:
        raise ValueError(f"{number!r} is not a valid VAT number of {country}: {error}") from None
    return f"{prefix}{compact}" if country in EU_COUNTRIES else str(compact)


class PostalAddress(BaseModel):
    """A postal address as invoices print it (EN 16931 BG-5 / BG-8)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)
    line1: str = Field(min_length=1, max_length=200, description="Street and number.")
    line2: str | None = Field(None, max_length=200, description="Building, floor, P.O. box.")
    postcode: str = Field("", max_length=20, description="Postal code.")
    city: str = Field(min_length=1, max_length=100, description="City.")
    country: str = Field(description="ISO 3166-1 alpha-2 code, e.g. `FR`.")

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        return normalise_country(value)


class AccountBillingDetails(BaseModel):
    """What an invoice says of its buyer. The country decides the VAT treatment; a valid VAT
    number of another EU member state makes a sale reverse-charged (issue 15)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)
    legal_name: str = Field(min_length=1, max_length=200, description="The company's registered name.")
    address: PostalAddress = Field(description="The billing address.")
    vat_number: str | None = Field(
        None,
        max_length=20,
        description="VAT identification number, checked for the address's country; stored compact with its "
        "country prefix, e.g. `BE0403170701`. Empty for a buyer without one.",
    )
    invoicing_email: EmailStr | None = Field(
        None, description="Where invoices go, when not to the subscription's administrator (e.g. accounts payable)."
    )

    @model_validator(mode="after")
    def _vat_number_of_country(self) -> AccountBillingDetails:
        if self.vat_number:
            object.__setattr__(self, "vat_number", normalise_vat_number(self.address.country, self.vat_number))
        else:
            object.__setattr__(self, "vat_number", None)
        return self
