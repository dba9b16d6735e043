"""Identity rules needed so far: registering an account with its first administrator."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from contracts.errors import Refusal, RuleViolation

MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    name: str
    locale: str
    password_hash: str


@dataclass(frozen=True)
class Account:
    id: str
    company_name: str
    administrator_id: str
    registered_at: datetime


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise RuleViolation("invalid_email", f"{email!r} is not an e-mail address.", rule="R1",
                            refusal=Refusal.INVALID)
    return email


def check_password_strength(password: str) -> None:
    """R1: long enough, and not only one kind of character."""
    kinds = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z\d]"))
    if len(password) < MIN_PASSWORD_LENGTH or kinds < 3:
        raise RuleViolation("weak_password", f"Use at least {MIN_PASSWORD_LENGTH} characters mixing "
                            "three of: lower case, upper case, digits, symbols.", rule="R1",
                            refusal=Refusal.INVALID)
