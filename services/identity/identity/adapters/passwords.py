"""Password hashing (argon2id), off the event loop, with the same work for every e-mail.

An adapter: the rules (`domain.people`) only say how strong a password must be; the hashing
is a library's and a worker thread's.

A hash or a verification costs about a tenth of a second of CPU: run in the event loop it
would stall every other request of the service meanwhile, so it runs in a worker thread.

Signing in with an e-mail nobody registered verifies the password against a dummy hash made
with the same parameters: a known and an unknown e-mail then cost the same one verification,
and the answer's timing no longer tells which addresses are registered.
"""

from __future__ import annotations

import asyncio
import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@functools.cache
def dummy_hash() -> str:
    """A hash of a random password nobody knows, made once per process."""
    return hasher.hash(secrets.token_urlsafe(32))


def _matches(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def matches(password_hash: str | None, password: str) -> bool:
    """Exactly one argon2 verification, whether or not there is a hash to check against (None:
    the e-mail is unknown; the dummy hash is checked and the answer is always False)."""
    if password_hash is None:
        await asyncio.to_thread(_matches, dummy_hash(), password)
        return False
    return await asyncio.to_thread(_matches, password_hash, password)


async def hashed(password: str) -> str:
    return await asyncio.to_thread(hasher.hash, password)
