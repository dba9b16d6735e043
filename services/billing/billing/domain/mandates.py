"""SEPA Direct Debit for the customers who choose it (issue 15, item 5): the mandate an account
signed, and each collection billing asks the vendor's bank to make under it.

A mandate is checked where it enters (`mandate_of`): the debtor's IBAN with schwifty (check
digits, the country's format, and a country of the SEPA scheme), the BIC when given or derived
from the IBAN when schwifty knows the bank, and the mandate reference by the EPC rulebook's
rules for identifiers (`MANDATE_REFERENCE`). The first collection under a mandate is `FRST`,
every later one `RCUR` (`Mandate.collected`). A revoked mandate collects nothing.

A collection (`collection_of`) is one invoice's amount, in euro (SEPA Direct Debit knows no
other currency), under an active mandate, on a due date no earlier than the signature. Its
EndToEndId is the invoice number: the bank carries it back unchanged in the camt.053/054 entry
of the collection and of any return, which is how a return finds its invoice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

# EPC rulebook, identifiers (mandate reference, EndToEndId): the SEPA Latin characters without
# the space at either end, and no "/" at either end or twice in a row, as banks reject those.
MANDATE_REFERENCE = re.compile(r"[A-Za-z0-9+?/\-:().,' ]{1,35}")
DEBTOR_NAME_MAX = 70  # pain.008's Max70Text
SEPA_CURRENCY = "EUR"


class SequenceType(str, Enum):
    FIRST = "FRST"
    RECURRING = "RCUR"


class MandateRefused(ValueError):
    """A mandate or a collection that cannot be: `code` for the API's 422, the message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Mandate:
    account_id: str
    debtor_name: str
    iban: str  # compact, validated
    bic: str | None  # the debtor's bank, when given or derivable; pain.008 then says NOTPROVIDED
    mandate_reference: str
    signed_on: date
    sequence: SequenceType = SequenceType.FIRST
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def collected(self) -> Mandate:
        """After its first collection went to the bank, a mandate's next ones are recurring."""
        return replace(self, sequence=SequenceType.RECURRING)

    def revoked(self, at: datetime) -> Mandate:
        return self if self.revoked_at is not None else replace(self, revoked_at=at)


@dataclass(frozen=True)
class Collection:
    invoice_id: str
    invoice_number: str
    amount_minor: int  # > 0, euro cents
    currency: str  # always EUR
    end_to_end_id: str
    mandate: Mandate
    due_on: date  # the requested collection date

    @property
    def sequence(self) -> SequenceType:
        return self.mandate.sequence


def check_identifier(value: str, what: str, code: str) -> str:
    """`value` if it is a valid SEPA identifier (mandate reference, EndToEndId), else MandateRefused."""
    if not MANDATE_REFERENCE.fullmatch(value):
        raise MandateRefused(code, f"{what}: 1 to 35 characters among letters, digits, space and + ? / - : ( ) . , '")
    if value != value.strip() or value.startswith("/") or value.endswith("/") or "//" in value:
        raise MandateRefused(code, f"{what}: no space or '/' at either end, and no '//'")
    return value


def mandate_of(
    account_id: str,
    debtor_name: str,
    iban: str,
    mandate_reference: str,
    signed_on: date,
    today: date,
    bic: str | None = None,
) -> Mandate:
    """A new mandate, every field checked; MandateRefused says which one is wrong."""
    name = " ".join(debtor_name.split())
    if not name or len(name) > DEBTOR_NAME_MAX:
        raise MandateRefused("debtor_name_invalid", f"the debtor's name: 1 to {DEBTOR_NAME_MAX} characters")
    if len(iban) > 64:  # bounded before schwifty looks at it
        raise MandateRefused("iban_invalid", "not an IBAN: too long")
    try:
        account = IBAN(iban)
    except SchwiftyException as error:
        raise MandateRefused("iban_invalid", f"not a valid IBAN: {error}") from None
    if not account.in_sepa_zone:
        raise MandateRefused("iban_not_sepa", f"{account.country_code} is not in the SEPA scheme: no direct debit")
    if bic:
        try:
            if len(bic) > 11:
                raise ValueError("8 or 11 characters")
            bank: BIC | None = BIC(bic)
        except (SchwiftyException, ValueError) as error:
            raise MandateRefused("bic_invalid", f"not a valid BIC: {error}") from None
    else:
        bank = account.bic
    check_identifier(mandate_reference, "the mandate reference", "mandate_reference_invalid")
    if signed_on > today:
        raise MandateRefused("signed_in_future", f"a mandate signed on {signed_on} is not signed yet")
    return Mandate(
        account_id=account_id,
        debtor_name=name,
        iban=account.compact,
        bic=str(bank) if bank is not None else None,
        mandate_reference=mandate_reference,
        signed_on=signed_on,
    )


def end_to_end_id_for(invoice_number: str, attempt: int = 1) -> str:
    """The invoice number; a second attempt at the same invoice (after a return) says which."""
    identifier = invoice_number if attempt == 1 else f"{invoice_number}-{attempt}"
    return check_identifier(identifier, "the EndToEndId", "end_to_end_id_invalid")


def collection_of(
    invoice_id: str,
    invoice_number: str,
    amount_minor: int,
    currency: str,
    mandate: Mandate,
    due_on: date,
    attempt: int = 1,
) -> Collection:
    """One invoice to collect under `mandate` on `due_on`; MandateRefused when it cannot be."""
    if currency != SEPA_CURRENCY:
        raise MandateRefused("currency_not_eur", f"SEPA Direct Debit collects euro only, not {currency}")
    if amount_minor <= 0:
        raise MandateRefused("amount_not_positive", "only a positive amount can be collected")
    if amount_minor > 99_999_999_999:  # pain.008's EPC limit: 999,999,999.99 EUR
        raise MandateRefused("amount_too_large", "a direct debit collects at most 999,999,999.99 EUR")
    if not mandate.active:
        raise MandateRefused("mandate_revoked", f"mandate {mandate.mandate_reference} was revoked")
    if due_on < mandate.signed_on:
        raise MandateRefused("due_before_signature", "a collection cannot be due before the mandate was signed")
    return Collection(
        invoice_id=invoice_id,
        invoice_number=invoice_number,
        amount_minor=amount_minor,
        currency=currency,
        end_to_end_id=end_to_end_id_for(invoice_number, attempt),
        mandate=mandate,
        due_on=due_on,
    )
