"""Verification links (R1): single-use, expiring after 48 hours; only the token's hash is kept."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from urllib.parse import quote

from contracts.errors import Refusal, RuleViolation
from contracts.identity import VerificationEmailRequested
from contracts.values import Contact

LINK_LIFETIME = timedelta(hours=48)
RESEND_HINT = 'ask for a new link with POST /verifications/resend {"email": ...}'


class LinkState(str, Enum):
    PENDING = "pending"
    USED = "used"
    REPLACED = "replaced"  # a newer link was sent; only the latest one works


def spend(
    state: LinkState,
    expires_at: datetime,
    now: datetime,
    *,
    used: RuleViolation,
    replaced: RuleViolation,
    expired: RuleViolation,
) -> LinkState:
    """R1: a single-use link (a verification, a password reset) works once, before it expires,
    and only the latest one sent; the refusals say, each in its link's words, what to do next."""
    if state is LinkState.USED:
        raise used
    if state is LinkState.REPLACED:
        raise replaced
    if now >= expires_at:
        raise expired
    return LinkState.USED


def hash_token(token: str) -> str:
    """What is stored instead of the token: a leaked table cannot verify anyone."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class VerificationLink:
    token_hash: str
    person_id: str
    created_at: datetime
    expires_at: datetime
    state: LinkState = LinkState.PENDING

    def use(self, now: datetime) -> None:
        """R1: a link verifies once, before it expires."""
        self.state = spend(
            self.state,
            self.expires_at,
            now,
            used=RuleViolation(
                "link_already_used",
                "This verification link was already used (R1); your e-mail is verified, sign in.",
                rule="R1",
            ),
            replaced=RuleViolation(
                "link_replaced",
                f"A newer verification link was sent (R1); use the latest one, or {RESEND_HINT}.",
                rule="R1",
            ),
            expired=RuleViolation(
                "link_expired",
                f"This verification link expired at "
                f"{self.expires_at.isoformat()} (R1: links last 48 hours); {RESEND_HINT}.",
                rule="R1",
            ),
        )


def new_link(
    token: str, person: Contact, base_url: str, now: datetime
) -> tuple[VerificationLink, VerificationEmailRequested]:
    """A fresh link; the token itself travels only in the internal e-mail request."""
    link = VerificationLink(hash_token(token), person.person_id, now, now + LINK_LIFETIME)
    url = f"{base_url}/verifications?token={quote(token)}"
    return link, VerificationEmailRequested(person=person, verify_url=url, expires_at=link.expires_at)


def unknown_link() -> RuleViolation:
    return RuleViolation(
        "link_not_found",
        f"This verification link is not valid (R1); {RESEND_HINT}.",
        rule="R1",
        refusal=Refusal.NOT_FOUND,
    )
