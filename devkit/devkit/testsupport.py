"""What the test suites of every package share: the local PostgreSQL, and polling.

Tests run on SQLite always, and on PostgreSQL when it listens on 127.0.0.1:5432 (trust
auth, database `test`) or `DATABASE_URL` names one; each test uses a schema of its own.
Where PostgreSQL is required (`CI=true`, or `ENTITLE_REQUIRE_POSTGRES=1`), a test that needs
it fails when none answers instead of skipping: the row locks, advisory locks and seq holes
are the subtlest code, and must not silently stop being tested. A local run without
PostgreSQL skips them and says so in its summary (`devkit.pytest_plugin`).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

BACKENDS = ("sqlite", "postgresql")
SKIPPED_WITHOUT_POSTGRES = (
    "no PostgreSQL answers on 127.0.0.1:5432 and DATABASE_URL is unset (CI=true makes this a failure)"
)
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def postgres_answers() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 5432)) == 0


def postgres_url() -> str | None:
    """The PostgreSQL the tests may use, or None."""
    if url := os.environ.get("DATABASE_URL"):
        return url
    return POSTGRES_URL if postgres_answers() else None


def postgres_required() -> bool:
    flags = (os.environ.get("CI", ""), os.environ.get("ENTITLE_REQUIRE_POSTGRES", ""))
    return any(flag.lower() in ("1", "true", "yes") for flag in flags)


def require_postgres() -> str:
    """The PostgreSQL URL a test uses; without one, the test is skipped, or fails where
    PostgreSQL is required."""
    if url := postgres_url():
        return url
    if postgres_required():
        pytest.fail(
            "PostgreSQL is required here (CI=true) and none answers on 127.0.0.1:5432: "
            "start it, or set DATABASE_URL to one (e.g. postgresql://postgres@127.0.0.1:5432/test)",
            pytrace=False,
        )
    pytest.skip(SKIPPED_WITHOUT_POSTGRES)


async def until(probe: Callable[[], Any], what: str, timeout: float = 30.0, interval: float = 0.05) -> Any:
    """Poll `probe` (plain or async) until it answers something truthy, or fail after
    `timeout` seconds naming `what` was awaited; the async twin of `client.eventually`."""
    deadline = time.monotonic() + timeout
    while not (result := await _answer(probe())):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached within {timeout}s")
        await asyncio.sleep(interval)
    return result


async def _answer(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
