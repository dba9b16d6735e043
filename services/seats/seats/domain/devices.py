"""Node-locked seats (R27): one activation key per seat, bound to one device at a time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts.errors import RuleViolation
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

    @property
    def is_active(self) -> bool:
        return self.device_id is not None

    def activate(self, device_id: str, device_name: str, at: datetime) -> DeviceActivated:
        """R27: bound to one device; moving it needs a deactivation first."""
        if self.device_id == device_id:
            raise RuleViolation("already_active_here", f"Key {self.key_id} is already active on this "
                                "device.", rule="R27")
        if self.is_active:
            raise RuleViolation("key_in_use", f"Key {self.key_id} is active on "
                                f"'{self.device_name or self.device_id}'; deactivate it there first.", rule="R27")
        self.device_id, self.device_name, self.activated_at = device_id, device_name, at
        return DeviceActivated(subscription_id=self.subscription_id, account_id=self.account_id,
                               key_id=self.key_id, device_id=device_id, activated_at=at)

    def deactivate(self, at: datetime) -> DeviceDeactivated:
        if not self.is_active:
            raise RuleViolation("key_not_active", f"Key {self.key_id} is not active on any device.",
                                rule="R27")
        device_id = self.device_id
        self.device_id = self.device_name = self.activated_at = None
        return DeviceDeactivated(subscription_id=self.subscription_id, account_id=self.account_id,
                                 key_id=self.key_id, device_id=device_id, deactivated_at=at)


def keys_to_retire(keys: list[ActivationKey], quantity: int) -> list[ActivationKey]:
    """After a decrease, the newest inactive keys go first; an active key is never pulled from
    under its device (the decrease was refused while that many seats were in use, R25)."""
    surplus = len(keys) - quantity
    if surplus <= 0:
        return []
    inactive = sorted((k for k in keys if not k.is_active), key=lambda k: (k.created_at, k.key_id))
    return inactive[::-1][:surplus]


def format_key(random_hex: str) -> str:
    """A readable key from 16 random hex digits: XXXX-XXXX-XXXX-XXXX."""
    digits = random_hex.upper()[:16]
    return "-".join(digits[i:i + 4] for i in range(0, 16, 4))
