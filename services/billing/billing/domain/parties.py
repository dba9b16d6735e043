"""Who sells and who buys on an invoice (issue 15).

Sellers are the vendor's legal entities, from configuration (`BILLING_SELLERS_FILE`): a group
may sell through one entity per country, each with its own VAT number, bank account and
invoice numbering. Which one sells to a buyer follows the buyer's country (`sells_to`), else
the entity marked `default`. Everything a seller says is checked at start: a VAT number by
python-stdnum, an IBAN and a BIC by schwifty, a SEPA creditor identifier by python-stdnum.

A seller may also give the payment terms its law wants printed (`payment_terms_note`, issue 15
item 3): France's late-payment penalties and 40 € recovery fee (Code de commerce L441-9,
L441-10), say. It is the vendor's legal text, printed as written on its invoices (never on a
credit note) and carried as EN 16931 BT-20, so billing only bounds it: one paragraph of
printable text, at most `PAYMENT_TERMS_NOTE_MAX` characters.

The buyer is the account's billing details as identity last published them (or, until it
does, as the order captured them, R45); when there are none the invoice names the
subscription's administrator and is taxed as a domestic sale.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import at_02

from contracts.parties import AccountBillingDetails, PostalAddress, normalise_country, normalise_vat_number

# Room for France's full wording (no discount, the penalty rate, the 40 € fee: about 360
# characters in the demo sellers) while the footer stays one short paragraph.
PAYMENT_TERMS_NOTE_MAX = 500
# Control characters (a newline, a tab, an escape), line and paragraph separators, and invisible
# format characters (bidi overrides, zero-width ones): on a legal text printed "verbatim" they
# would break the paragraph, be refused by XML (BT-20), or make the print differ from what the
# file seems to say.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


@dataclass(frozen=True)
class Seller:
    seller_id: str  # short code, also the prefix of its invoice numbers (`BE-INV-2026-000001`)
    legal_name: str
    address: PostalAddress
    vat_number: str
    registration: str  # company register and number, as printed (e.g. "RCS Paris 123 456 789")
    registration_scheme: str | None  # ISO 6523 ICD of the register (0002 SIREN, 0208 BE, 0106 KvK), for e-invoices
    iban: str
    bic: str
    email: str
    payment_terms_days: int
    sells_to: frozenset[str]  # buyer countries; empty for the default seller
    default: bool = False
    sepa_creditor_id: str | None = None  # SEPA Direct Debit creditor identifier, when it collects
    payment_terms_note: str | None = None  # the terms its law wants printed on invoices, as written

    @property
    def country(self) -> str:
        return self.address.country


@dataclass(frozen=True)
class Buyer:
    """The buyer block of an invoice, frozen into it when issued."""

    legal_name: str
    address: PostalAddress | None
    vat_number: str | None
    email: str  # where the invoice goes

    @property
    def country(self) -> str | None:
        return self.address.country if self.address else None

    @classmethod
    def of(cls, details: AccountBillingDetails | None, administrator_name: str, administrator_email: str) -> Buyer:
        if details is None:
            return cls(legal_name=administrator_name, address=None, vat_number=None, email=administrator_email)
        return cls(
            legal_name=details.legal_name,
            address=details.address,
            vat_number=details.vat_number,
            email=str(details.invoicing_email or administrator_email),
        )


class SellerConfigError(ValueError):
    """A seller's configuration is wrong: the message names the seller and the field."""


def seller_of(config: dict[str, Any], seller_id: str) -> Seller:
    """A seller from its table in the sellers file, every field checked."""

    def problem(field: str, why: str) -> SellerConfigError:
        return SellerConfigError(f"seller {seller_id!r}: {field}: {why}")

    def required(field: str) -> Any:
        if field not in config or config[field] in ("", None):
            raise problem(field, "missing")
        return config[field]

    try:
        address = PostalAddress.model_validate(required("address"))
    except ValueError as error:
        raise problem("address", str(error)) from None
    try:
        vat_number = normalise_vat_number(address.country, str(required("vat_number")))
    except ValueError as error:
        raise problem("vat_number", str(error)) from None
    try:
        iban = IBAN(str(required("iban")))
        bic = BIC(str(config.get("bic") or iban.bic or required("bic")))
    except SchwiftyException as error:
        raise problem("iban/bic", str(error)) from None
    try:
        sells_to = frozenset(normalise_country(country) for country in config.get("sells_to", []))
    except ValueError as error:
        raise problem("sells_to", str(error)) from None
    creditor_id = config.get("sepa_creditor_id")
    if creditor_id is not None and not at_02.is_valid(str(creditor_id)):
        raise problem("sepa_creditor_id", "not a valid SEPA creditor identifier (e.g. BE69ZZZ050D000000008)")
    terms = config.get("payment_terms_days", 30)
    if not isinstance(terms, int) or not 0 <= terms <= 120:
        raise problem("payment_terms_days", "a whole number of days from 0 to 120")
    note = _payment_terms_note(config.get("payment_terms_note"), problem)
    if not seller_id.isalnum() or not seller_id.isupper() or len(seller_id) > 6:
        raise problem("id", "up to 6 upper-case letters or digits (it prefixes invoice numbers)")
    return Seller(
        seller_id=seller_id,
        legal_name=str(required("legal_name")),
        address=address,
        vat_number=vat_number,
        registration=str(required("registration")),
        registration_scheme=config.get("registration_scheme"),
        iban=iban.compact,
        bic=str(bic),
        email=str(required("email")),
        payment_terms_days=terms,
        sells_to=sells_to,
        default=bool(config.get("default", False)),
        sepa_creditor_id=at_02.compact(str(creditor_id)) if creditor_id else None,
        payment_terms_note=note,
    )


def _payment_terms_note(value: Any, problem: Callable[[str, str], SellerConfigError]) -> str | None:
    """The note as printed: absent or blank is none; otherwise one paragraph of printable text
    (a line break anywhere, even a trailing one, is refused rather than silently dropped),
    without its surrounding spaces, at most PAYMENT_TERMS_NOTE_MAX characters."""
    field = "payment_terms_note"
    if value is None:
        return None
    if not isinstance(value, str):
        raise problem(field, "a text (one paragraph, in quotes)")
    for position, character in enumerate(value, start=1):
        if unicodedata.category(character) in _UNPRINTABLE:
            raise problem(
                field,
                f"U+{ord(character):04X} at character {position} is a control or invisible character: "
                "write one paragraph of printable text (no line breaks or tabs)",
            )
    note = value.strip(" ")
    if not note:
        return None
    if len(note) > PAYMENT_TERMS_NOTE_MAX:
        raise problem(field, f"{len(note)} characters, at most {PAYMENT_TERMS_NOTE_MAX}")
    return note


@dataclass(frozen=True)
class Sellers:
    """Every seller, and which one sells to whom."""

    by_id: dict[str, Seller]

    @classmethod
    def of(cls, config: dict[str, Any]) -> Sellers:
        """From the sellers file's `[sellers.<ID>]` tables; SellerConfigError names what is wrong."""
        tables = config.get("sellers")
        if not isinstance(tables, dict) or not tables:
            raise SellerConfigError("no [sellers.<ID>] table: at least one seller is needed")
        sellers = {seller_id: seller_of(table, seller_id) for seller_id, table in tables.items()}
        defaults = [seller for seller in sellers.values() if seller.default]
        if len(defaults) != 1:
            raise SellerConfigError(f"exactly one seller needs default = true, {len(defaults)} do")
        claimed: dict[str, str] = {}
        for seller in sellers.values():
            for country in seller.sells_to:
                if country in claimed:
                    raise SellerConfigError(
                        f"{country} is in sells_to of both {claimed[country]} and {seller.seller_id}"
                    )
                claimed[country] = seller.seller_id
        return cls(sellers)

    def for_buyer(self, country: str | None) -> Seller:
        for seller in self.by_id.values():
            if country in seller.sells_to:
                return seller
        return next(seller for seller in self.by_id.values() if seller.default)
