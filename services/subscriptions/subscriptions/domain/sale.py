"""The sale itself (R45): the billing details and address an order is invoiced to, and the
acceptance of the terms of sale, with the version accepted and when.

The country is an ISO 3166-1 alpha-2 code and a VAT number must be a valid EU one (python-stdnum
checks its format and check digits), so that an invoice never names a country or a VAT number
that a tax office would reject. Pure: the time of acceptance comes in as an argument.
"""

from __future__ import annotations

from stdnum.eu import vat

from contracts.errors import Refusal, RuleViolation
from contracts.subscriptions import BillingDetails

# The terms of sale in force: recorded with every order that accepts them, so that a later
# change of the terms never rewrites what an earlier customer agreed to.
TERMS_OF_SALE_VERSION = "2026-01"

# ISO 3166-1 alpha-2, the officially assigned codes (249).
_ALPHA_2 = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
    BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
    GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
    KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
    MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
    TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
    ZW
"""
COUNTRIES = frozenset(_ALPHA_2.split())


def checked_billing(details: BillingDetails) -> BillingDetails:
    """R45: the details with the country upper-cased and the VAT number compacted
    (`fr 40 303 265 045` → `FR40303265045`); an unknown country or an invalid VAT number is
    refused, naming what was given."""
    country = details.country.strip().upper()
    if country not in COUNTRIES:
        raise RuleViolation(
            "unknown_country",
            f"The billing country {details.country!r} is not an ISO 3166-1 alpha-2 code; give two letters such as FR.",
            rule="R45",
            refusal=Refusal.INVALID,
        )
    number = details.vat_number
    if number:
        if not vat.is_valid(number):
            raise RuleViolation(
                "invalid_vat_number",
                f"The VAT number {number!r} is not a valid EU VAT number; give it with its country "
                "prefix, such as FR40303265045, or leave it out.",
                rule="R45",
                refusal=Refusal.INVALID,
            )
        number = vat.compact(number)
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
