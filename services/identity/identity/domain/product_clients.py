"""Product clients (issue 14): the OAuth 2.0 client credentials a product's backend signs in
with (RFC 6749 4.4), one product each.

A secret is 32 random bytes (256 bits), shown once; only its SHA-256 is kept. A password needs
a slow hash (argon2) because people choose guessable ones; a uniformly random 256-bit secret
cannot be guessed whatever the hash, so one SHA-256 protects a leaked table as well as argon2
would, and keeps a client-credentials call (made by every product backend, often) cheap.

Rotation issues a new secret and keeps the previous one working for a grace period chosen by
the operator (so a product can roll its configuration out), then only the new one works.
Revoking ends the client: no new token, and its tokens already issued are refused everywhere
(their session, the kit's `product_session_id(client_id)`, ends: `identity.signed_out`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.errors import Refusal, RuleViolation
from contracts.identity import SignedOut

# Identity does not know the catalogue: any code products could have (the catalogue's keys).
PRODUCT_CODE = re.compile(r"[a-z0-9_-]{1,64}")
PRODUCT_CODE_PATTERN = r"^[a-z0-9_-]{1,64}$"
SECRET_BYTES = 32
MAX_SECRET_LENGTH = 256  # a secret is 43 characters; anything much longer is not one
DEFAULT_PREVIOUS_VALID = timedelta(days=1)
LONGEST_PREVIOUS_VALID = timedelta(days=30)
# Compared against when the client id is unknown, so that both refusals cost the same.
_NOBODY = hashlib.sha256(b"no such client").hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str) -> str:
    """SHA-256, not argon2: the secret is 256 random bits (see the module's docstring)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _same(secret_hash: str | None, presented: str) -> bool:
    return secret_hash is not None and hmac.compare_digest(secret_hash, presented)


def ensure_product_code(product: str) -> str:
    if not PRODUCT_CODE.fullmatch(product):
        raise RuleViolation(
            "invalid_product",
            "A product code is 1 to 64 lower-case letters, digits, '-' or '_', as in the catalogue.",
            refusal=Refusal.INVALID,
        )
    return product


@dataclass
class ProductClient:
    client_id: str
    product: str
    name: str
    secret_hash: str
    created_at: datetime
    previous_secret_hash: str | None = None
    previous_valid_until: datetime | None = None
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def accepts(self, secret: str, now: datetime) -> bool:
        """The current secret, or the previous one until its grace period ends; nothing once
        revoked. Both hashes are compared whatever the first says, in constant time."""
        presented = hash_secret(secret)
        current = _same(self.secret_hash, presented)
        previous = _same(self.previous_secret_hash, presented) and (
            self.previous_valid_until is not None and now < self.previous_valid_until
        )
        return not self.revoked and (current or previous)

    def rotate(self, new_secret_hash: str, now: datetime, previous_valid: timedelta) -> None:
        """The new secret works at once; the current one until `now + previous_valid` (not at
        all with 0). A secret older than the current one stops at once: one grace at a time."""
        self._ensure_active()
        if not timedelta(0) <= previous_valid <= LONGEST_PREVIOUS_VALID:
            raise RuleViolation(
                "invalid_grace",
                f"The previous secret may keep working 0 to {int(LONGEST_PREVIOUS_VALID.total_seconds())} seconds.",
                refusal=Refusal.INVALID,
            )
        keep = previous_valid > timedelta(0)
        self.previous_secret_hash = self.secret_hash if keep else None
        self.previous_valid_until = now + previous_valid if keep else None
        self.secret_hash, self.rotated_at = new_secret_hash, now

    def revoke(self, now: datetime, session_id: str) -> SignedOut | None:
        """Ends the client and its session (`session_id`: the one all its tokens name, the kit's
        `product_session_id`); None if it was revoked already (nothing new)."""
        if self.revoked:
            return None
        self.revoked_at = now
        self.previous_secret_hash = self.previous_valid_until = None
        return SignedOut(person_id=self.client_id, account_id="", session_id=session_id, signed_out_at=now)

    def _ensure_active(self) -> None:
        if self.revoked:
            raise RuleViolation(
                "product_client_revoked",
                f"Product client {self.client_id} was revoked; register a new one.",
                refusal=Refusal.CONFLICT,
            )


def register(client_id: str, product: str, name: str, secret: str, now: datetime) -> ProductClient:
    return ProductClient(client_id, ensure_product_code(product), name, hash_secret(secret), now)


def unknown_client_accepts(secret: str) -> bool:
    """Never: but at the cost of a known client's check (one hash, one comparison)."""
    _same(_NOBODY, hash_secret(secret))
    return False
