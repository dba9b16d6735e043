"""Password resets (R1): a single-use link mailed to a verified person, working for an hour;
only the token's hash is kept. Completing it sets a new password and ends every session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from contracts.errors import Refusal, RuleViolation
from contracts.identity import PasswordResetRequested
from contracts.values import Contact
from identity.domain.links import LinkState, hash_token, spend

RESET_LIFETIME = timedelta(hours=1)
ASK_AGAIN = "ask for a new link with POST /password-resets"


@dataclass
class PasswordReset:
    token_hash: str
    person_id: str
    created_at: datetime
    expires_at: datetime
    state: LinkState = LinkState.PENDING

    def use(self, now: datetime) -> None:
        """R1: a reset link works once, before it expires, and only the latest one. Each
        refusal says what to do next; none names the person."""
        self.state = spend(
            self.state,
            self.expires_at,
            now,
            used=RuleViolation(
                "reset_link_used",
                f"This password-reset link was already used (R1); sign in, or {ASK_AGAIN}.",
                rule="R1",
            ),
            replaced=RuleViolation(
                "reset_link_replaced",
                f"A newer password-reset link was sent (R1); use the latest one, or {ASK_AGAIN}.",
                rule="R1",
            ),
            expired=RuleViolation(
                "reset_link_expired",
                f"This password-reset link expired (R1: links last one hour); {ASK_AGAIN}.",
                rule="R1",
            ),
        )


def new_reset(
    token: str, person: Contact, portal_url: str, now: datetime
) -> tuple[PasswordReset, PasswordResetRequested]:
    """A fresh link to the portal's reset page; the token itself travels only in the internal
    e-mail request."""
    reset = PasswordReset(hash_token(token), person.person_id, now, now + RESET_LIFETIME)
    url = f"{portal_url}/password-reset?token={quote(token)}"
    return reset, PasswordResetRequested(person=person, reset_url=url, expires_at=reset.expires_at)


def unknown_reset() -> RuleViolation:
    return RuleViolation(
        "reset_link_not_found",
        f"This password-reset link is not valid (R1); {ASK_AGAIN}.",
        rule="R1",
        refusal=Refusal.NOT_FOUND,
    )
