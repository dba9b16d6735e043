"""Failed sign-ins slow down further attempts, per e-mail address (guessing passwords, R1).

After 5 failures with no 15-minute pause between them, the address is blocked for 30 s, and
each further failure doubles the wait, up to 15 minutes. Attempts while blocked are refused
without checking the password, so they neither count nor reveal anything. A success resets it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.errors import Refusal, RuleViolation

FREE_FAILURES = 5
WINDOW = timedelta(minutes=15)
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(minutes=15)


class TooManySignInAttempts(RuleViolation):
    """Answered 429 with `Retry-After: retry_after_seconds`."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("too_many_sign_in_attempts", f"Too many failed sign-ins for this e-mail; try again "
                         f"in {retry_after_seconds} seconds.", rule="R1", refusal=Refusal.FORBIDDEN)
        self.retry_after_seconds = retry_after_seconds


@dataclass
class SignInThrottle:
    email: str
    failures: int = 0
    last_failure_at: datetime | None = None
    blocked_until: datetime | None = None

    def check(self, now: datetime) -> None:
        if self.blocked_until is not None and now < self.blocked_until:
            wait = (self.blocked_until - now).total_seconds()
            raise TooManySignInAttempts(max(1, math.ceil(wait)))

    def record_failure(self, now: datetime) -> None:
        if self.last_failure_at is not None and now - self.last_failure_at > WINDOW:
            self.failures = 0  # a quiet quarter of an hour forgives earlier failures
        self.failures += 1
        self.last_failure_at = now
        if self.failures >= FREE_FAILURES:
            self.blocked_until = now + wait_after(self.failures)

    def reset(self) -> None:
        self.failures, self.last_failure_at, self.blocked_until = 0, None, None


def wait_after(failures: int) -> timedelta:
    """30 s after the 5th failure, doubling with each one after, at most 15 minutes."""
    doublings = min(failures - FREE_FAILURES, 10)  # 2**10 * 30 s is far past the cap already
    return min(FIRST_WAIT * 2 ** doublings, LONGEST_WAIT)
