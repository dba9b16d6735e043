"""Customer accounts (R3) and their contacts (R2, R4, R5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from contracts.errors import InconsistentEvent, Refusal, RuleViolation, not_found
from contracts.identity import AccountVerificationLapsed, AccountVerified, AccountWithdrawn, ContactAdded
from contracts.values import Contact
from identity.domain.people import Person

DOCUMENTS_WINDOW = timedelta(days=60)
MAX_NAME_LENGTH = 100  # `contacts.first_name` and `last_name`; seats allows longer names
LOCALES = ("en", "fr", "nl", "de")


class AccountStatus(str, Enum):
    PENDING_VERIFICATION = "pending_verification"
    VERIFIED = "verified"
    VERIFICATION_LAPSED = "verification_lapsed"
    # Its registering person never verified their e-mail, and someone registered that address
    # again: nobody is its member, and nobody ever acted for it (issue 11, item 14).
    WITHDRAWN = "withdrawn"


class CustomerType(str, Enum):
    """R44: who the customer is decides the documents they send (`domain.documents`)."""

    DESIGN_OFFICE = "design_office"
    CONTRACTOR_ENGINEER = "contractor_engineer"
    STUDENT = "student"


class Role(str, Enum):
    ADMINISTRATOR = "administrator"
    MEMBER = "member"


@dataclass
class Account:
    id: str
    company_name: str
    administrator_id: str
    registered_at: datetime
    status: AccountStatus = AccountStatus.PENDING_VERIFICATION
    verified_at: datetime | None = None
    customer_type: CustomerType | None = None  # R44: chosen at sign-up or on the documents page

    @property
    def verification_deadline(self) -> datetime:
        """R3: 60 days from registration to provide the documents."""
        return self.registered_at + DOCUMENTS_WINDOW

    def accept_documents(self, now: datetime) -> AccountVerified:
        """R3: an operator accepted the documents (late ones too: the account was only waiting)."""
        if self.status is AccountStatus.VERIFIED:
            raise RuleViolation(
                "account_already_verified", "This account's documents were already accepted (R3).", rule="R3"
            )
        if self.status is AccountStatus.WITHDRAWN:
            raise RuleViolation(
                "account_withdrawn",
                "This account was withdrawn: the e-mail of the "
                "person who registered it was never verified, and was registered "
                "again since (R1).",
                rule="R1",
            )
        self.status, self.verified_at = AccountStatus.VERIFIED, now
        return AccountVerified(account_id=self.id, verified_at=now)

    def lapse_verification(self, administrator: Contact, due_at: datetime) -> AccountVerificationLapsed | None:
        """R3: the 60 days are over; nothing happens if the documents were accepted in time."""
        if self.status is not AccountStatus.PENDING_VERIFICATION:
            return None
        self.status = AccountStatus.VERIFICATION_LAPSED
        return AccountVerificationLapsed(
            account_id=self.id, administrator=administrator, registered_at=self.registered_at, lapsed_at=due_at
        )

    def withdraw(self, now: datetime) -> AccountWithdrawn | None:
        """Its founder's unverified registration was replaced by another one of the same
        address (R1): the account must not pass to whoever verifies that mailbox, who did
        not create it. Nothing if it was already withdrawn."""
        if self.status is AccountStatus.WITHDRAWN:
            return None
        self.status = AccountStatus.WITHDRAWN
        return AccountWithdrawn(account_id=self.id, withdrawn_at=now)


@dataclass
class AccountContact:
    """A contact of one account; a member (may act for it) once `person_id` is set (R2, R4)."""

    id: str
    account_id: str
    email: str
    first_name: str
    last_name: str
    locale: str
    role: Role
    added_at: datetime
    person_id: str | None = None

    @property
    def linked(self) -> bool:
        return self.person_id is not None

    def as_contact(self) -> Contact:
        """Until they register, the contact's own id stands in for the person id."""
        return Contact(
            person_id=self.person_id or self.id,
            email=self.email,
            name=f"{self.first_name} {self.last_name}".strip(),
            locale=self.locale,
        )

    def link(self, person: Person) -> None:
        """R4: an invited contact registered with this e-mail; they are a member now."""
        self.person_id = person.id

    def unlink(self) -> None:
        """The founder of a withdrawn account is no longer its member; the row stays (R5)."""
        self.person_id = None


@dataclass(frozen=True)
class NewContact:
    email: str
    first_name: str
    last_name: str
    locale: str = "en"


def founding_administrator(contact_id: str, account: Account, person: Person) -> AccountContact:
    first, _, last = person.name.partition(" ")
    return AccountContact(
        contact_id,
        account.id,
        person.email,
        first,
        last,
        person.locale,
        Role.ADMINISTRATOR,
        account.registered_at,
        person.id,
    )


def add_contact(
    account: Account,
    by: AccountContact,
    existing: list[AccountContact],
    new: NewContact,
    registered: Person | None,
    contact_id: str,
    register_url: str,
    now: datetime,
) -> tuple[AccountContact, ContactAdded]:
    """R4: a registered e-mail is linked at once; otherwise the contact is created and invited."""
    ensure_administrator(by)
    if not new.first_name.strip() or not new.last_name.strip():
        raise RuleViolation(
            "contact_details_missing",
            "A contact needs a first and a last name (R4).",
            rule="R4",
            refusal=Refusal.INVALID,
        )
    if any(c.email == new.email for c in existing):
        raise RuleViolation("contact_exists", f"{new.email} is already a contact of this account (R4).", rule="R4")
    contact = AccountContact(
        contact_id,
        account.id,
        new.email,
        new.first_name.strip(),
        new.last_name.strip(),
        new.locale,
        Role.MEMBER,
        now,
        registered.id if registered else None,
    )
    event = ContactAdded(
        account_id=account.id,
        company_name=account.company_name,
        contact=contact.as_contact(),
        linked=contact.linked,
        added_by=by.as_contact(),
        register_url=None if contact.linked else register_url,
        added_at=now,
    )
    return contact, event


def ensure_may_invite_seat_users(account: Account | None, inviter: AccountContact | None, account_id: str) -> Account:
    """R39: a seat user invited by seats becomes a contact only when identity can vouch for the
    invitation itself: the account exists, was not withdrawn, and the inviter is a member of it
    (R2). Seats names the subscription's administrator, who is whichever member bought it or
    took it over (R6, R17, R38): identity's administrator role is not required. Anything else
    contradicts what identity knows, as a forged event would."""
    if account is None:
        raise InconsistentEvent(f"seats.user_invited names account {account_id}, which identity never registered")
    if account.status is AccountStatus.WITHDRAWN:
        raise InconsistentEvent(f"seats.user_invited names account {account_id}, which was withdrawn (R1)")
    if inviter is None or not inviter.linked:
        raise InconsistentEvent(f"seats.user_invited names an inviter who is not a member of account {account_id} (R2)")
    return account


def seat_user_contact(
    account: Account,
    already: AccountContact | None,
    user: Contact,
    inviter: AccountContact,
    registered: Person | None,
    contact_id: str,
    now: datetime,
) -> tuple[AccountContact, ContactAdded] | None:
    """R39, R4: the invited e-mail (normalised) becomes a contact of the company with the
    member role, linked at once when that e-mail is registered; None when it is a contact
    already (`already`: a resend, another subscription's invitation, someone added by hand).
    The event tells the company's directory elsewhere (subscriptions' transfer, R17); it is
    marked `seat_user`, so no second invitation is mailed."""
    if already is not None:
        return None
    first, _, last = user.name.strip().partition(" ")
    contact = AccountContact(
        contact_id,
        account.id,
        user.email,
        (first or user.email.partition("@")[0])[:MAX_NAME_LENGTH],
        last.strip()[:MAX_NAME_LENGTH],
        user.locale if user.locale in LOCALES else "en",
        Role.MEMBER,
        now,
        registered.id if registered else None,
    )
    event = ContactAdded(
        account_id=account.id,
        company_name=account.company_name,
        contact=contact.as_contact(),
        linked=contact.linked,
        added_by=inviter.as_contact(),
        added_at=now,
        seat_user=True,
    )
    return contact, event


def ensure_administrator(
    contact: AccountContact,
    message: str = "Only an administrator of this account can add contacts (R4).",
    rule: str | None = "R4",
) -> None:
    if contact.role is not Role.ADMINISTRATOR:
        raise RuleViolation("not_an_administrator", message, rule=rule, refusal=Refusal.FORBIDDEN)


def ensure_acting_for(acting_for: str, account_id: str) -> None:
    """R2: everything a person sees is scoped to the account they act for."""
    if acting_for != account_id:
        raise not_found("account", account_id)


def ensure_member(memberships: list[AccountContact], account_id: str) -> AccountContact:
    """R2: a person acts only for an account they are a (linked) contact of."""
    for contact in memberships:
        if contact.account_id == account_id and contact.linked:
            return contact
    raise RuleViolation(
        "not_a_member",
        f"You are not a contact of account {account_id} (R2); GET /me/accounts lists yours.",
        rule="R2",
        refusal=Refusal.FORBIDDEN,
    )


def refuse_contact_deletion() -> RuleViolation:
    """R5: contacts are never deleted from an account."""
    return RuleViolation(
        "contacts_are_never_deleted",
        "A contact is never deleted from an account (R5); unassign them from their licences instead.",
        rule="R5",
    )
