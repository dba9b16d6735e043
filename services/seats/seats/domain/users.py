"""The users of a subscription: added by e-mail, invited until they register (R22), unassigned
with a fallback (R24, R10), never deleted (R5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from urllib.parse import quote

from contracts.errors import Refusal, RuleViolation
from contracts.seats import SeatUnassigned, UserInvited
from contracts.values import Contact

EMAIL_PATTERN = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


class UserStatus(str, Enum):
    INVITED = "invited"
    REGISTERED = "registered"


def normalise_email(raw: str) -> str:
    return (raw or "").strip().lower()


def email_problem(email: str) -> str | None:
    """Why an e-mail address cannot be used, or None."""
    if not email:
        return "email is required"
    if len(email) > 320 or not EMAIL_PATTERN.match(email):
        return f"'{email}' is not a valid e-mail address"
    return None


@dataclass
class SeatUser:
    user_id: str
    subscription_id: str
    email: str
    first_name: str
    last_name: str
    status: UserStatus
    added_at: datetime
    locale: str = "en"
    person_id: str | None = None
    invited_at: datetime | None = None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def contact(self) -> Contact:
        """Until they register, the seat user's id stands in for the person id."""
        return Contact(person_id=self.person_id or self.user_id, email=self.email, name=self.name, locale=self.locale)

    def register(self, person_id: str) -> bool:
        """R22: a registered person is no longer "invited". False when nothing changed."""
        if self.status is UserStatus.REGISTERED and self.person_id == person_id:
            return False
        self.status, self.person_id = UserStatus.REGISTERED, person_id
        return True

    def matches(self, text: str) -> bool:
        needle = text.strip().lower()
        return any(needle in part.lower() for part in (self.email, self.first_name, self.last_name))

    def invite(
        self,
        *,
        subscription_id: str,
        account_id: str,
        invitation_id: str,
        invited_by: Contact,
        identity_url: str,
        at: datetime,
        resend: bool = False,
    ) -> UserInvited:
        """R22: an invitation to register, with a link that holds no secret."""
        if self.status is not UserStatus.INVITED:
            raise RuleViolation(
                "already_registered",
                f"{self.email} has already registered; there is nothing to invite them to.",
                rule="R22",
            )
        self.invited_at = at
        return UserInvited(
            subscription_id=subscription_id,
            account_id=account_id,
            invitation_id=invitation_id,
            user=self.contact,
            invited_by=invited_by,
            resend=resend,
            register_url=register_url(identity_url, self.email),
            invited_at=at,
        )


def register_url(identity_url: str, email: str) -> str:
    """Identity's page on how an invited person registers (`GET /people/registration`), until a
    portal serves one: every link in an e-mail must lead somewhere a person can use (issue 11)."""
    return f"{identity_url.rstrip('/')}/people/registration?email={quote(email)}"


def fallback_after_revocation(had_trial_seat: bool) -> str:
    """R10: a person whose access is revoked falls back to a trial if they never had one,
    otherwise to Standard."""
    return "standard" if had_trial_seat else "trial"


def unassignment(user: SeatUser, account_id: str, had_trial_seat: bool, at: datetime) -> SeatUnassigned:
    return SeatUnassigned(
        subscription_id=user.subscription_id,
        account_id=account_id,
        user=user.contact,
        fallback=fallback_after_revocation(had_trial_seat),
        unassigned_at=at,
    )


@dataclass(frozen=True)
class NewUser:
    email: str
    first_name: str
    last_name: str
    locale: str | None = None


def check_new_users(new: list[NewUser], listed_emails: set[str]) -> None:
    """R22: each e-mail once per subscription, with a valid address and both names."""
    problems = []
    seen: set[str] = set()
    for n, user in enumerate(new, start=1):
        email = normalise_email(user.email)
        problems += [f"user {n}: {p}" for p in row_problems(email, user.first_name, user.last_name)]
        if email in listed_emails:
            problems.append(f"user {n}: {email} is already a user of this subscription")
        elif email in seen:
            problems.append(f"user {n}: {email} is given twice")
        seen.add(email)
    if problems:
        raise RuleViolation(
            "invalid_users", "Nothing was added: " + "; ".join(problems) + ".", rule="R22", refusal=Refusal.INVALID
        )


def row_problems(email: str, first_name: str, last_name: str) -> list[str]:
    problems = [p] if (p := email_problem(email)) else []
    if not (first_name or "").strip():
        problems.append("first name is required")
    if not (last_name or "").strip():
        problems.append("last name is required")
    return problems


def select_for_resend(
    users: list[SeatUser], *, user_ids: list[str] | None, everyone: bool, status: UserStatus | None, text: str | None
) -> list[SeatUser]:
    """R22: invitations are resent to an explicit list, to everyone, or to those a filter finds."""
    if user_ids:
        by_id = {u.user_id: u for u in users}
        if missing := [i for i in user_ids if i not in by_id]:
            raise RuleViolation(
                "user_not_found", f"No user {', '.join(missing)} in this subscription.", refusal=Refusal.NOT_FOUND
            )
        return [by_id[i] for i in dict.fromkeys(user_ids)]
    if not everyone and status is None and not text:
        raise RuleViolation(
            "no_selection",
            "Say whom to invite again: user_ids, a filter (status, text) or all: true.",
            rule="R22",
            refusal=Refusal.INVALID,
        )
    chosen = [u for u in users if (status is None or u.status is status) and (not text or u.matches(text))]
    if status is None:  # "everyone" means everyone who can still register
        chosen = [u for u in chosen if u.status is UserStatus.INVITED]
    if not chosen:
        raise RuleViolation(
            "nobody_to_invite", "No invited user matches; registered users need no invitation.", rule="R22"
        )
    return chosen
