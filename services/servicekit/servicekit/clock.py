"""The only place that reads the wall clock. Everything else is handed a `Clock`."""
from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that moves only when told to: for unit tests."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
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
    """

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._stamp: float | None = None
        self._state: dict = {}

    def _read(self) -> dict:
        try:
            stamp = os.stat(self._path).st_mtime_ns
        except FileNotFoundError:
            return {}
        if stamp != self._stamp:
            self._state, self._stamp = json.loads(self._path.read_text() or "{}"), stamp
        return self._state

    def now(self) -> datetime:
        state = self._read()
        if "frozen_at" in state:
            return datetime.fromisoformat(state["frozen_at"])
        return datetime.now(timezone.utc) + timedelta(seconds=state.get("offset_seconds", 0))

    def set_frozen(self, at: datetime) -> None:
        self._write({"frozen_at": at.isoformat()})

    def advance(self, delta: timedelta) -> datetime:
        state = self._read()
        if "frozen_at" in state:
            self.set_frozen(self.now() + delta)
        else:
            self._write({"offset_seconds": state.get("offset_seconds", 0) + delta.total_seconds()})
        return self.now()

    def _write(self, state: dict) -> None:
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self._path)


def clock_from(clock_file: str) -> Clock:
    return SharedTestClock(clock_file) if clock_file else SystemClock()
