"""The background loop of the relay, the scheduler and the mail sender stops when cancelled,
even when the cancellation lands in the tick its wake-up completes: Python 3.11's
`asyncio.wait_for` returns the result then and loses the cancellation (CPython gh-86296,
fixed in 3.12), which left a relay running forever behind a stopped service."""

import asyncio
import logging

from servicekit.loops import drive


async def idle() -> int:
    return 0


async def one_tick() -> None:
    """Let every callback already scheduled run once, as one turn of the event loop does."""
    turned = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(turned.set_result, None)
    await turned


async def test_a_loop_cancelled_as_its_wake_up_completes_still_stops():
    for ticks in range(8):  # between the wake-up and the cancellation: one of them is the racy one
        wake = asyncio.Event()
        loop = asyncio.create_task(
            drive(idle, wake, poll_seconds=30.0, log=logging.getLogger("test"), what="idle loop")
        )
        for _ in range(3):
            await one_tick()  # the loop is waiting for its wake-up
        wake.set()
        for _ in range(ticks):
            await one_tick()
        loop.cancel()
        done, _ = await asyncio.wait([loop], timeout=2.0)
        assert done == {loop}, f"the loop kept running after a cancellation {ticks} ticks after its wake-up"
        assert loop.cancelled()
