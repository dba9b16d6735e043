"""A floating seat held by this process, and the background heartbeat that keeps it.

A lease runs an hour (R26) from each heartbeat. The heartbeat thread beats at a fraction of
the time left (a third by default: 20 minutes for an hour), so one missed beat still leaves
time for another. When a beat cannot reach Entitle it is retried every `retry` (or after the
server's Retry-After) and the product keeps working on the lease's entitlement until its
not-after; a laptop that slept past the expiry gets its lease back at the next beat if a
seat is still free (the server's revive window). When the server says the lease is gone
(404) or cannot be revived (409 `lease_expired` / `no_free_seat`), or the sign-in ended, the
thread stops and tells the product (`on_lost`), which should save work and stop the feature.

The loop's waiting is a function (`wait(seconds) -> stop?`), so tests drive it without
sleeping: they advance a clock instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from entitle_client.clock import Clock
from entitle_client.errors import ApiError, EntitleError, NotSignedIn, RateLimited, Unreachable
from entitle_client.verify import Entitlement

if TYPE_CHECKING:
    from entitle_client.client import EntitleClient

log = logging.getLogger("entitle_client")

LostCallback = Callable[["Lease", EntitleError], None]
EventCallback = Callable[["Lease", str], None]
"""Called with the lease and what happened: "heartbeat", "missed", "revived" or "lost"."""


def parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError(f"a time without a time zone: {value!r}")
    return at


@dataclass
class Lease:
    """A floating seat: `entitlement` (when the server signs one) is what to grant offline."""

    lease_id: str
    product: str
    subscription_id: str
    acquired_at: datetime
    expires_at: datetime
    borrowed_until: datetime | None = None
    revivable_until: datetime | None = None
    entitlement: Entitlement | None = None
    lost: EntitleError | None = None
    released: bool = False
    _client: EntitleClient | None = field(default=None, repr=False, compare=False)
    heartbeat: Heartbeat | None = field(default=None, repr=False, compare=False)

    @property
    def active(self) -> bool:
        """Held, as far as this process knows (not released, not reported lost)."""
        return not self.released and self.lost is None

    def usable(self, now: datetime) -> bool:
        """May the product use the seat now: held, and before the lease's (or borrow's) end."""
        end = max(self.expires_at, self.borrowed_until or self.expires_at)
        return self.active and now <= end

    def update(self, view: dict[str, Any], entitlement: Entitlement | None) -> None:
        self.expires_at = parse_time(view["expires_at"]) or self.expires_at
        self.borrowed_until = parse_time(view.get("borrowed_until"))
        self.revivable_until = parse_time(view.get("revivable_until"))
        if entitlement is not None:
            self.entitlement = entitlement

    def release(self) -> None:
        """Give the seat back (stops the heartbeat)."""
        if self._client is not None:
            self._client.release(self)

    def borrow(self, until: datetime) -> Lease:
        """Take the seat offline until `until` (at most the server's maximum, 7 days by default)."""
        if self._client is None:
            raise RuntimeError("this lease belongs to no client")
        return self._client.borrow(self, until)


class Heartbeat:
    """The loop that keeps one lease alive; `start()` runs it in a daemon thread."""

    def __init__(
        self,
        lease: Lease,
        beat: Callable[[Lease], None],
        clock: Clock,
        *,
        fraction: float = 1 / 3,
        retry: timedelta = timedelta(seconds=30),
        min_delay: timedelta = timedelta(seconds=1),
        wait: Callable[[float], bool] | None = None,
        on_lost: LostCallback | None = None,
        on_event: EventCallback | None = None,
    ) -> None:
        if not 0 < fraction < 1:
            raise ValueError("the heartbeat fraction is between 0 and 1")
        self.lease = lease
        self._beat = beat
        self._clock = clock
        self._fraction = fraction
        self._retry = retry.total_seconds()
        self._min_delay = min_delay.total_seconds()
        self._stopped = threading.Event()
        self._wait = wait or self._stopped.wait
        self._on_lost = on_lost
        self._on_event = on_event
        self._thread: threading.Thread | None = None
        self.missed = 0
        self.beats = 0
        self._retry_after: float | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"entitle-heartbeat-{self.lease.lease_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop beating; waits for the thread (unless called from it)."""
        self._stopped.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def next_delay(self) -> float:
        """Seconds until the next beat: a fraction of the lease's time left, sooner after a miss."""
        if self.missed:
            return max(self._min_delay, self._retry_after if self._retry_after is not None else self._retry)
        left = (self.lease.expires_at - self._clock.now()).total_seconds()
        return max(self._min_delay, left * self._fraction)

    def run(self) -> None:
        """The loop: wait, beat, until stopped or the lease is lost."""
        while not self._stopped.is_set():
            if self._wait(self.next_delay()) or self._stopped.is_set():
                return
            if not self.beat_once():
                return

    def beat_once(self) -> bool:
        """One heartbeat; False when the lease is gone and the loop must end."""
        lapsed = self._clock.now() > self.lease.expires_at
        try:
            self._beat(self.lease)
        except (Unreachable, RateLimited) as error:
            self.missed += 1
            self._retry_after = error.retry_after if isinstance(error, RateLimited) else None
            log.warning("heartbeat of lease %s missed (%s); retrying", self.lease.lease_id, error)
            self._tell("missed")
            return True
        except (NotSignedIn, ApiError) as error:  # 404 gone, 409 lease_expired / no_free_seat, 401
            self._lose(error)
            return False
        except Exception:  # a bug or a nonsensical answer must not kill the seat silently
            log.exception("heartbeat of lease %s failed", self.lease.lease_id)
            self.missed += 1
            self._retry_after = None
            self._tell("missed")
            return True
        self.beats += 1
        self.missed = 0
        self._retry_after = None
        self._tell("revived" if lapsed else "heartbeat")
        return True

    def _lose(self, error: EntitleError) -> None:
        self.lease.lost = error
        self._stopped.set()
        log.warning("lease %s lost: %s", self.lease.lease_id, error)
        self._tell("lost")
        if self._on_lost is not None:
            try:
                self._on_lost(self.lease, error)
            except Exception:
                log.exception("the on_lost callback failed")

    def _tell(self, what: str) -> None:
        if self._on_event is not None:
            try:
                self._on_event(self.lease, what)
            except Exception:
                log.exception("the on_event callback failed")
