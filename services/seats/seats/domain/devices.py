"""Node-locked seats (R27): one activation key per seat, bound to one device at a time."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.errors import Refusal, RuleViolation, TooManyRequests, not_found
from contracts.seats import DeviceActivated, DeviceDeactivated


@dataclass
class ActivationKey:
    key_id: str
    subscription_id: str
    account_id: str
    created_at: datetime
    device_id: str | None = None
    device_name: str | None = None
    activated_at: datetime | None = None
    person_id: str | None = None  # who activated it: the key is theirs while it is active (R27)
    email: str | None = None  # their e-mail then, to find their keys when they lose their seat (R24)

    @property
    def is_active(self) -> bool:
        return self.device_id is not None

    def held_by(self, person_id: str | None, email: str | None) -> bool:
        return self.is_active and (
            (person_id is not None and self.person_id == person_id)
            or (email is not None and self.email == email.lower())
        )

    def activate(
        self,
        device_id: str,
        device_name: str,
        person_id: str,
        email: str,
        their_keys: list[ActivationKey],
        keys_per_person: int,
        at: datetime,
    ) -> DeviceActivated:
        """R27: bound to one device; moving it needs a deactivation first. One person holds at
        most one key per device, and at most the pool's `keys_per_person` keys at once."""
        if self.device_id == device_id:
            raise RuleViolation(
                "already_active_here", f"Key {self.key_id} is already active on this device.", rule="R27"
            )
        if self.is_active:
            raise RuleViolation(
                "key_in_use",
                f"Key {self.key_id} is active on '{self.device_name or self.device_id}'; deactivate it there first.",
                rule="R27",
            )
        if any(k.device_id == device_id for k in their_keys):
            raise RuleViolation(
                "device_has_your_key",
                "You already hold a key active on this device; one key per device is enough.",
                rule="R27",
            )
        if len(their_keys) >= keys_per_person:
            raise RuleViolation(
                "keys_per_person_reached",
                f"You hold {len(their_keys)} active key(s), the "
                f"most this subscription allows one person ({keys_per_person}); deactivate one "
                "first.",
                rule="R27",
            )
        self.device_id, self.device_name, self.activated_at = device_id, device_name, at
        self.person_id, self.email = person_id, email.lower()
        return DeviceActivated(
            subscription_id=self.subscription_id,
            account_id=self.account_id,
            key_id=self.key_id,
            device_id=device_id,
            activated_at=at,
            person_id=person_id,
        )

    def ensure_may_deactivate(self, person_id: str, is_administrator: bool) -> None:
        """Only its holder or the administrator; to anyone else the key answers as a key that does
        not exist."""
        if not is_administrator and (self.person_id is None or self.person_id != person_id):
            raise not_found("activation key", self.key_id)

    def deactivate(self, at: datetime, reason: str = "deactivated") -> DeviceDeactivated:
        if not self.is_active:
            raise RuleViolation("key_not_active", f"Key {self.key_id} is not active on any device.", rule="R27")
        device_id, holder = self.device_id, self.person_id
        self.device_id = self.device_name = self.activated_at = self.person_id = self.email = None
        return DeviceDeactivated(
            subscription_id=self.subscription_id,
            account_id=self.account_id,
            key_id=self.key_id,
            device_id=device_id,
            deactivated_at=at,
            person_id=holder,
            reason=reason,
        )


RESET_WINDOW = timedelta(days=30)
DEFAULT_RESETS_PER_WINDOW = 3


def ensure_may_reset_device(resets: list[datetime], limit: int, at: datetime) -> None:
    """Issue 14: a lost or replaced machine is the first source of support tickets, so its
    holder may free their key themselves (a device reset), but at most `limit` times in any 30
    days (`resets`: when they did, in the last 30 days), so that a key cannot be passed from
    machine to machine as a floating seat. Past it: 429, with Retry-After until the oldest
    reset leaves the window; the administrator may still deactivate it."""
    if len(resets) < limit:
        return
    if limit <= 0:
        raise RuleViolation(
            "device_reset_by_administrator",
            "Only your subscription's administrator may deactivate this key here.",
            rule="R27",
            refusal=Refusal.FORBIDDEN,
        )
    frees_at = sorted(resets)[len(resets) - limit] + RESET_WINDOW
    wait = max(1, math.ceil((frees_at - at).total_seconds()))
    raise TooManyRequests(
        "device_resets_exceeded",
        f"You deactivated your keys {len(resets)} times in the last 30 days, the most allowed "
        f"({limit}); ask your subscription's administrator, or try again in {wait} seconds.",
        wait,
        rule="R27",
    )


def keys_to_retire(
    keys: list[ActivationKey], quantity: int, kept: Collection[str] = frozenset()
) -> list[ActivationKey]:
    """After a decrease, the inactive keys kept for nobody go first, newest first; then, only if
    more must go, inactive keys kept for a user (`kept`: their ids), newest first: a kept key
    was sent to its user in their licence e-mail (R41), and the decrease was refused while more
    users than seats were assigned (R25), so it rarely comes to that. An active key is never
    pulled from under its device (the decrease was refused while that many seats were in use)."""
    surplus = len(keys) - quantity
    if surplus <= 0:
        return []
    inactive = sorted(
        (k for k in keys if not k.is_active),
        key=lambda k: (k.key_id not in kept, k.created_at, k.key_id),
        reverse=True,
    )
    return inactive[:surplus]


def format_key(random_hex: str) -> str:
    """A readable key from 16 random hex digits: XXXX-XXXX-XXXX-XXXX."""
    digits = random_hex.upper()[:16]
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))
