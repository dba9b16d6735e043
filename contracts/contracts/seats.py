"""Events of the seats service (topic `seats.events.v1`, keyed by subscription id)."""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.envelope import Event
from contracts.values import Contact, LicenceType, Money


class SeatsUnlocked(Event):
    """Activation unlocked the purchased seats; they can now be assigned (R21)."""

    type: ClassVar[str] = "seats.unlocked"
    subscription_id: str = Field(description="Subscription whose pool was unlocked.")
    account_id: str = Field(description="Customer account that owns it.")
    quantity: int = Field(description="Seats available for assignment.")
    licence_type: LicenceType = Field(description="How the seats are used.")
    unlocked_at: datetime = Field(description="When the pool was unlocked.")


class SeatQuantityChanged(Event):
    """The quantity in force changed. Increases apply at once; decreases at term end (R25)."""

    type: ClassVar[str] = "seats.quantity_changed"
    subscription_id: str = Field(description="Subscription whose quantity changed.")
    account_id: str = Field(description="Customer account that owns it.")
    previous_quantity: int = Field(description="Quantity in force before the change.")
    new_quantity: int = Field(description="Quantity in force from `effective_at`.")
    requested_at: datetime = Field(description="When the administrator asked for the change.")
    effective_at: datetime = Field(description="When the new quantity took effect.")
    term_start: datetime = Field(description="Start of the term the change falls in.")
    term_end: datetime = Field(description="End of that term; proration runs to here.")
    unit_price: Money = Field(description="Price of one seat for a whole term.")


class SeatDecreaseScheduled(Event):
    """A decrease was accepted; it takes effect at the end of the term (R25)."""

    type: ClassVar[str] = "seats.decrease_scheduled"
    subscription_id: str = Field(description="Subscription whose quantity will decrease.")
    account_id: str = Field(description="Customer account that owns it.")
    current_quantity: int = Field(description="Quantity in force until `effective_at`.")
    scheduled_quantity: int = Field(description="Quantity from `effective_at`.")
    requested_at: datetime = Field(description="When the administrator asked for it.")
    effective_at: datetime = Field(description="The end of the current term.")


class SeatsDeprovisioned(Event):
    """Every assignment, lease and device activation of the subscription was revoked (R28)."""

    type: ClassVar[str] = "seats.deprovisioned"
    subscription_id: str = Field(description="Subscription whose seats were revoked.")
    account_id: str = Field(description="Customer account that owned it.")
    administrator: Contact = Field(description="Who is told that access ended.")
    revoked_user_ids: list[str] = Field(description="Person ids that lost their seat.")
    deprovisioned_at: datetime = Field(description="When access ended.")
