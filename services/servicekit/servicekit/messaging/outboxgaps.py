"""Holding the outbox back at a gap in `seq`, for a short grace, on PostgreSQL.

A sequence hands out `seq` when a row is inserted, but transactions commit in their own
order: seq 11 can commit before seq 10. A relay reading between the two commits sees 11
and a hole at 10, publishes 11, and 10 later. Across keys that is harmless (order is only
promised per key), and for one key it cannot happen while every transaction that publishes
for a key first locks that key's aggregate row (the repositories' `lock=True`): the second
transaction then waits for the first to commit before it takes its seq.

This guard is the second line, for a handler that publishes without such a lock: the relay
publishes in seq order up to the first hole above what it already published, and waits for
the hole to fill. A hole that stays open for `grace_seconds` is a rolled-back transaction
(sequences never hand a value back) or one slower than the grace, and is passed over. The
price is that latency, once per rolled-back publish. Rows below what was already published
(a late commit, or a topic rebuild marking old rows unpublished) go out at once.

SQLite needs none of this: its writers are serialised, so seq order is commit order, and
the relay passes `grace_seconds=0`. Time is the process's monotonic time, never the
service's clock, which a test may freeze.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence


class GapGuard:
    def __init__(self, grace_seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self._grace, self._now = grace_seconds, now
        self._next: int | None = None  # the seq expected next; unknown until a first batch
        self._hole: tuple[int, float] | None = None  # (seq just above it, when first seen)

    def reset(self) -> None:
        """A relay that (re)gains the right to publish knows nothing of what others did."""
        self._next, self._hole = None, None

    def ready(self, seqs: Sequence[int]) -> int:
        """How many of these unpublished seqs (ascending) may be published now."""
        expected = self._next
        for count, seq in enumerate(seqs):
            if expected is not None and seq > expected and not self._waited_out(seq):
                return count
            expected = seq + 1 if expected is None else max(expected, seq + 1)
        return len(seqs)

    def published(self, seqs: Sequence[int]) -> None:
        if seqs:
            self._next = max(self._next or 0, max(seqs) + 1)

    def _waited_out(self, seq_above_hole: int) -> bool:
        if self._grace <= 0:
            return True
        if self._hole is None or self._hole[0] != seq_above_hole:
            self._hole = (seq_above_hole, self._now())
        return self._now() - self._hole[1] >= self._grace
