"""Floating seats (R26): a lease taken at sign-in, kept alive by heartbeats, released at
sign-out or one hour after the last heartbeat. Never more live leases than seats.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.errors import Refusal, RuleViolation
from contracts.values import LicenceType
from seats.domain.pool import SeatPool

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

    def is_live(self, at: datetime) -> bool:
        """An expired lease never counts, whether or not anything marked it."""
        return self.released_at is None and at < self.expires_at

    def ensure_held_by(self, person_id: str) -> None:
        if person_id != self.person_id:
            raise RuleViolation("lease_not_found", f"No lease {self.lease_id} is yours.",
                                refusal=Refusal.NOT_FOUND)

    def heartbeat(self, at: datetime) -> None:
        """R26: while in use, the lease extends to an hour from now."""
        self._ensure_live(at)
        self.expires_at = at + LEASE_DURATION

    def release(self, at: datetime) -> None:
        self._ensure_live(at)
        self.released_at = at

    def _ensure_live(self, at: datetime) -> None:
        if self.released_at is not None:
            raise RuleViolation("lease_released", "This lease was released; take a new one.", rule="R26")
        if at >= self.expires_at:
            raise RuleViolation("lease_expired", "This lease expired an hour after its last heartbeat; "
                                "take a new one.", rule="R26")


def acquire(pool: SeatPool, live_leases: int, *, lease_id: str, person_id: str, email: str,
            session_id: str | None, at: datetime) -> Lease:
    """R26: a floating seat for one hour, if one of the quantity in force is free."""
    pool.ensure_unlocked_for(LicenceType.FLOATING, rule="R26")
    if live_leases >= pool.assignable:
        raise RuleViolation("no_free_seat", f"All {pool.assignable} floating seats are in use; try "
                            "again when someone signs out, or add seats.", rule="R26")
    return Lease(lease_id=lease_id, subscription_id=pool.subscription_id, person_id=person_id,
                 email=email.lower(), session_id=session_id, acquired_at=at, expires_at=at + LEASE_DURATION)


def ensure_may_use(pool: SeatPool, person_id: str, account_id: str, is_listed_user: bool, rule: str) -> None:
    """The administrator (acting for the subscription's account, R6) and the subscription's users
    (by person id or e-mail, whichever account they act for) may use its seats."""
    is_administrator = person_id == pool.administrator.person_id and account_id == pool.account_id
    if not (is_administrator or is_listed_user):
        raise RuleViolation("not_a_user", "You are not a user of this subscription; ask its "
                            "administrator to add you.", rule=rule, refusal=Refusal.FORBIDDEN)
