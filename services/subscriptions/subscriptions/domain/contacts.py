"""Who may become a subscription's administrator (R17, R38): a registered contact of the
owning company, named by e-mail. Subscriptions knows the company's contacts from identity's
public events (see `subscriptions.store.contacts.CompanyDirectory`), never from the request: a
transfer used to take whatever person id, e-mail and name the caller typed."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.errors import RuleViolation
from contracts.values import Contact


@dataclass(frozen=True)
class CompanyContact:
    """What subscriptions knows of one e-mail address within one company."""

    email: str
    is_contact: bool  # added as a contact, or a linked member (its founder, say)
    person: Contact | None  # the person registered with that address, if any


def new_administrator(account_id: str, found: CompanyContact) -> Contact:
    """R17, R38: the person to transfer to, or a refusal that says what to do first. An address
    that is no contact of the company gets the same answer whether or not anyone registered
    it, so the refusal tells nothing about other companies' people."""
    if not found.is_contact:
        raise RuleViolation(
            "not_a_company_contact",
            f"{found.email} is not a contact of this company. Add them first with identity's "
            f"POST /accounts/{account_id}/contacts (R4); once they have registered, transfer "
            "the administration to them.",
            rule="R17",
        )
    if found.person is None:
        raise RuleViolation(
            "contact_not_registered",
            f"{found.email} is a contact of this company but has not registered yet. They must "
            "register first (identity's POST /people, as the invitation e-mail explains); then "
            "transfer the administration to them.",
            rule="R17",
        )
    return found.person
