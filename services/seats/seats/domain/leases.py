"""Floating seats (R26): a lease taken at sign-in, kept alive by heartbeats, released at
sign-out or one hour after the last heartbeat. Never more live leases than seats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.errors import Refusal, RuleViolation, not_found
from contracts.seats import LeaseRevoked
from contracts.values import LicenceType
from seats.domain.pools import SeatPool

LEASE_DURATION = timedelta(hours=1)


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

    def ensure_held_by(self, person_id: str) -> None:
        """Another person's lease answers exactly as a lease that does not exist."""
        if person_id != self.person_id:
            raise not_found("lease", self.lease_id)

    def heartbeat(self, at: datetime) -> None:
        """R26: while in use, the lease extends to an hour from now."""
        self._ensure_live(at)
        self.expires_at = at + LEASE_DURATION

    def release(self, at: datetime) -> None:
        self._ensure_live(at)
        self.released_at = at

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

    def _ensure_live(self, at: datetime) -> None:
        if self.released_at is not None:
            raise RuleViolation("lease_released", "This lease was released; take a new one.", rule="R26")
        if at >= self.expires_at:
            raise RuleViolation(
                "lease_expired", "This lease expired an hour after its last heartbeat; take a new one.", rule="R26"
            )


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
) -> Lease:
    """R26: a floating seat for one hour, for a person assigned to the pool (R24), if one of the
    quantity in force is free."""
    ensure_may_take_seat(pool, standing, LicenceType.FLOATING, rule="R26")
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
    )


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
