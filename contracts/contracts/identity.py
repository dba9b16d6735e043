"""Events of the identity service: `identity.events.v1` (public, keyed by account id, or person id for
person events) and `identity.internal.v1` (internal: it carries single-use links)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.envelope import Event
from contracts.parties import AccountBillingDetails
from contracts.values import Contact


class AccountRegistered(Event):
    """A customer account was created with its first administrator. Carries no credentials."""

    type: ClassVar[str] = "identity.account_registered"
    account_id: str = Field(description="The new customer account.")
    company_name: str = Field(description="The account's company name.")
    administrator_id: str = Field(description="Person id of the first administrator.")
    registered_at: datetime = Field(description="When the account was created.")

    key_field: ClassVar[str] = "account_id"


class PersonRegistered(Event):
    """A person registered and accepted the terms; they sign in once their e-mail is verified (R1).

    Seats and identity's own contacts use it to turn an invited user into a registered one (R4, R22).
    Published again for the same person when a new registration replaces an unverified one (new
    name, language and terms): the person id stays, as it names whoever controls the mailbox.
    """

    type: ClassVar[str] = "identity.person_registered"
    person: Contact = Field(description="The new person (id, e-mail, name, language).")
    terms_version: str = Field(description="Version of the terms they accepted.")
    registered_at: datetime = Field(description="When they registered.")

    key_field: ClassVar[str] = "person.person_id"


class EmailVerified(Event):
    """The person confirmed their e-mail address by the single-use link; they may sign in (R1)."""

    type: ClassVar[str] = "identity.email_verified"
    person_id: str = Field(description="Who verified.")
    verified_at: datetime = Field(description="When.")

    key_field: ClassVar[str] = "person_id"


class ContactAdded(Event):
    """A contact was added to a customer account (R4): linked at once if registered, else invited."""

    type: ClassVar[str] = "identity.contact_added"
    account_id: str = Field(description="The customer account.")
    company_name: str = Field(description="The account's company name, for the invitation.")
    contact: Contact = Field(description="The contact; `person_id` is set once they are registered.")
    linked: bool = Field(description="True when the e-mail was already registered (linked at once).")
    added_by: Contact = Field(description="The administrator who added them.")
    register_url: str | None = Field(None, description="Where an invited contact registers; no secret.")
    added_at: datetime = Field(description="When.")
    seat_user: bool = Field(
        False,
        description="True when the contact is a seat user seats invited (R39): seats mailed the "
        "invitation, so no contact invitation goes out; `added_by` is who invited them.",
    )

    key_field: ClassVar[str] = "account_id"


class BillingDetailsChanged(Event):
    """The account's billing details were set or changed (issue 15): billing prints them on the
    invoices it issues from then on; an invoice already issued never changes."""

    type: ClassVar[str] = "identity.billing_details_changed"
    account_id: str = Field(description="The customer account.")
    details: AccountBillingDetails = Field(description="Legal name, billing address, VAT number, invoicing e-mail.")
    changed_by: str = Field(description="Person id of whoever changed them.")
    changed_at: datetime = Field(description="When.")

    key_field: ClassVar[str] = "account_id"


class AccountVerified(Event):
    """The account's documents were accepted; it is no longer pending verification (R3)."""

    type: ClassVar[str] = "identity.account_verified"
    account_id: str = Field(description="The verified account.")
    verified_at: datetime = Field(description="When.")

    key_field: ClassVar[str] = "account_id"


class AccountVerificationLapsed(Event):
    """60 days passed without accepted documents; the account stays unverified (R3)."""

    type: ClassVar[str] = "identity.account_verification_lapsed"
    account_id: str = Field(description="The account.")
    administrator: Contact = Field(description="Who is told.")
    registered_at: datetime = Field(description="When the account was registered.")
    lapsed_at: datetime = Field(description="registered_at + 60 days.")

    key_field: ClassVar[str] = "account_id"


class SignedOut(Event):
    """The person signed out of a session; seats releases that session's floating leases (R26)."""

    type: ClassVar[str] = "identity.signed_out"
    person_id: str = Field(description="Who signed out.")
    account_id: str = Field(description="The account they were acting for.")
    session_id: str = Field(description="The session (token `sid` claim) that ended.")
    signed_out_at: datetime = Field(description="When.")

    key_field: ClassVar[str] = "person_id"


class VerificationEmailRequested(Event):
    """Internal (`identity.internal.v1`): send the e-mail verification link (R1, R33).

    Carries a single-use, expiring link: never published on a public topic.
    """

    type: ClassVar[str] = "identity.verification_email_requested"
    person: Contact = Field(description="Who must verify.")
    verify_url: str = Field(description="The single-use verification link (secret).")
    expires_at: datetime = Field(description="When the link stops working.")

    key_field: ClassVar[str] = "person.person_id"


class AccountWithdrawn(Event):
    """An account whose registering person never verified their e-mail was withdrawn: someone
    registered that e-mail address again, and only whoever controls the mailbox may now verify
    it. Nobody ever acted for the account (its only member could not sign in), and it stays
    unusable: no one is its member and its documents can no longer be accepted (R1, R3)."""

    type: ClassVar[str] = "identity.account_withdrawn"
    account_id: str = Field(description="The withdrawn account (as in `identity.account_registered`).")
    withdrawn_at: datetime = Field(description="When.")

    key_field: ClassVar[str] = "account_id"


class RegistrationAttempted(Event):
    """Internal (`identity.internal.v1`): someone tried to register with the e-mail address of an
    existing, verified person. The answer to that registration looks like any other (it must not
    tell whether an address is registered), so the owner is told by e-mail instead (R1)."""

    type: ClassVar[str] = "identity.registration_attempted"
    person: Contact = Field(description="The existing person who owns the address; who is told.")
    attempted_at: datetime = Field(description="When the registration was attempted.")

    key_field: ClassVar[str] = "person.person_id"


class PasswordResetRequested(Event):
    """Internal (`identity.internal.v1`): send the password-reset link (R1).

    Someone asked for a new password for this verified person's address. Carries a single-use,
    expiring link: never published on a public topic."""

    type: ClassVar[str] = "identity.password_reset_requested"
    person: Contact = Field(description="Whose password may be reset; who is e-mailed.")
    reset_url: str = Field(description="The single-use password-reset link on the portal (secret).")
    expires_at: datetime = Field(description="When the link stops working.")

    key_field: ClassVar[str] = "person.person_id"
