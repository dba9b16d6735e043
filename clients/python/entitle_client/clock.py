"""Time: the clock the library reads, and the guard against a clock turned back.

Offline, an entitlement is only as good as the local clock: turn it back a month and an
expired entitlement looks valid again. The guard keeps the latest time Entitle vouched for
(the `Date` header of its answers and the `iat` of verified entitlements) in the cache;
offline verification refuses (`ClockRollback`) when the local clock is earlier than that by
more than a tolerance (10 minutes by default: ordinary clock drift and time-zone mistakes
pass, a rollback of days does not).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Protocol

from entitle_client.cache import Cache
from entitle_client.errors import ClockRollback

DEFAULT_TOLERANCE = timedelta(minutes=10)
_SAVE_STEP = timedelta(minutes=1)  # written to disk when it moves this far: not once per verification
_FILE = "clock.json"


class Clock(Protocol):
    """Anything with `now()` returning an aware datetime (servicekit's clocks fit)."""

    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ClockGuard:
    def __init__(self, cache: Cache | None = None, tolerance: timedelta = DEFAULT_TOLERANCE) -> None:
        self._cache = cache
        self.tolerance = tolerance
        self._lock = threading.Lock()
        self._latest: datetime | None = None
        self._saved: datetime | None = None
        if cache is not None:
            self._latest = self._saved = _load(cache)

    @property
    def latest_seen(self) -> datetime | None:
        return self._latest

    def observe(self, at: datetime) -> None:
        """A time Entitle vouched for; only ever moves forward."""
        if self._latest is not None and at <= self._latest:
            return
        with self._lock:
            if self._latest is None or at > self._latest:
                self._latest = at
            if self._cache is not None and (self._saved is None or self._latest - self._saved >= _SAVE_STEP):
                self._saved = self._latest
                self._cache.write(_FILE, json.dumps({"latest_seen": self._latest.isoformat()}))

    def observe_date_header(self, value: str | None) -> None:
        if not value:
            return
        try:
            at = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        self.observe(at)

    def check(self, now: datetime) -> None:
        latest = self._latest
        if latest is not None and now < latest - self.tolerance:
            raise ClockRollback(
                f"The clock of this computer says {now.isoformat(timespec='seconds')}, but Entitle was "
                f"already seen at {latest.isoformat(timespec='seconds')}: set the clock right, or connect "
                "to the network, before using the software offline."
            )


def _load(cache: Cache) -> datetime | None:
    text = cache.read(_FILE)
    if not text:
        return None
    try:
        at = datetime.fromisoformat(json.loads(text)["latest_seen"])
    except (ValueError, KeyError, TypeError):
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)
