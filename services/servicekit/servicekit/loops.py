"""The background loop shared by the relay, the scheduler and the mail sender."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable


async def drive(
    step: Callable[[], Awaitable[int]],
    wake: asyncio.Event,
    *,
    poll_seconds: float,
    log: logging.Logger,
    what: str,
    max_backoff: float = 10.0,
) -> None:
    """Run `step` until cancelled. It returns how much it did: more work is tried at once,
    none waits for a wake-up or the poll interval, and a failure backs off exponentially."""
    failures = 0
    while True:
        wake.clear()
        try:
            done = await step()
            failures = 0
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a background loop outlives any one failure; it backs off
            failures += 1
            delay = min(0.2 * 2**failures, max_backoff)
            log.warning("%s failed (%s: %s); retrying in %.1fs", what, type(error).__name__, error, delay)
            await asyncio.sleep(delay)
            continue
        if done:
            continue
        # asyncio.timeout, not wait_for: on Python 3.11, wait_for loses a cancellation that
        # lands in the tick its wake-up completes (CPython gh-86296), and the loop would run on.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(poll_seconds):
                await wake.wait()
