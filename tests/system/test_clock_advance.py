"""`entitle clock advance` on a running test clock while the machine is busy (issue 11, item 20).

`make run`'s clock is not frozen: it runs with the wall clock, some offset ahead. The time
machine used to step to `max(next due job, a "now" read earlier)`, which the running clock
had passed by the time the request arrived: `422 clock_moves_forward_only`, and the stack
left at an intermediate time. Worse under load. So this runs on a stack of its own whose
clock runs (the shared stack's is frozen), with every core kept busy meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from devkit.client import EntitleClient, eventually
from devkit.devstack import QUICK_TEST_ENV, SERVICES, DevStack, StackConfig
from devkit.timemachine import TimeMachine
from opskit.topicreader import events_of
from servicekit.clock import SharedTestClock

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.xdist_group("stack-running-clock")  # one worker, so one stack for the module


@pytest.fixture(scope="module")
def running_stack(tmp_path_factory) -> DevStack:
    var_dir = tmp_path_factory.mktemp("stack-running-clock")
    clock = SharedTestClock(var_dir / "clock.json")
    clock.advance(START - clock.now())  # runs on from START, as `make run`'s runs on from today
    config = StackConfig.isolated(var_dir, clock_file=var_dir / "clock.json", extra_env=QUICK_TEST_ENV)
    stack = DevStack(config).start()
    yield stack
    stack.stop()


@contextmanager
def every_core_busy():
    """Processes that only burn CPU, one per core, for as long as the block runs (each ends
    by itself after ten minutes should the test process die)."""
    burn = "import time\nend = time.monotonic() + 600\nwhile time.monotonic() < end: pass"
    burners = [subprocess.Popen([sys.executable, "-c", burn]) for _ in range(os.cpu_count() or 1)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def renewals(stack: DevStack, subscription_id: str) -> list[dict]:
    return [
        e
        for e in events_of(stack.config.bootstrap, "subscriptions.events.v1", subscription_id)
        if e["type"] == "subscription.renewed"
    ]


def test_advancing_a_year_of_monthly_jobs_on_a_running_clock_and_a_busy_machine_ends_at_its_target(running_stack):
    api = EntitleClient({s: running_stack.config.url(s) for s in SERVICES})
    customer = api.new_customer("Busy Clock")
    sid = customer.purchase(quantity=1, billing_cycle="monthly")["id"]
    customer.accept(sid)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="seats unlocked")

    async def advance_a_year() -> tuple[datetime, list, datetime, float]:
        async with TimeMachine(api.urls, bootstrap=running_stack.config.bootstrap) as machine:
            target = await machine.now() + timedelta(days=365)
            steps = await machine.advance_to(target)
            finished = time.monotonic()
            return target, steps, await machine.now(), finished

    with every_core_busy():
        started = time.monotonic()
        target, steps, now, finished = asyncio.run(advance_a_year())
        took = time.monotonic() - started

    assert steps[-1].at == target
    # A running clock: at the target when the advance ended, and running on since.
    assert target <= now <= target + timedelta(seconds=took + time.monotonic() - finished)
    assert [step.at for step in steps] == sorted(step.at for step in steps)
    # A step per renewal (on the 5th) and per monthly run of billing (on the 1st), at least.
    # (Not `fired`: on a running clock the services' own schedulers fire some jobs first.)
    assert len({step.at for step in steps}) >= 2 * 12
    # Every monthly renewal of the year happened, in order, none skipped by a step cut short.
    renewed = eventually(lambda: len(found := renewals(running_stack, sid)) >= 12 and found, what="12 renewals")
    terms = [datetime.fromisoformat(e["data"]["term_start"]) for e in renewed]
    assert terms == sorted(terms) and len(set(terms)) == len(terms)
