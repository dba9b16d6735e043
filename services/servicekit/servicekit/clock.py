"""The only place that reads the wall clock. Everything else is handed a `Clock`."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def now_for(self, subject: str | None) -> datetime:
        """The time as one subject (a subscription) sees it; only a test clock tells them apart."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_for(self, subject: str | None) -> datetime:
        return self.now()


class FixedClock:
    """A clock that moves only when told to: for unit tests."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def now_for(self, subject: str | None) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def set(self, at: datetime) -> None:
        self._at = at


class SharedTestClock:
    """A test clock every process of one stack reads from one small JSON file.

    `{"frozen_at": iso}` stops time there; `{"offset_seconds": n}` lets it run n seconds
    ahead of the wall clock. Moving time in one place (the `entitle clock` command or the
    operator endpoint) moves it for every service, including ones restarted later, which is
    what a demo of a year or a test of a term end needs.

    `{"subjects": {id: seconds}}` puts single subscriptions further ahead than the stack, in
    the spirit of Stripe's test clocks: everything about that subscription (commands, the
    events it causes, its due jobs) happens at its own time, the rest of the stack keeps its.
    """

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._stamp: tuple | None = None
        self._state: dict = {}

    def _read(self) -> dict:
        try:
            stat = os.stat(self._path)
        except FileNotFoundError:
            return {}
        # mtime alone is coarse (a kernel tick): two writes within one tick would look alike,
        # but each write is a new file (os.replace), so its inode tells them apart.
        stamp = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
        if stamp != self._stamp:
            self._state, self._stamp = json.loads(self._path.read_text() or "{}"), stamp
        return self._state

    def now(self) -> datetime:
        state = self._read()
        if "frozen_at" in state:
            return datetime.fromisoformat(state["frozen_at"])
        return datetime.now(UTC) + timedelta(seconds=state.get("offset_seconds", 0))

    @property
    def frozen(self) -> bool:
        return "frozen_at" in self._read()

    def now_for(self, subject: str | None) -> datetime:
        return self.now() + timedelta(seconds=self.subject_offsets().get(subject or "", 0))

    def subject_offsets(self) -> dict[str, float]:
        return self._read().get("subjects", {})

    def set_frozen(self, at: datetime) -> None:
        self._write({**self._read(), "frozen_at": at.isoformat()})

    def advance(self, delta: timedelta) -> datetime:
        """Move the whole stack; a subject ahead of it stays ahead by what is left of its lead."""
        state = dict(self._read())
        if "frozen_at" in state:
            state["frozen_at"] = (self.now() + delta).isoformat()
        else:
            state["offset_seconds"] = state.get("offset_seconds", 0) + delta.total_seconds()
        state["subjects"] = {
            s: lead - delta.total_seconds()
            for s, lead in state.get("subjects", {}).items()
            if lead > delta.total_seconds()
        }
        self._write(state)
        return self.now()

    def advance_subject(self, subject: str, to: datetime) -> datetime:
        """Move one subject forward to `to` (never back, never behind the stack)."""
        state = dict(self._read())
        lead = max((to - self.now()).total_seconds(), state.get("subjects", {}).get(subject, 0), 0)
        state["subjects"] = {**state.get("subjects", {}), subject: lead}
        self._write(state)
        return self.now_for(subject)

    def _write(self, state: dict) -> None:
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self._path)


def clock_from(clock_file: str) -> Clock:
    return SharedTestClock(clock_file) if clock_file else SystemClock()
