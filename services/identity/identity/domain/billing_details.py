"""Who an account's invoices name as their buyer (issue 15, item 1): its billing details.

One set per account: legal name, billing address, VAT number, invoicing e-mail
(`contracts.parties.AccountBillingDetails`). Set at sign-up, taken over from the first order
that gave some (R45), or changed by the account's administrator; each change is published as
`identity.billing_details_changed`, which billing prints on the invoices it issues from then
on. Setting the same details again changes nothing and publishes nothing.

Countries and VAT numbers are checked by `contracts.parties` (Babel's country codes,
python-stdnum's VAT schemes), the one check every service shares; here each refusal gets a
code of its own and names the field, so that a form can show it next to that field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from contracts.errors import Refusal, RuleViolation
from contracts.identity import BillingDetailsChanged
from contracts.parties import AccountBillingDetails, PostalAddress, normalise_country, normalise_vat_number
from contracts.subscriptions import BillingDetails as OrderBillingDetails


@dataclass(frozen=True)
class AccountBilling:
    """The account's billing details as they stand, and who last set them, when."""

    account_id: str
    details: AccountBillingDetails
    changed_at: datetime
    changed_by: str


def checked(raw: Mapping[str, Any]) -> AccountBillingDetails:
    """The details as typed (`AccountBillingDetails`' shape, bounded at the edge), checked:
    422 `unknown_country` or `invalid_vat_number` naming the field and why, 422
    `invalid_billing_details` for anything else the model refuses. Empty optional fields are
    absent ones."""
    address = dict(raw.get("address") or {})
    try:
        country = normalise_country(str(address.get("country") or ""))
    except ValueError as error:
        raise RuleViolation(
            "unknown_country",
            f"The billing address's country (address.country) is refused: {_said(error)}.",
            refusal=Refusal.INVALID,
        ) from None
    vat_number = (raw.get("vat_number") or "").strip() or None
    if vat_number is not None:
        try:
            vat_number = normalise_vat_number(country, vat_number)
        except ValueError as error:
            raise RuleViolation(
                "invalid_vat_number",
                f"The VAT number (vat_number) is refused: {_said(error)}. Give the number of the billing address's "
                "country, such as FR40303265045 for FR, or leave it empty.",
                refusal=Refusal.INVALID,
            ) from None
    try:
        return AccountBillingDetails(
            legal_name=raw.get("legal_name") or "",
            address=PostalAddress(
                line1=address.get("line1") or "",
                line2=address.get("line2") or None,
                postcode=address.get("postcode") or "",
                city=address.get("city") or "",
                country=country,
            ),
            vat_number=vat_number,
            invoicing_email=raw.get("invoicing_email") or None,
        )
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'details'}: {e['msg']}" for e in error.errors())
        raise RuleViolation(
            "invalid_billing_details", f"The billing details are refused: {problems}.", refusal=Refusal.INVALID
        ) from None


def change(
    current: AccountBilling | None, account_id: str, details: AccountBillingDetails, by: str, now: datetime
) -> tuple[AccountBilling, BillingDetailsChanged] | None:
    """Issue 15: the new details and their event; None when they are the ones in force (a PUT
    sent twice, a form saved unchanged), so nothing is published twice."""
    if current is not None and current.details == details:
        return None
    billing = AccountBilling(account_id, details, now, by)
    return billing, BillingDetailsChanged(account_id=account_id, details=details, changed_by=by, changed_at=now)


def from_order(billing: OrderBillingDetails) -> AccountBillingDetails | None:
    """The details an order gave (R45) as the account's: the company invoiced is the legal name,
    the billing e-mail the invoicing one. None when they do not pass today's checks (an order
    placed before subscriptions checked VAT numbers against the country): nothing is taken over."""
    try:
        return checked(
            {
                "legal_name": billing.company_name,
                "address": {
                    "line1": billing.address,
                    "line2": billing.address_extra,
                    "postcode": billing.postal_code,
                    "city": billing.city,
                    "country": billing.country,
                },
                "vat_number": billing.vat_number,
                "invoicing_email": billing.billing_email,
            }
        )
    except RuleViolation:
        return None


def adopt_from_order(
    current: AccountBilling | None, account_id: str, billing: OrderBillingDetails, by: str, now: datetime
) -> tuple[AccountBilling, BillingDetailsChanged] | None:
    """Issue 15: an account without billing details takes those of its order; one that has some
    keeps them (the administrator changes them on their page, not an order)."""
    if current is not None:
        return None
    details = from_order(billing)
    return change(None, account_id, details, by, now) if details is not None else None


def _said(error: ValueError) -> str:
    """The reason in words, without the full stop python-stdnum ends some with."""
    return str(error).rstrip(".")
