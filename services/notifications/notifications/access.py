"""Who may read which part of the delivery log (R2, R6). Pure: the facts come from events.

Everyone reads the e-mails sent to them. An administrator also reads the e-mails about what
they administer: a subscription, or their customer account, as the events named them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Protocol, Sequence, TypeVar

from contracts.envelope import Event
from contracts.errors import Refusal, RuleViolation
from contracts.identity import ContactAdded
from contracts.seats import UserInvited
from contracts.subscriptions import AdministratorTransferred
from contracts.values import Contact


@dataclass(frozen=True)
class AdministratorNamed:
    """An event said who administers `subject` (a subscription or an account) as of `at`."""

    subject_id: str
    account_id: str
    person_id: str
    at: datetime


def administrator_named(event: Event, at: datetime) -> AdministratorNamed | None:
    """The administrator an event names for its subject; None when it names none."""
    contact = _administrator_contact(event)
    account_id = getattr(event, "account_id", None)
    if contact is None or not account_id:
        return None
    return AdministratorNamed(event.subject(), account_id, contact.person_id, at)


def _administrator_contact(event: Event) -> Contact | None:
    if isinstance(event, AdministratorTransferred):
        return event.new_administrator  # R17: the previous one reads no more of it
    if isinstance(event, UserInvited):
        return event.invited_by
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
    """`administrators`: subject or account id -> person id of its administrator."""
    if entry.recipient_id == reader.person_id:
        return True
    if not entry.account_id or entry.account_id != reader.account_id:
        return False  # R2: only what concerns the account they act for
    return reader.person_id in (administrators.get(entry.subscription_id), administrators.get(entry.account_id))


Entry = TypeVar("Entry", bound=LogEntry)


def readable(reader: Reader, entries: Sequence[Entry], administrators: Mapping[str, str],
             asked: str) -> list[Entry]:
    """The entries the reader may see. Refuses, rather than answering an empty log, when
    there are e-mails but none of them is the reader's to see."""
    visible = [e for e in entries if may_read(reader, e, administrators)]
    if entries and not visible:
        raise RuleViolation(
            "delivery_log_forbidden",
            f"The e-mails for {asked} are not yours to read (R6): only their recipient and the "
            "administrator of the subscription or account they are about can. Sign in as one of them.",
            rule="R6", refusal=Refusal.FORBIDDEN)
    return visible
