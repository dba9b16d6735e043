"""People (R1): registration with accepted terms, password strength, e-mail verification."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from contracts.errors import Refusal, RuleViolation
from contracts.identity import EmailVerified, PersonRegistered
from contracts.values import Contact

MIN_PASSWORD_LENGTH = 10
TERMS_VERSION = "2026-01"


@dataclass
class Person:
    id: str
    email: str
    name: str
    locale: str
    password_hash: str
    terms_version: str
    registered_at: datetime
    email_verified_at: datetime | None = None

    @property
    def verified(self) -> bool:
        return self.email_verified_at is not None

    def contact(self) -> Contact:
        return Contact(person_id=self.id, email=self.email, name=self.name, locale=self.locale)

    def verify_email(self, now: datetime) -> EmailVerified:
        if self.verified:
            raise RuleViolation(
                "email_already_verified", "This e-mail address is already verified; sign in (R1).", rule="R1"
            )
        self.email_verified_at = now
        return EmailVerified(person_id=self.id, verified_at=now)

    def change_password(self, password_hash: str) -> None:
        """R1: the strength was checked on the password itself, before hashing."""
        self.password_hash = password_hash

    def update_profile(self, name: str | None, locale: str | None) -> None:
        """The person's own name and language (of their e-mails, pages and tokens)."""
        if name is not None:
            if not name.strip():
                raise RuleViolation("name_required", "Your name cannot be empty.", refusal=Refusal.INVALID)
            self.name = name.strip()
        if locale is not None:
            self.locale = locale

    def ensure_may_sign_in(self) -> None:
        """R1: no sign-in before the verification e-mail is confirmed."""
        if not self.verified:
            raise RuleViolation(
                "email_not_verified",
                "Confirm your e-mail address first (R1): open the link "
                "we sent you, or ask for a new one at POST /verifications/resend.",
                rule="R1",
                refusal=Refusal.FORBIDDEN,
            )


def register(
    person_id: str,
    email: str,
    name: str,
    locale: str,
    password_hash: str,
    accepted_terms: bool,
    now: datetime,
    terms_version: str = TERMS_VERSION,
) -> tuple[Person, PersonRegistered]:
    """R1: a person registers once, accepting the terms; the e-mail is verified later."""
    ensure_terms_accepted(accepted_terms)
    person = Person(person_id, normalise_email(email), name.strip(), locale, password_hash, terms_version, now)
    return person, PersonRegistered(person=person.contact(), terms_version=terms_version, registered_at=now)


def register_again(
    person: Person,
    name: str,
    locale: str,
    password_hash: str,
    accepted_terms: bool,
    now: datetime,
    terms_version: str = TERMS_VERSION,
) -> PersonRegistered:
    """R1 (issue 11, item 14): an unverified registration does not hold the address. Whoever
    registers it again replaces the name, password and language; a new link goes to the
    mailbox, and only whoever controls it can verify. The person (its id) stays: invitations
    to the address (R4) were addressed to the mailbox, not to the first registrant."""
    ensure_terms_accepted(accepted_terms)
    if person.verified:
        raise refuse_second_registration()
    person.name, person.locale, person.password_hash = name.strip(), locale, password_hash
    person.terms_version, person.registered_at = terms_version, now
    return PersonRegistered(person=person.contact(), terms_version=terms_version, registered_at=now)


def ensure_terms_accepted(accepted_terms: bool) -> None:
    if not accepted_terms:
        raise RuleViolation(
            "terms_not_accepted",
            'Accept the terms of use to register (R1): send "accept_terms": true.',
            rule="R1",
            refusal=Refusal.INVALID,
        )


def refuse_second_registration() -> RuleViolation:
    """Never answered over HTTP (that would tell who is registered): the owner is e-mailed."""
    return RuleViolation("email_registered", "This e-mail is already registered (R1); sign in instead.", rule="R1")


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise RuleViolation("invalid_email", f"{email!r} is not an e-mail address.", rule="R1", refusal=Refusal.INVALID)
    return email


def check_password_strength(password: str) -> None:
    """R1: long enough, and not only one kind of character."""
    kinds = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z\d]"))
    if len(password) < MIN_PASSWORD_LENGTH or kinds < 3:
        raise RuleViolation(
            "weak_password",
            f"Use at least {MIN_PASSWORD_LENGTH} characters mixing "
            "three of: lower case, upper case, digits, symbols (R1).",
            rule="R1",
            refusal=Refusal.INVALID,
        )
