"""Events of the identity service (topic `identity.events.v1`, keyed by account id)."""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.envelope import Event


class AccountRegistered(Event):
    """A customer account was created with its first administrator. Carries no credentials."""

    type: ClassVar[str] = "identity.account_registered"
    account_id: str = Field(description="The new customer account.")
    company_name: str = Field(description="The account's company name.")
    administrator_id: str = Field(description="Person id of the first administrator.")
    registered_at: datetime = Field(description="When the account was created.")

    def subject(self) -> str:
        return self.account_id
