"""Seat pool rules: locked until activation, quantity changes, assignments, deprovisioning.

Pure: times come in as arguments, methods return the events they cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from contracts.errors import InconsistentEvent, Refusal, RuleViolation, not_found
from contracts.seats import SeatDecreaseScheduled, SeatQuantityChanged, SeatsDeprovisioned, SeatsUnlocked
from contracts.values import Contact, LicenceType, Money, Software


class PoolStatus(str, Enum):
    LOCKED = "locked"
    UNLOCKED = "unlocked"
    CLOSED = "closed"  # the order lapsed before activation
    DEPROVISIONED = "deprovisioned"
    # A cancelled term ended: every seat was revoked (R28), but a renewal within the 10 days of
    # grace brings the quantity back, unassigned (R48).
    SUSPENDED = "suspended"


DEFAULT_KEYS_PER_PERSON = 1
MAX_KEYS_PER_PERSON = 100


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
    decrease_requested_at: datetime | None = None
    trial_ends_at: datetime | None = None  # set while the pool is a free trial (R10)
    product: str = ""
    tier: str = ""
    # R27: how many node-locked keys one person may hold active at once (the pool's policy).
    keys_per_person: int = DEFAULT_KEYS_PER_PERSON
    # The quantity of the purchase this pool was opened (or converted) by: the activation that
    # unlocks it must agree. None for pools opened before it was recorded.
    ordered_quantity: int | None = None
    # How the product is used at the tier in force (start or download link, modules, limits),
    # from the events that put the tier in force; None for pools opened by older events. It goes
    # into "My software" (R40) and the licence e-mail (R41).
    software: Software | None = None
    add_ons: list[str] = field(default_factory=list)  # add-on codes bought (R20)

    @classmethod
    def for_trial(
        cls,
        subscription_id: str,
        account_id: str,
        administrator: Contact,
        licence_type: LicenceType,
        started_at: datetime,
        ends_at: datetime,
    ) -> SeatPool:
        """R10: a trial is usable at once, with one seat, until it ends or converts."""
        return cls(
            subscription_id,
            account_id,
            administrator,
            licence_type,
            quantity=1,
            status=PoolStatus.UNLOCKED,
            term_start=started_at,
            term_end=ends_at,
            trial_ends_at=ends_at,
        )

    @property
    def is_trial(self) -> bool:
        return self.trial_ends_at is not None

    # -- agreement with the events that change it (issue 11: a forged event changes nothing) ----
    def ensure_owned_by(self, account_id: str, what: str) -> None:
        """An event about this subscription names the account that owns it; another account is a
        contradiction (a forged or corrupted event), never a change of owner."""
        if account_id != self.account_id:
            raise InconsistentEvent(
                f"{what} names account {account_id}, but subscription "
                f"{self.subscription_id} belongs to account {self.account_id}."
            )

    def ensure_administered_now_by(self, person_id: str, what: str) -> None:
        """An event that names the administrator in office must name the one seats knows: every
        change of administrator arrives as a transfer, in order, on the subscription's partition."""
        if person_id != self.administrator.person_id:
            raise InconsistentEvent(
                f"{what} names administrator {person_id}, but the administrator of "
                f"subscription {self.subscription_id} is {self.administrator.person_id}."
            )

    def ensure_activation_agrees(
        self, account_id: str, administrator_id: str, licence_type: LicenceType, product: str, quantity: int
    ) -> None:
        """R21: only the purchase seats saw opens a pool; the activation that unlocks it must be of
        that purchase: same account, administrator, licence type, product and quantity."""
        what = "subscription.activated"
        self.ensure_owned_by(account_id, what)
        self.ensure_administered_now_by(administrator_id, what)
        if licence_type is not self.licence_type:
            raise InconsistentEvent(
                f"{what} says {licence_type.value} seats; subscription "
                f"{self.subscription_id} was bought with {self.licence_type.value} seats."
            )
        if product and self.product and product != self.product:
            raise InconsistentEvent(
                f"{what} names product {product}; subscription {self.subscription_id} is of {self.product}."
            )
        if not self._awaits_activation:
            return  # already unlocked: a re-publication, which unlocks nothing
        if self.is_trial and self.ordered_quantity is None:
            raise InconsistentEvent(
                f"{what} for trial {self.subscription_id}, which seats never saw "
                "bought (R10: a purchase converting the trial comes first)."
            )
        if self.ordered_quantity is not None and quantity != self.ordered_quantity:
            raise InconsistentEvent(
                f"{what} unlocks {quantity} seats; subscription {self.subscription_id} "
                f"was bought with {self.ordered_quantity}."
            )

    def record_conversion(self, quantity: int) -> None:
        """R10: the purchase that converts this trial; its activation unlocks this quantity."""
        self.ordered_quantity = quantity

    def ensure_administered_by(self, person_id: str, account_id: str) -> None:
        """R6, R17: only the subscription's administrator, acting for its account, manages its
        seats; anyone else (a previous administrator too) is told it does not exist."""
        if not self.is_administered_by(person_id, account_id):
            raise not_found("subscription", self.subscription_id)

    def is_administered_by(self, person_id: str, account_id: str) -> bool:
        return person_id == self.administrator.person_id and account_id == self.account_id

    @property
    def assignable(self) -> int:
        """R25: never more assignments than the quantity in force, nor than a scheduled decrease allows."""
        limits = [self.quantity] + ([self.scheduled_quantity] if self.scheduled_quantity is not None else [])
        return min(limits)

    @property
    def caps_assignments(self) -> bool:
        """R25 for named and node-locked seats: an assignment is a seat. In a floating pool an
        assignment is the right to take one of its seats when free (R26): the quantity bounds the
        leases held at once, not the people allowed to take them."""
        return self.licence_type is not LicenceType.FLOATING

    def unlock(
        self,
        quantity: int,
        term_start: datetime,
        term_end: datetime,
        unit_price: Money,
        administrator: Contact,
        at: datetime,
    ) -> SeatsUnlocked | None:
        """R21: activation unlocks the purchased quantity; R10: a converted trial keeps its pool
        (and its assigned seat) and gets the paid quantity."""
        if not self._awaits_activation:
            return None
        self.status, self.quantity, self.administrator = PoolStatus.UNLOCKED, quantity, administrator
        self.term_start, self.term_end, self.unit_price = term_start, term_end, unit_price
        self.trial_ends_at = None
        return SeatsUnlocked(
            subscription_id=self.subscription_id,
            account_id=self.account_id,
            quantity=quantity,
            licence_type=self.licence_type,
            unlocked_at=at,
        )

    @property
    def _awaits_activation(self) -> bool:
        return self.status is PoolStatus.LOCKED or (self.status is PoolStatus.UNLOCKED and self.is_trial)

    def close(self) -> None:
        if self.status is PoolStatus.LOCKED:
            self.status = PoolStatus.CLOSED

    def ensure_unlocked(self) -> None:
        if self.status is PoolStatus.LOCKED:
            raise RuleViolation(
                "seats_locked",
                "Seats are locked until the administrator accepts the agreement and the subscription is active.",
                rule="R21",
            )
        if self.status is not PoolStatus.UNLOCKED:
            raise RuleViolation("seats_unavailable", f"The seats are {self.status.value}.", rule="R28")

    def ensure_usable(self) -> None:
        """Users can be listed and invited before activation, but not once the pool is over (R28)."""
        if self.status in (PoolStatus.CLOSED, PoolStatus.DEPROVISIONED):
            raise RuleViolation(
                "seats_unavailable", f"The seats are {self.status.value}; the subscription is over.", rule="R28"
            )

    def ensure_unlocked_for(self, licence_type: LicenceType, rule: str) -> None:
        """Leases (R26) and device activations (R27) need an active pool of their licence type."""
        self.ensure_unlocked()
        if self.licence_type is not licence_type:
            raise RuleViolation(
                "wrong_licence_type",
                f"This subscription's seats are {self.licence_type.value}, not {licence_type.value}.",
                rule=rule,
            )

    def holds(self, user_id: str) -> bool:
        return any(a.user_id == user_id for a in self.assignments)

    @property
    def free_seats(self) -> int | None:
        """Seats left to assign; None where assignments are not capped (floating)."""
        return max(self.assignable - len(self.assignments), 0) if self.caps_assignments else None

    def assignment_of(self, user_ids: set[str]) -> Assignment | None:
        return next((a for a in self.assignments if a.user_id in user_ids), None)

    def set_keys_per_person(self, keys: int) -> None:
        """R27: the pool's policy on how many devices one person may activate at once."""
        if self.licence_type is not LicenceType.NODE_LOCKED:
            raise RuleViolation(
                "wrong_licence_type",
                f"This subscription's seats are {self.licence_type.value}; keys per person apply to node-locked seats.",
                rule="R27",
                refusal=Refusal.INVALID,
            )
        if not 1 <= keys <= MAX_KEYS_PER_PERSON:
            raise RuleViolation(
                "keys_per_person_out_of_range",
                f"Keys per person go from 1 to {MAX_KEYS_PER_PERSON}.",
                rule="R27",
                refusal=Refusal.INVALID,
            )
        self.ensure_usable()
        self.keys_per_person = keys

    def assign(self, user_id: str, email: str, at: datetime) -> Assignment:
        self.ensure_unlocked()
        email = email.strip().lower()
        if self.holds(user_id) or any(a.email == email for a in self.assignments):
            raise RuleViolation("already_assigned", f"{email} already has a seat.", rule="R22")
        if self.caps_assignments and len(self.assignments) >= self.assignable:
            raise RuleViolation(
                "no_free_seat", f"All {self.assignable} seats are assigned; add seats or free one first.", rule="R25"
            )
        assignment = Assignment(user_id=user_id, email=email, assigned_at=at)
        self.assignments.append(assignment)
        return assignment

    def unassign(self, user_id: str, email: str) -> None:
        """R24: the seat is free again at once."""
        if not self.holds(user_id):
            raise RuleViolation(
                "not_assigned", f"{email} has no seat to free; only assigned users can be unassigned.", rule="R24"
            )
        self.assignments = [a for a in self.assignments if a.user_id != user_id]

    def change_quantity(self, new_quantity: int, at: datetime) -> SeatQuantityChanged | SeatDecreaseScheduled:
        """R25: an increase takes effect at once; a decrease at the end of the term."""
        self.ensure_unlocked()
        if self.is_trial:
            raise RuleViolation(
                "trial_has_one_seat", "A trial has one seat; buy the tier to choose the quantity.", rule="R10"
            )
        if new_quantity < 1:
            raise RuleViolation(
                "quantity_too_small",
                "Keep at least one seat; to stop, cancel the subscription.",
                rule="R25",
                refusal=Refusal.INVALID,
            )
        if new_quantity > self.quantity:
            self.scheduled_quantity = self.decrease_requested_at = None
            return self._apply_quantity(new_quantity, requested_at=at, effective_at=at)
        if new_quantity == self.quantity:
            raise RuleViolation(
                "quantity_unchanged", f"The quantity is already {new_quantity}.", rule="R25", refusal=Refusal.INVALID
            )
        if self.caps_assignments and new_quantity < len(self.assignments):
            raise RuleViolation(
                "decrease_below_assigned",
                f"{len(self.assignments)} seats are assigned; unassign users before reducing to {new_quantity}.",
                rule="R25",
            )
        self.scheduled_quantity, self.decrease_requested_at = new_quantity, at
        return SeatDecreaseScheduled(
            subscription_id=self.subscription_id,
            account_id=self.account_id,
            current_quantity=self.quantity,
            scheduled_quantity=new_quantity,
            requested_at=at,
            effective_at=self.term_end,
        )

    def apply_scheduled_decrease(self, requested_at: datetime, at: datetime) -> SeatQuantityChanged | None:
        if self.status is not PoolStatus.UNLOCKED or self.scheduled_quantity is None:
            return None
        new_quantity = self.scheduled_quantity
        self.scheduled_quantity = self.decrease_requested_at = None
        return self._apply_quantity(new_quantity, requested_at=requested_at, effective_at=at)

    def _apply_quantity(self, new_quantity: int, requested_at: datetime, effective_at: datetime) -> SeatQuantityChanged:
        previous, self.quantity = self.quantity, new_quantity
        return SeatQuantityChanged(
            subscription_id=self.subscription_id,
            account_id=self.account_id,
            previous_quantity=previous,
            new_quantity=new_quantity,
            requested_at=requested_at,
            effective_at=effective_at,
            term_start=self.term_start,
            term_end=self.term_end,
            unit_price=self.unit_price,
        )

    def renew(self, term_start: datetime, term_end: datetime, unit_price: Money) -> SeatQuantityChanged | None:
        """R11: a new term with its price. A decrease due at the old term end (R25) takes effect
        first, within the old term, whether its job fired before this renewal or not. R48: a
        cancelled term renewed within its grace has its seats again (unassigned: R28 revoked
        them at its end)."""
        if self.status in (PoolStatus.CLOSED, PoolStatus.DEPROVISIONED):
            return None
        if self.term_end is not None and term_end <= self.term_end:
            return None  # this term (or a later one) is already in force
        if self.status is PoolStatus.SUSPENDED:
            self.status = PoolStatus.UNLOCKED
        applied = None
        if self.term_end is not None and self.term_end <= term_start:
            requested_at = self.decrease_requested_at or self.term_end
            applied = self.apply_scheduled_decrease(requested_at, at=self.term_end)
        self.term_start, self.term_end, self.unit_price = term_start, term_end, unit_price
        return applied

    def change_price(self, unit_price: Money, tier: str = "", software: Software | None = None) -> None:
        """R12: after a tier change, later quantity changes are priced in the new tier, whose
        software (modules, limits) is now in force."""
        self.unit_price = unit_price
        self.tier = tier or self.tier
        self.software = software or self.software

    def describe_plan(self, product: str, tier: str, software: Software | None = None) -> None:
        """What the access query answers with; an event that does not carry it keeps the old one."""
        self.product, self.tier = product or self.product, tier or self.tier
        self.software = software or self.software

    def add_addon(self, addon: str) -> bool:
        """R20: an add-on is part of the subscription from now on; False when it already was (a
        re-publication)."""
        if addon in self.add_ons:
            return False
        self.add_ons = [*self.add_ons, addon]
        return True

    def transfer_administration(self, new_administrator: Contact) -> None:
        """R17: the new administrator has full control; the previous one none, from now on."""
        self.administrator = new_administrator

    def schedule_deprovisioning(self, at: datetime) -> None:
        self.deprovision_at = at

    def withdraw_deprovisioning(self) -> None:
        """A withdrawn cancellation: the subscription renews as usual, nothing is revoked."""
        self.deprovision_at = None

    def suspend(self, at: datetime) -> SeatsDeprovisioned | None:
        """R28 at the end of a cancelled term: every assignment is revoked at once, though the
        subscription may still be renewed within its 10 days of grace (R48, `renew`)."""
        if self.status is not PoolStatus.UNLOCKED:
            return None
        revoked = self.deprovision(at)
        self.status = PoolStatus.SUSPENDED
        return revoked

    def deprovision(self, at: datetime) -> SeatsDeprovisioned | None:
        """R28: at the end of the last term every assignment is revoked (once: a pool suspended
        at its cancelled term's end has nothing left to revoke when the grace ends)."""
        if self.status is PoolStatus.DEPROVISIONED:
            return None
        if self.status is PoolStatus.SUSPENDED:
            self.status = PoolStatus.DEPROVISIONED
            return None
        revoked = [a.user_id for a in self.assignments]
        self.assignments, self.status, self.scheduled_quantity = [], PoolStatus.DEPROVISIONED, None
        self.decrease_requested_at = None
        return SeatsDeprovisioned(
            subscription_id=self.subscription_id,
            account_id=self.account_id,
            administrator=self.administrator,
            revoked_user_ids=revoked,
            deprovisioned_at=at,
        )
