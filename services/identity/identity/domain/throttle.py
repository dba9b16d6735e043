"""Failed sign-ins slow down further attempts, per e-mail address (guessing passwords, R1).

After 5 failures with no 15-minute pause between them, the address is blocked for 30 s, and
each further failure doubles the wait, up to 15 minutes. Attempts while blocked are refused
without checking the password, so they neither count nor reveal anything.

The block holds back the clients that have been failing for this e-mail, not its owner: a
client address with no recent failure for it still has its password checked, so a guesser
cannot lock the owner out by failing on purpose (issue 11, item 8). A right password from
there signs in and leaves the block in place for the guesser; a wrong one counts like any
other. A success while not blocked resets the count. Limits per client address and across
the service (`identity.handlers.limits`) bound how many addresses a guesser can spread over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.errors import TooManyRequests

FREE_FAILURES = 5
WINDOW = timedelta(minutes=15)
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(minutes=15)


class TooManySignInAttempts(TooManyRequests):
    """Answered 429 with `Retry-After: retry_after_seconds`."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            "too_many_sign_in_attempts",
            f"Too many failed sign-ins for this e-mail; try again in {retry_after_seconds} seconds.",
            retry_after_seconds,
            rule="R1",
        )


@dataclass
class SignInThrottle:
    email: str
    failures: int = 0
    last_failure_at: datetime | None = None
    blocked_until: datetime | None = None

    def blocked(self, now: datetime) -> bool:
        return self.blocked_until is not None and now < self.blocked_until

    def check(self, now: datetime, client_has_failed: bool = True) -> None:
        """Refuses a client that has failed for this e-mail while it is blocked; a client
        that has not (`client_has_failed=False`) passes, to have its password checked."""
        until = self.blocked_until
        if until is not None and now < until and client_has_failed:  # blocked, for this client
            wait = (until - now).total_seconds()
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

    def succeeded(self, now: datetime) -> None:
        """The right password: the count starts again, unless the address is blocked (then the
        owner got in from a clean client, and the block stays for whoever was failing)."""
        if not self.blocked(now):
            self.reset()


def wait_after(failures: int) -> timedelta:
    """30 s after the 5th failure, doubling with each one after, at most 15 minutes."""
    doublings = min(failures - FREE_FAILURES, 10)  # 2**10 * 30 s is far past the cap already
    return min(FIRST_WAIT * 2**doublings, LONGEST_WAIT)
