"""Issuing in billing's tests: the packaged demo sellers (BE sells to everyone but France, FR
to France), and an invoice issued from a draft as the handlers issue it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from billing.adapters.sellers import load_sellers
from billing.domain import invoices
from billing.domain.invoices import Invoice, InvoiceDraft
from billing.domain.parties import Buyer
from contracts.parties import AccountBillingDetails, PostalAddress

SELLERS = load_sellers()


def buyer_in(country: str, vat_number: str | None = None, name: str = "Client SA") -> Buyer:
    details = AccountBillingDetails(
        legal_name=name,
        address=PostalAddress(line1="1 Main Street", postcode="1000", city="Town", country=country),
        vat_number=vat_number,
    )
    return Buyer.of(details, "Ada Admin", "ada@example.com")


def issue(
    draft: InvoiceDraft,
    invoice_id: str,
    sequence: int,
    at: datetime,
    buyer: Buyer | None = None,
    **correction: Any,
) -> Invoice:
    """`draft` issued to `buyer` (default: one with no billing details, invoiced by the default
    seller at its domestic rate) by the seller that sells to the buyer's country."""
    buyer = buyer or Buyer.of(None, draft.administrator.name, draft.administrator.email)
    return invoices.issue(draft, invoice_id, sequence, at, SELLERS.for_buyer(buyer.country), buyer, **correction)
