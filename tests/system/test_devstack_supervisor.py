"""`make run` supervises its stack (issue 11, item 24): a service killed with SIGKILL is noticed,
logged and started again; a part that keeps dying is started again later each time.

The other system tests kill services on purpose and restart them themselves, so their
stacks are unsupervised (StackConfig.supervise is off unless `python -m devkit.devstack`
turns it on). This one runs parts of a stack of its own: the broker and identity.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import sys
from datetime import UTC, datetime

import httpx
import pytest

from devkit.client import eventually
from devkit.devstack import QUICK_TEST_ENV, DevStack, StackConfig, main
from servicekit.clock import SharedTestClock

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.xdist_group("stack-supervised")


@pytest.fixture
def supervised(tmp_path):
    SharedTestClock(tmp_path / "clock.json").set_frozen(START)
    config = StackConfig.isolated(
        tmp_path,
        clock_file=tmp_path / "clock.json",
        extra_env=QUICK_TEST_ENV,
        supervise=True,
        restart_backoff_seconds=0.2,
        restart_backoff_max_seconds=0.8,
    )
    stack = DevStack(config)
    yield stack
    stack.stop()


def supervisor_log(stack: DevStack) -> list[str]:
    path = stack.config.var_dir / "logs" / "supervisor.log"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def healthy(stack: DevStack, service: str) -> bool:
    try:
        return httpx.get(f"{stack.config.url(service)}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_supervised_stack_restarts_a_service_killed_with_sigkill_and_logs_it(supervised):
    supervised.start_broker()
    supervised.start_service("identity")
    supervised.start_supervising()
    killed = supervised.processes["identity"].pid

    os.kill(killed, signal.SIGKILL)  # from outside, as the OOM killer or an impatient person would
    eventually(
        lambda: supervised.processes["identity"].pid != killed and healthy(supervised, "identity"),
        timeout=90,
        what="identity answering /health again from a new process",
    )

    restarted = supervised.processes["identity"].pid
    log = supervisor_log(supervised)
    assert any(
        re.search(r"identity died \(killed by SIGKILL\) after [\d.]+ s; restarting in 0\.2 s", line) for line in log
    ), log
    assert any(line.endswith(f"identity restarted (pid {restarted})") for line in log), log


def test_a_part_that_keeps_dying_is_restarted_later_each_time(supervised):
    supervised.spawn("crasher", [sys.executable, "-c", "raise SystemExit(3)"])
    supervised.start_supervising()

    def deaths() -> list[tuple[datetime, float]]:
        found = [
            re.match(r"(\S+) crasher died \(exit code 3\) after [\d.]+ s; restarting in ([\d.]+) s", line)
            for line in supervisor_log(supervised)
        ]
        return [(datetime.fromisoformat(m[1]), float(m[2])) for m in found if m]

    seen = eventually(lambda: len(found := deaths()) >= 5 and found, timeout=60, what="five deaths")

    assert [delay for _, delay in seen[:5]] == [0.2, 0.4, 0.8, 0.8, 0.8]  # doubling, up to the maximum
    for (died, delay), (next_death, _) in itertools.pairwise(seen[:5]):
        assert (next_death - died).total_seconds() >= delay  # never started again before its back-off


def test_a_part_killed_on_purpose_is_not_started_again(supervised):
    supervised.spawn("waiter", [sys.executable, "-c", "import signal; signal.pause()"])
    supervised.start_supervising()
    supervised.kill("waiter")
    supervised.spawn("marker", [sys.executable, "-c", "raise SystemExit(0)"])  # something that does die...
    eventually(lambda: any("marker died" in line for line in supervisor_log(supervised)), what="marker noticed")
    assert "waiter" not in supervised.processes  # ...while the one killed on purpose stays gone
    assert not any("waiter" in line for line in supervisor_log(supervised))


def test_make_run_supervises_its_stack_and_the_test_stacks_do_not(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # main() makes var/logs where it runs
    monkeypatch.setenv("LOG_FORMAT", "json")  # main() sets a default; restored after the test
    started: list[StackConfig] = []

    class Recorder(DevStack):
        def start(self):
            started.append(self.config)
            raise KeyboardInterrupt  # as Ctrl-C right away

        def stop(self):
            pass

    monkeypatch.setattr("devkit.devstack.DevStack", Recorder)
    main()
    assert started[0].supervise is True
    assert StackConfig.isolated(started[0].var_dir).supervise is False
