"""Floating seats (R26): a lease taken at sign-in, kept alive by heartbeats, released at
sign-out or one hour after the last heartbeat. Never more live leases than seats.

Real life (issue 14): a laptop that slept past its lease gets it back within a revive window
if a seat is still free; a seat may be borrowed for offline work, with no heartbeat until the
borrow ends. A lease's life, at a time `at`:

- live: `at < expires_at` (a borrowed lease's `expires_at` is its borrow end); it counts
  against the seats, as every query of live leases (`released_at IS NULL AND expires_at > at`)
  counts it;
- lapsed: `expires_at <= at < revivable_until`; the seat is free, and the holder's heartbeat
  revives the lease if a seat still is;
- over: released, or `at >= revivable_until` (`ended_at` once the lease job has seen it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.envelope import Event
from contracts.errors import Refusal, RuleViolation, not_found
from contracts.seats import (
    LeaseBorrowed,
    LeaseExpired,
    LeaseHeartbeatMissed,
    LeaseReleased,
    LeaseRevived,
    LeaseRevoked,
    LeaseTaken,
)
from contracts.values import LicenceType
from seats.domain.access import TIER_RANK
from seats.domain.pools import SeatPool
from seats.domain.suspensions import PaymentSuspension, ensure_not_suspended, overdue_refusal

LEASE_DURATION = timedelta(hours=1)
DEFAULT_REVIVE = timedelta(hours=1)
DEFAULT_BORROW_MAX = timedelta(days=7)


@dataclass(frozen=True)
class LeasePolicy:
    """How long a lapsed lease may be revived, and how long a seat may be borrowed (settings
    `SEATS_LEASE_REVIVE_SECONDS`, `SEATS_LEASE_BORROW_MAX_DAYS`). A zero borrow allows none."""

    revive: timedelta = DEFAULT_REVIVE
    borrow_max: timedelta = DEFAULT_BORROW_MAX


DEFAULT_POLICY = LeasePolicy()


@dataclass
class Lease:
    lease_id: str
    subscription_id: str
    person_id: str
    email: str
    session_id: str | None
    acquired_at: datetime
    expires_at: datetime
    released_at: datetime | None = None
    account_id: str = ""  # the pool's, and its product's: the lease's events carry them
    product: str = ""
    # Until when a heartbeat revives the lease once it lapsed (None for leases taken before the
    # revive window existed: those end at their expiry).
    revivable_until: datetime | None = None
    borrowed_until: datetime | None = None  # borrowed for offline work until then
    missed_at: datetime | None = None  # the lease job saw it lapse (and said so) at this expiry
    ended_at: datetime | None = None  # its revive window passed: over for good

    @property
    def revive_deadline(self) -> datetime:
        return self.revivable_until or self.expires_at

    def is_live(self, at: datetime) -> bool:
        return self.released_at is None and at < self.expires_at

    def is_borrowed(self, at: datetime) -> bool:
        return self.is_live(at) and self.borrowed_until is not None and at < self.borrowed_until

    def is_over(self, at: datetime) -> bool:
        return self.released_at is not None or self.ended_at is not None or at >= self.revive_deadline

    def ensure_held_by(self, person_id: str) -> None:
        """Another person's lease answers exactly as a lease that does not exist."""
        if person_id != self.person_id:
            raise not_found("lease", self.lease_id)

    def taken(self) -> LeaseTaken:
        return LeaseTaken(
            **self._about(),
            session_id=self.session_id,
            taken_at=self.acquired_at,
            expires_at=self.expires_at,
        )

    def heartbeat(self, at: datetime, policy: LeasePolicy) -> None:
        """R26: while in use, the lease extends to an hour from now; a borrowed lease keeps its
        borrow end if that is later (a heartbeat never shortens a borrow). No event: a heartbeat
        is routine, not news. A lapsed lease needs `revive`."""
        self._ensure_not_over(at)
        if not self.is_live(at):
            raise RuntimeError("a lapsed lease is revived, not extended")
        self.expires_at = max(at + LEASE_DURATION, self.borrowed_until or at)
        self.revivable_until = self.expires_at + policy.revive

    def revive(
        self,
        pool: SeatPool,
        standing: Standing,
        live_leases: int,
        at: datetime,
        policy: LeasePolicy,
        suspensions: Sequence[PaymentSuspension] = (),
    ) -> LeaseRevived:
        """Issue 14: a heartbeat within the revive window takes the seat back, on the terms of
        taking one (R24, R26): still assigned, the pool in force, not suspended for an overdue
        invoice (issue 15), and a seat free now."""
        self._ensure_not_over(at)
        ensure_may_take_seat(pool, standing, LicenceType.FLOATING, rule="R26")
        ensure_not_suspended(suspensions, pool.subscription_id, at)
        if live_leases >= pool.assignable:
            raise RuleViolation(
                "no_free_seat",
                f"Your lease lapsed and all {pool.assignable} floating seats are in use now; "
                "try again when someone signs out.",
                rule="R26",
            )
        self.expires_at = at + LEASE_DURATION
        self.revivable_until = self.expires_at + policy.revive
        self.borrowed_until = self.missed_at = None
        return LeaseRevived(**self._about(), revived_at=at, expires_at=self.expires_at)

    def borrow(self, until: datetime, term_end: datetime | None, at: datetime, policy: LeasePolicy) -> LeaseBorrowed:
        """Issue 14: the holder takes the seat offline until `until`: no heartbeat is needed
        until then, and the seat counts as in use (R26) until then or until returned. At most
        the policy's maximum from now, never past the subscription's term end."""
        self._ensure_not_over(at)
        if not self.is_live(at):
            raise RuleViolation(
                "lease_lapsed", "This lease lapsed; send a heartbeat to revive it, then borrow it.", rule="R26"
            )
        if policy.borrow_max <= timedelta(0):
            raise RuleViolation(
                "borrowing_disabled", "Borrowing floating seats for offline use is turned off here.", rule="R26"
            )
        if until <= at:
            raise RuleViolation(
                "borrow_in_the_past", "Borrow until a time in the future.", rule="R26", refusal=Refusal.INVALID
            )
        latest = at + policy.borrow_max
        if until > latest:
            raise RuleViolation(
                "borrow_too_long",
                f"A floating seat may be borrowed for at most {_days(policy.borrow_max)}: until {latest.isoformat()}.",
                rule="R26",
                refusal=Refusal.INVALID,
            )
        if term_end is not None and until > term_end:
            raise RuleViolation(
                "borrow_past_term_end",
                f"The subscription's term ends {term_end.isoformat()}; borrow until then at the latest.",
                rule="R26",
                refusal=Refusal.INVALID,
            )
        self.borrowed_until = until
        self.expires_at = until
        self.revivable_until = until + policy.revive
        return LeaseBorrowed(**self._about(), borrowed_at=at, borrowed_until=until)

    def release(self, at: datetime, reason: str = "released") -> LeaseReleased:
        """R26: given back by its holder or the administrator (`released`), or at sign-out
        (`signed_out`); a lapsed lease may still be given back, which ends its revive window."""
        if self.released_at is not None:
            raise RuleViolation("lease_released", "This lease was released; take a new one.", rule="R26")
        self._ensure_not_over(at)
        self.released_at = at
        return LeaseReleased(**self._about(), released_at=at, reason=reason)

    def revoke(self, account_id: str, reason: str, at: datetime) -> LeaseRevoked:
        """R24: taken back from its holder at once (an unassignment), which the event says."""
        self.released_at = at
        return LeaseRevoked(
            subscription_id=self.subscription_id,
            account_id=account_id,
            lease_id=self.lease_id,
            person_id=self.person_id,
            session_id=self.session_id,
            reason=reason,
            revoked_at=at,
        )

    def watch(self, at: datetime) -> tuple[list[Event], datetime | None]:
        """The lease job (issue 14): what a lease that reached its expiry or its revive deadline
        tells, and when to look again (None: never). Idempotent: what was told is recorded
        (`missed_at`, `ended_at`) and not told twice; a heartbeat or a borrow since only moves
        the next look."""
        if self.released_at is not None or self.ended_at is not None:
            return [], None
        if at < self.expires_at:
            return [], self.expires_at
        events: list[Event] = []
        if self.missed_at != self.expires_at:
            self.missed_at = self.expires_at
            events.append(
                LeaseHeartbeatMissed(**self._about(), expired_at=self.expires_at, revivable_until=self.revive_deadline)
            )
        if at < self.revive_deadline:
            return events, self.revive_deadline
        self.ended_at = self.revive_deadline
        events.append(LeaseExpired(**self._about(), expired_at=self.ended_at))
        return events, None

    def _about(self) -> dict[str, str]:
        return dict(
            subscription_id=self.subscription_id,
            account_id=self.account_id,
            lease_id=self.lease_id,
            person_id=self.person_id,
            product=self.product,
        )

    def _ensure_not_over(self, at: datetime) -> None:
        if self.released_at is not None:
            raise RuleViolation("lease_released", "This lease was released; take a new one.", rule="R26")
        if self.ended_at is not None or at >= self.revive_deadline:
            raise RuleViolation(
                "lease_expired",
                "This lease expired an hour after its last heartbeat and its revive window passed; take a new one.",
                rule="R26",
            )


def _days(span: timedelta) -> str:
    return f"{span.days} days" if span.days and span == timedelta(days=span.days) else f"{span}"


def acquire(
    pool: SeatPool,
    standing: Standing,
    live_leases: int,
    *,
    lease_id: str,
    person_id: str,
    email: str,
    session_id: str | None,
    at: datetime,
    policy: LeasePolicy = DEFAULT_POLICY,
    suspensions: Sequence[PaymentSuspension] = (),
) -> Lease:
    """R26: a floating seat for one hour, for a person assigned to the pool (R24), if one of the
    quantity in force is free; none while billing suspends the pool's period in force for an
    overdue invoice (issue 15, 403 `payment_overdue`)."""
    ensure_may_take_seat(pool, standing, LicenceType.FLOATING, rule="R26")
    ensure_not_suspended(suspensions, pool.subscription_id, at)
    if live_leases >= pool.assignable:
        raise RuleViolation(
            "no_free_seat",
            f"All {pool.assignable} floating seats are in use; try again when someone signs out, or add seats.",
            rule="R26",
        )
    return Lease(
        lease_id=lease_id,
        subscription_id=pool.subscription_id,
        person_id=person_id,
        email=email.lower(),
        session_id=session_id,
        acquired_at=at,
        expires_at=at + LEASE_DURATION,
        account_id=pool.account_id,
        product=pool.product,
        revivable_until=at + LEASE_DURATION + policy.revive,
    )


@dataclass(frozen=True)
class Offer:
    """A floating pool of a product the person may take a seat of, as it stands, locked."""

    pool: SeatPool
    standing: Standing
    live_leases: int
    suspended: PaymentSuspension | None = None  # its period in force, for an overdue invoice (issue 15)

    @property
    def free(self) -> int:
        return self.pool.assignable - self.live_leases


def best_offer(offers: list[Offer], product: str) -> Offer:
    """Taking a seat of a product (issue 14): among the floating pools of the product where the
    person is assigned, the best tier, then the pool with most free seats (the subscription id
    breaks ties, so that the choice is the same every time). None assigned: refused as taking a
    seat of one pool would be (R24); all full: 409 `no_free_seat` (R26). A pool suspended for an
    overdue invoice offers nothing (issue 15); when all of theirs are, 403 `payment_overdue`."""
    assigned = [o for o in offers if o.standing.is_assigned]
    if not assigned:
        raise RuleViolation(
            "no_seat_assigned",
            f"You hold no floating seat of {product}; the administrator of your subscription assigns seats.",
            rule="R24",
            refusal=Refusal.FORBIDDEN,
        )
    mine = [o for o in assigned if o.suspended is None]
    if not mine:
        suspended = min(
            (o.suspended for o in assigned if o.suspended is not None), key=lambda s: (s.suspended_at, s.invoice_id)
        )
        raise overdue_refusal(suspended)
    free = [o for o in mine if o.free > 0]
    if not free:
        seats = sum(o.pool.assignable for o in mine)
        raise RuleViolation(
            "no_free_seat",
            f"All {seats} floating seats of {product} open to you are in use; try again when someone signs out.",
            rule="R26",
        )
    return max(free, key=lambda o: (TIER_RANK.get(o.pool.tier, 0), o.free, o.pool.subscription_id))


@dataclass(frozen=True)
class Standing:
    """Who the signed-in person is to a subscription, as far as using its seats goes."""

    is_administrator: bool  # its administrator, acting for its account (R6)
    is_listed: bool  # one of its users, by person id or e-mail (R22)
    is_assigned: bool  # a listed user holding an assignment (R22, R25)


def ensure_may_take_seat(pool: SeatPool, standing: Standing, licence_type: LicenceType, rule: str) -> None:
    """A lease (R26) or a device activation (R27) needs an assignment: an unassigned user loses
    access at once (R24) and a listed user is not yet given one. Someone who is neither a user
    nor the administrator is told the subscription does not exist, as anyone asking about a
    subscription that does not (no existence oracle)."""
    if not (standing.is_administrator or standing.is_listed):
        raise not_found("subscription", pool.subscription_id)
    pool.ensure_unlocked_for(licence_type, rule=rule)
    if not standing.is_assigned:
        raise RuleViolation(
            "no_seat_assigned",
            "You hold no seat of this subscription; its administrator "
            "assigns seats (POST /subscriptions/{id}/users/assignments).",
            rule="R24",
            refusal=Refusal.FORBIDDEN,
        )
