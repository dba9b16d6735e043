"""Sign-ins a person keeps (R42, the desktop sign-in): a product may keep a person signed in for
30 days with rotating refresh tokens.

A sign-in is a session (`sid`): its access tokens live `TOKEN_TTL_SECONDS`; with
`keep_signed_in` it also gets a refresh token, which buys one new access token and one new
refresh token (valid 30 days from then), in the same session, and is spent doing so. A spent
refresh token presented again means two parties hold the chain (the token was copied): the
whole sign-in ends, both are signed out, and its owner signs in again (reuse detection, as
RFC 9700 4.14.2 recommends). Only the SHA-256 of each refresh token is stored: they are 256
random bits, which no one can guess from a hash.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.errors import Refusal, RuleViolation
from identity.domain.links import hash_token

KEPT_FOR = timedelta(days=30)
MAX_DEVICE_NAME = 100
MAX_REFRESH_TOKEN_LENGTH = 200  # a refresh token is 43 characters


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class SignInRecord:
    """A sign-in as its person lists them: `expires_at` is when its last token stops working
    (a kept one: its refresh token's expiry)."""

    session_id: str
    person_id: str
    account_id: str
    started_at: datetime
    expires_at: datetime
    device_name: str | None = None
    last_used_at: datetime | None = None


class RefreshTokenReused(RuleViolation):
    """A spent refresh token again: the caller ends the sign-in before refusing."""

    def __init__(self) -> None:
        super().__init__(
            "refresh_token_reused",
            "This refresh token was already used (R42): someone else may hold a copy, so this "
            "sign-in has ended everywhere; sign in again.",
            rule="R42",
            refusal=Refusal.UNAUTHENTICATED,
        )


def invalid_refresh_token() -> RuleViolation:
    return RuleViolation(
        "refresh_token_invalid",
        "This refresh token is not valid, has expired or its sign-in has ended (R42); sign in again.",
        rule="R42",
        refusal=Refusal.UNAUTHENTICATED,
    )


@dataclass
class RefreshToken:
    token_hash: str
    session_id: str
    issued_at: datetime
    expires_at: datetime
    spent_at: datetime | None = None

    def spend(self, now: datetime) -> None:
        """R42: single use, within 30 days of its issue."""
        if self.spent_at is not None:
            raise RefreshTokenReused()
        if now >= self.expires_at:
            raise invalid_refresh_token()
        self.spent_at = now


def issue(token: str, session_id: str, now: datetime) -> RefreshToken:
    """The stored side of a new refresh token (the token itself goes to the caller alone)."""
    return RefreshToken(hash_token(token), session_id, now, now + KEPT_FOR)
