"""What the test suites of every service share: the local PostgreSQL, when one answers.

Tests run on SQLite always, and on PostgreSQL when it listens on 127.0.0.1:5432 (trust
auth, database `test`) or `DATABASE_URL` names one. Each test uses a schema of its own.
"""
from __future__ import annotations

import asyncio
import inspect
import os
import socket
import time
from typing import Any, Callable

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


def backends() -> list[str]:
    return ["sqlite"] + (["postgresql"] if postgres_answers() else [])


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
