"""Which pending e-mail goes first, and when one that failed for now is tried again (R33, R34). Pure."""

from __future__ import annotations

from datetime import datetime, timedelta

# E-mails someone waits on before they can act (accept, verify, register) go before notices
# such as invoices: a burst of invoices must not hold up the agreement a customer waits for.
WAITED_ON = frozenset(
    {
        "verification",
        "password_reset",
        "agreement",
        "amendment",
        "invitation",
        "reinvitation",
        "contact_invitation",
        "licence",
        "approval_request",
    }
)


def next_attempt_at(
    failed_at: datetime,
    attempts: int,
    first: timedelta = timedelta(seconds=0.4),
    longest: timedelta = timedelta(minutes=5),
) -> datetime:
    """R34: a temporarily failing e-mail is tried again later, ever less often, never given up;
    meanwhile the e-mails queued after it pass it. `attempts` counts the one that just failed."""
    return failed_at + min(first * 2 ** max(attempts - 1, 0), longest)
