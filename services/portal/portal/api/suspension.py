"""Access suspended because an invoice is overdue (issue 15, item 6): the banner's facts.

Billing suspends the terms an overdue invoice charged (`billing.subscriptions_suspended`) and
seats refuses access to them until it is paid; seats' pool (`GET /subscriptions/{id}/seats`)
says so in `payment_overdue` (`{"invoice_id", "number", "suspended_at"}`, null otherwise).
An older seats sends no such field: no banner, never a guess.

Only the subscription's administrator is offered the invoice (billing shows invoices only to
administrators, R6); anyone else is told to contact them. The field comes from another service,
so it is read defensively: anything but an object is no suspension, and an invoice id that is
not one the portal's invoice page accepts is no link (the banner still says access is suspended).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.api.invoices import INVOICE_ID


def payment_overdue(pool: Any, subscription: dict[str, Any], person_id: str | None) -> dict[str, Any] | None:
    """What the banner shows for `subscription`, seen by `person_id`, or None for no banner."""
    found = pool.get("payment_overdue") if isinstance(pool, dict) else None
    if not isinstance(found, dict):
        return None
    administrator = person_id is not None and subscription.get("administrator_id") == person_id
    invoice_id, number, since = found.get("invoice_id"), found.get("number"), found.get("suspended_at")
    linked = administrator and isinstance(invoice_id, str) and INVOICE_ID.fullmatch(invoice_id) is not None
    return {
        "administrator": administrator,
        # The invoice's page, as the company's invoice list links it (`/invoices/{id}`).
        "invoice_id": invoice_id if linked else None,
        "number": number if administrator and isinstance(number, str) and number.strip() else None,
        "suspended_at": _when(since),
    }


def _when(value: Any) -> datetime | None:
    """Since when, if seats said so in a form the page can write; the banner goes without it otherwise."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
