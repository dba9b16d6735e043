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


class Software(BaseModel):
    """How a product is used, from the catalogue (issue 14): carried by the events that put a
    tier in force, so that seats signs entitlements with it, lists it under "My software" (R40)
    and sends it in the licence e-mail (R41), without reading the catalogue itself."""

    kind: str = Field(description="`web` (opened in a browser) or `desktop` (downloaded and installed).")
    start_url: str = Field(description="Where the product opens (web) or its page (desktop).")
    download_url: str | None = Field(None, description="Desktop products: where the installer is.")
    modules: list[str] = Field(default_factory=list, description="Modules of the tier in force.")
    limits: dict[str, int] = Field(default_factory=dict, description="Limits of the tier in force, e.g. projects: 50.")
