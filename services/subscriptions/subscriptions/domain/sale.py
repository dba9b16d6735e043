"""The sale itself (R45): the billing details and address an order is invoiced to, and the
acceptance of the terms of sale, with the version accepted and when.

The country is an ISO 3166-1 alpha-2 code and a VAT number must be a valid one of that country
(`contracts.parties`: Babel's country codes, python-stdnum's format and check digits), so that
an invoice never names a country or a VAT number that a tax office would reject. Pure: the
time of acceptance comes in as an argument.
"""

from __future__ import annotations

from contracts.errors import Refusal, RuleViolation
from contracts.parties import normalise_country, normalise_vat_number
from contracts.subscriptions import BillingDetails

# The terms of sale in force: recorded with every order that accepts them, so that a later
# change of the terms never rewrites what an earlier customer agreed to.
TERMS_OF_SALE_VERSION = "2026-01"


def checked_billing(details: BillingDetails) -> BillingDetails:
    """R45: the details with the country upper-cased and the VAT number compacted with its
    country prefix (`fr 40 303 265 045` → `FR40303265045`); an unknown country, or a VAT
    number that is not a valid one of the billing country, is refused, naming what was given.
    The checks are `contracts.parties`', which identity applies to an account's billing details
    too (issue 15)."""
    try:
        country = normalise_country(details.country)
    except ValueError:
        raise RuleViolation(
            "unknown_country",
            f"The billing country {details.country!r} is not an ISO 3166-1 alpha-2 code; give two letters such as FR.",
            rule="R45",
            refusal=Refusal.INVALID,
        ) from None
    number = details.vat_number
    if number:
        try:
            number = normalise_vat_number(country, number)
        except ValueError as error:
            raise RuleViolation(
                "invalid_vat_number",
                f"The VAT number {number!r} is refused: {str(error).rstrip('.')}. Give the VAT number of the "
                "billing country, such as FR40303265045 for FR, or leave it out.",
                rule="R45",
                refusal=Refusal.INVALID,
            ) from None
    return details.model_copy(update={"country": country, "vat_number": number or None})


def require_terms_of_sale(accepted: bool) -> str:
    """R45: an order is placed only once its purchaser accepted the terms of sale; the
    version they accepted."""
    if not accepted:
        raise RuleViolation(
            "terms_of_sale_not_accepted",
            "Accept the terms of sale to place the order: send accept_terms_of_sale true.",
            rule="R45",
            refusal=Refusal.INVALID,
        )
    return TERMS_OF_SALE_VERSION
