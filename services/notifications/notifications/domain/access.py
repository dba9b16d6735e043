"""Who may read which part of the delivery log (R2, R6). Pure: the facts come from events.

Everyone reads the e-mails sent to them. An administrator also reads the e-mails about what
they administer: a subscription, or their customer account, as the events named them.
Nothing else is shown, and nothing says whether there was something else to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from contracts.envelope import Event
from contracts.identity import ContactAdded
from contracts.subscriptions import AdministratorTransferred, OrderAwaitingApproval
from contracts.values import Contact
from notifications.domain.consistency import from_subscriptions_service


@dataclass(frozen=True)
class AdministratorNamed:
    """An event said who administers `subject` (a subscription or an account) as of `at`."""

    subject_id: str
    account_id: str
    person_id: str
    at: datetime
    email: str | None = None


def administrator_named(event: Event, at: datetime) -> AdministratorNamed | None:
    """The administrator an event names for its subject; None when it names none, or when it
    is not the one to say: seats and billing write what they knew of a subscription, perhaps
    before a transfer reached them, so only subscriptions' own events re-point one."""
    if event.key_field == "subscription_id" and not from_subscriptions_service(event):
        return None
    contact = _administrator_contact(event)
    account_id = getattr(event, "account_id", None)
    if contact is None or not account_id:
        return None
    return AdministratorNamed(event.subject(), account_id, contact.person_id, at, contact.email.lower())


def _administrator_contact(event: Event) -> Contact | None:
    if isinstance(event, AdministratorTransferred):
        return event.new_administrator  # R17: the previous one reads no more of it
    if isinstance(event, OrderAwaitingApproval):
        return event.reseller  # R19: the reseller placed the order
    if isinstance(event, ContactAdded):
        return event.added_by
    return getattr(event, "administrator", None)


@dataclass(frozen=True)
class Reader:
    """Who asks, and the customer account they act for (R2)."""

    person_id: str
    account_id: str


class LogEntry(Protocol):
    """What the rules need to know of one e-mail of the log."""

    recipient_id: str
    account_id: str
    subscription_id: str  # what it is about: a subscription, an account or a person


def may_read(reader: Reader, entry: LogEntry, administrators: Mapping[str, str]) -> bool:
    """`administrators`: subject or account id -> person id of its administrator.

    The delivery log applies this rule in its query (`store.emails.readable_by`), so that a page is
    full and an e-mail the reader may not see is not there at all: asking for another
    person's e-mails answers alike whether that person exists or not (no existence oracle)."""
    if entry.recipient_id == reader.person_id:
        return True
    if not entry.account_id or entry.account_id != reader.account_id:
        return False  # R2: only what concerns the account they act for
    return reader.person_id in (administrators.get(entry.subscription_id), administrators.get(entry.account_id))
