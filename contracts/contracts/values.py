"""Value types shared by several events."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field


class Money(BaseModel):
    """An exact amount: integer minor units (cents) and an ISO 4217 currency."""

    model_config = ConfigDict(frozen=True)
    amount_minor: int = Field(description="Amount in minor units, e.g. 1999 for 19.99.")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 code, e.g. `EUR`.")


class LicenceType(str, Enum):
    NAMED_USER = "named_user"
    FLOATING = "floating"
    NODE_LOCKED = "node_locked"


class BillingCycle(str, Enum):
    """R11: monthly renews every month, annual every year; a fixed term ends on a chosen date."""

    MONTHLY = "monthly"
    ANNUAL = "annual"
    TERM = "term"


class Contact(BaseModel):
    """A person to write to, as the producing service knew them when the event happened."""

    model_config = ConfigDict(frozen=True)
    person_id: str = Field(description="Identity's person id.")
    email: str = Field(description="Where e-mails go.")
    name: str = Field("", description="Display name for salutations.")
    locale: str = Field("en", description="Preferred language: en, fr, nl or de.")
