"""Seat pool rules: locked until activation, quantity changes, assignments, deprovisioning.

Pure: times come in as arguments, methods return the events they cause.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from contracts.errors import Refusal, RuleViolation, not_found
from contracts.seats import SeatDecreaseScheduled, SeatQuantityChanged, SeatsDeprovisioned, SeatsUnlocked
from contracts.values import Contact, LicenceType, Money


class PoolStatus(str, Enum):
    LOCKED = "locked"
    UNLOCKED = "unlocked"
    CLOSED = "closed"  # the order lapsed before activation
    DEPROVISIONED = "deprovisioned"


@dataclass
class Assignment:
    user_id: str
    email: str
    assigned_at: datetime


@dataclass
class SeatPool:
    subscription_id: str
    account_id: str
    administrator: Contact
    licence_type: LicenceType
    quantity: int
    status: PoolStatus = PoolStatus.LOCKED
    term_start: datetime | None = None
    term_end: datetime | None = None
    unit_price: Money | None = None
    scheduled_quantity: int | None = None
    deprovision_at: datetime | None = None
    assignments: list[Assignment] = field(default_factory=list)

    def ensure_administered_by(self, person_id: str) -> None:
        """R6: only the subscription's administrator manages its seats."""
        if person_id != self.administrator.person_id:
            raise not_found("subscription", self.subscription_id)

    @property
    def assignable(self) -> int:
        """R25: never more assignments than the quantity in force, nor than a scheduled decrease allows."""
        limits = [self.quantity] + ([self.scheduled_quantity] if self.scheduled_quantity is not None else [])
        return min(limits)

    def unlock(self, quantity: int, term_start: datetime, term_end: datetime, unit_price: Money,
               administrator: Contact, at: datetime) -> SeatsUnlocked | None:
        """R21: activation unlocks the purchased quantity."""
        if self.status is not PoolStatus.LOCKED:
            return None
        self.status, self.quantity, self.administrator = PoolStatus.UNLOCKED, quantity, administrator
        self.term_start, self.term_end, self.unit_price = term_start, term_end, unit_price
        return SeatsUnlocked(subscription_id=self.subscription_id, account_id=self.account_id,
                             quantity=quantity, licence_type=self.licence_type, unlocked_at=at)

    def close(self) -> None:
        if self.status is PoolStatus.LOCKED:
            self.status = PoolStatus.CLOSED

    def _ensure_unlocked(self) -> None:
        if self.status is PoolStatus.LOCKED:
            raise RuleViolation("seats_locked", "Seats are locked until the administrator accepts the "
                                "agreement and the subscription is active.", rule="R21")
        if self.status is not PoolStatus.UNLOCKED:
            raise RuleViolation("seats_unavailable", f"The seats are {self.status.value}.", rule="R28")

    def assign(self, user_id: str, email: str, at: datetime) -> Assignment:
        self._ensure_unlocked()
        email = email.strip().lower()
        if any(a.email == email for a in self.assignments):
            raise RuleViolation("already_assigned", f"{email} already has a seat.")
        if len(self.assignments) >= self.assignable:
            raise RuleViolation("no_free_seat", f"All {self.assignable} seats are assigned; "
                                "add seats or free one first.", rule="R25")
        assignment = Assignment(user_id=user_id, email=email, assigned_at=at)
        self.assignments.append(assignment)
        return assignment

    def change_quantity(self, new_quantity: int, at: datetime
                        ) -> SeatQuantityChanged | SeatDecreaseScheduled:
        """R25: an increase takes effect at once; a decrease at the end of the term."""
        self._ensure_unlocked()
        if new_quantity < 1:
            raise RuleViolation("quantity_too_small", "Keep at least one seat; to stop, cancel the "
                                "subscription.", rule="R25", refusal=Refusal.INVALID)
        if new_quantity > self.quantity:
            self.scheduled_quantity = None
            return self._apply_quantity(new_quantity, requested_at=at, effective_at=at)
        if new_quantity == self.quantity:
            raise RuleViolation("quantity_unchanged", f"The quantity is already {new_quantity}.",
                                rule="R25", refusal=Refusal.INVALID)
        if new_quantity < len(self.assignments):
            raise RuleViolation("decrease_below_assigned",
                                f"{len(self.assignments)} seats are assigned; unassign users before "
                                f"reducing to {new_quantity}.", rule="R25")
        self.scheduled_quantity = new_quantity
        return SeatDecreaseScheduled(
            subscription_id=self.subscription_id, account_id=self.account_id,
            current_quantity=self.quantity, scheduled_quantity=new_quantity,
            requested_at=at, effective_at=self.term_end)

    def apply_scheduled_decrease(self, requested_at: datetime, at: datetime) -> SeatQuantityChanged | None:
        if self.status is not PoolStatus.UNLOCKED or self.scheduled_quantity is None:
            return None
        new_quantity, self.scheduled_quantity = self.scheduled_quantity, None
        return self._apply_quantity(new_quantity, requested_at=requested_at, effective_at=at)

    def _apply_quantity(self, new_quantity: int, requested_at: datetime,
                        effective_at: datetime) -> SeatQuantityChanged:
        previous, self.quantity = self.quantity, new_quantity
        return SeatQuantityChanged(
            subscription_id=self.subscription_id, account_id=self.account_id,
            previous_quantity=previous, new_quantity=new_quantity, requested_at=requested_at,
            effective_at=effective_at, term_start=self.term_start, term_end=self.term_end,
            unit_price=self.unit_price)

    def schedule_deprovisioning(self, at: datetime) -> None:
        self.deprovision_at = at

    def deprovision(self, at: datetime) -> SeatsDeprovisioned | None:
        """R28: at the end of the last term every assignment is revoked."""
        if self.status is PoolStatus.DEPROVISIONED:
            return None
        revoked = [a.user_id for a in self.assignments]
        self.assignments, self.status, self.scheduled_quantity = [], PoolStatus.DEPROVISIONED, None
        return SeatsDeprovisioned(subscription_id=self.subscription_id, account_id=self.account_id,
                                  administrator=self.administrator, revoked_user_ids=revoked,
                                  deprovisioned_at=at)
