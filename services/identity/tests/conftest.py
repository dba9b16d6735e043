"""Shared builders for identity's tests: a registered person, an account with its administrator."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from identity.domain import accounts, people

NOW = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)


@pytest.fixture
def person():
    def build(person_id: str = "p-ada", email: str = "ada@example.com", name: str = "Ada Lovelace",
              verified: bool = True) -> people.Person:
        registered, _ = people.register(person_id, email, name, "fr", "argon2-hash", True, NOW)
        if verified:
            registered.verify_email(NOW)
        return registered
    return build


@pytest.fixture
def account(person):
    """An account registered by Ada, with Ada as its founding administrator."""
    def build(account_id: str = "a-1") -> tuple[accounts.Account, accounts.AccountContact]:
        ada = person()
        acme = accounts.Account(account_id, "Acme", ada.id, NOW)
        return acme, accounts.founding_administrator(f"c-{account_id}-ada", acme, ada)
    return build
