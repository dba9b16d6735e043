"""Events of the seats service (topic `seats.events.v1`, keyed by subscription id)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.envelope import Event
from contracts.values import Contact, LicenceType, Money, Software


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


class UserInvited(Event):
    """A user was added to a subscription's users and invited to register (R22); also on a resend."""

    type: ClassVar[str] = "seats.user_invited"
    subscription_id: str = Field(description="The subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    invitation_id: str = Field(description="Unique per invitation sent (a resend has a new one).")
    user: Contact = Field(description="The invited user; `person_id` is the seat user's id until they register.")
    invited_by: Contact = Field(description="The administrator who invited them.")
    resend: bool = Field(False, description="True when this re-sends an earlier invitation.")
    register_url: str = Field(description="Where they register; no secret.")
    invited_at: datetime = Field(description="When.")


class SeatAssigned(Event):
    """A user was given a named seat (R22)."""

    type: ClassVar[str] = "seats.seat_assigned"
    subscription_id: str = Field(description="The subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    user_id: str = Field(description="The seat user's id.")
    email: str = Field(description="The user's e-mail.")
    assigned_at: datetime = Field(description="When.")
    product: str = Field("", description="Product code; empty on older events.")
    licence_type: LicenceType | None = Field(None, description="How the seat is used; absent on older events.")
    software: Software | None = Field(
        None, description="How the product is used (start or download link), for the licence e-mail (R41)."
    )
    activation_key: str | None = Field(
        None, description="Node-locked: the activation key kept for this user, sent in the licence e-mail (R41)."
    )
    name: str = Field("", description="The user's name, when known.")
    locale: str = Field("en", description="The language of their e-mails, when known.")


class SeatUnassigned(Event):
    """A user lost their seat and their access at once (R24); they fall back to a trial or Standard (R10)."""

    type: ClassVar[str] = "seats.seat_unassigned"
    subscription_id: str = Field(description="The subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    user: Contact = Field(description="Who lost access; told by e-mail.")
    fallback: str = Field(description="`trial` if they never had one, else `standard` (R10).")
    unassigned_at: datetime = Field(description="When.")


class UsersImported(Event):
    """A bulk import was submitted (R23): how many users were added, how many duplicates dropped."""

    type: ClassVar[str] = "seats.users_imported"
    subscription_id: str = Field(description="The subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    import_id: str = Field(description="The import.")
    added: int = Field(description="Users added.")
    duplicates_dropped: int = Field(description="Duplicate rows dropped.")
    imported_at: datetime = Field(description="When it was submitted.")


class DeviceActivated(Event):
    """A node-locked activation key was bound to a device (R27)."""

    type: ClassVar[str] = "seats.device_activated"
    subscription_id: str = Field(description="The subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    key_id: str = Field(description="The activation key.")
    device_id: str = Field(description="The device it is now bound to.")
    activated_at: datetime = Field(description="When.")
    person_id: str | None = Field(
        None,
        description="Who activated it: the key is theirs until it is "
        "deactivated (R27). Absent on events published before keys recorded it.",
    )


class DeviceDeactivated(Event):
    """A node-locked key was released from its device (to move it, or at the term end, R27, R28)."""

    type: ClassVar[str] = "seats.device_deactivated"
    subscription_id: str = Field(description="The subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    key_id: str = Field(description="The activation key.")
    device_id: str = Field(description="The device it was bound to.")
    deactivated_at: datetime = Field(description="When.")
    person_id: str | None = Field(None, description="Who held it on that device, when known.")
    reason: str | None = Field(
        None,
        description="`deactivated` (by its holder or the administrator, to "
        "move it), `unassigned` (its holder lost their seat, R24) or `ended` (the "
        "subscription ended, R28). Absent on older events.",
    )


class LeaseRevoked(Event):
    """A floating seat was taken back from the person holding it before they released it: they
    lost their assignment (R24). A product holding the lease should end that person's session."""

    type: ClassVar[str] = "seats.lease_revoked"
    subscription_id: str = Field(description="The subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    lease_id: str = Field(description="The lease taken back.")
    person_id: str = Field(description="Who held it.")
    session_id: str | None = Field(None, description="The sign-in it was taken for, if known.")
    reason: str = Field(description="`unassigned` (R24).")
    revoked_at: datetime = Field(description="When.")


class _LeaseEvent(Event):
    subscription_id: str = Field(description="The floating pool's subscription.")
    account_id: str = Field(description="Customer account that owns it.")
    lease_id: str = Field(description="The lease.")
    person_id: str = Field(description="Who holds (or held) it.")
    product: str = Field("", description="Product code.")


class LeaseTaken(_LeaseEvent):
    """A floating seat was checked out (R26), at sign-in or later."""

    type: ClassVar[str] = "seats.lease_taken"
    session_id: str | None = Field(None, description="The sign-in it was taken for, if any.")
    taken_at: datetime = Field(description="When.")
    expires_at: datetime = Field(description="When it lapses without a heartbeat.")


class LeaseHeartbeatMissed(_LeaseEvent):
    """A lease passed its expiry without a heartbeat; the seat is free again, but its holder
    may revive it within the revive window while the seat is still free (issue 14)."""

    type: ClassVar[str] = "seats.lease_heartbeat_missed"
    expired_at: datetime = Field(description="When the last heartbeat's hour ran out.")
    revivable_until: datetime = Field(description="The holder's heartbeat revives it until then, if a seat is free.")


class LeaseRevived(_LeaseEvent):
    """A heartbeat after a missed one took the seat back (the laptop woke up)."""

    type: ClassVar[str] = "seats.lease_revived"
    revived_at: datetime = Field(description="When.")
    expires_at: datetime = Field(description="The new expiry.")


class LeaseExpired(_LeaseEvent):
    """A lease's revive window passed: it is over for good (R26)."""

    type: ClassVar[str] = "seats.lease_expired"
    expired_at: datetime = Field(description="When it ended for good.")


class LeaseBorrowed(_LeaseEvent):
    """A floating seat was borrowed for offline work until a date, without heartbeats (issue 14)."""

    type: ClassVar[str] = "seats.lease_borrowed"
    borrowed_at: datetime = Field(description="When.")
    borrowed_until: datetime = Field(description="The seat is theirs until then, unless returned earlier.")


class LeaseReleased(_LeaseEvent):
    """A floating seat was given back: sign-out, release, or a borrowed seat returned (R26)."""

    type: ClassVar[str] = "seats.lease_released"
    released_at: datetime = Field(description="When.")
    reason: str = Field(description="`released` (by its holder or the administrator) or `signed_out`.")
