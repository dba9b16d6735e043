"""Transactions PostgreSQL aborts only because another one got in the way, run again.

With row locks (`FOR UPDATE`), two transactions that lock the same rows in opposite orders
deadlock, and PostgreSQL aborts one of them (SQLSTATE 40P01); a serialization failure
(40001) is the same kind of accident. Nothing of the aborted one was applied, so running the
whole unit of work again is safe: it then waits for the other and succeeds. Seen between a
due job (which claims its job row, then locks the subscription) and a consumer batch (which
locks the subscription, then moves its jobs).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

log = logging.getLogger("servicekit.store.conflicts")
T = TypeVar("T")
TRANSIENT_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure
ATTEMPTS = 5


def is_transient_conflict(error: BaseException) -> bool:
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in TRANSIENT_SQLSTATES


async def retrying_conflicts(work: Callable[[], Awaitable[T]], what: str) -> T:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await work()
        except DBAPIError as error:
            if not is_transient_conflict(error) or attempt == ATTEMPTS:
                raise
            log.warning("%s: %s, run again (attempt %d)", what, type(error.orig).__name__, attempt + 1)
            # A random pause, so the two transactions do not meet again in step.
            await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")
