"""`entitle clock advance` and the TimeMachine behind it (issue 11, item 20), against a fake
stack whose test clock runs on while requests are on their way, as `make run`'s does on a
busy machine: every request costs `tick` seconds of wall time. tests/system/test_clock_advance.py
does the same over the real stack."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from typer.testing import CliRunner

from devkit import cli
from devkit.timemachine import StackRefused, TimeMachine
from opskit.cli import app as entitle_command

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
SERVICES = ("identity", "subscriptions", "seats", "notifications", "billing")
URLS = {s: f"http://{s}.test" for s in SERVICES}
STACK_URLS = {s: cli._config().url(s) for s in SERVICES}  # where `entitle` looks for the stack


class FakeStack:
    """Five services on one shared test clock, each with its due jobs; answers the routes
    the time machine uses. A fired job may schedule the next one of its chain."""

    def __init__(
        self, *, running: bool, tick: float = 0.0, operator_token: str = "", urls: dict[str, str] = URLS
    ) -> None:
        self.running, self.tick, self.operator_token = running, tick, operator_token
        self.services_at = {url: service for service, url in urls.items()}
        self.urls = urls
        self.wall = 0.0  # seconds of wall time since START
        self.offset = 0.0  # running clock: how far ahead of the wall clock
        self.frozen_at = START  # frozen clock
        self.leads: dict[str, float] = {}
        self.jobs: dict[str, list[tuple[datetime, str | None, timedelta | None, datetime | None]]] = {
            s: [] for s in SERVICES
        }
        self.fired: list[tuple[str, datetime]] = []
        self.clock_sets: list[datetime] = []

    def now(self) -> datetime:
        return START + timedelta(seconds=self.wall + self.offset) if self.running else self.frozen_at

    def now_for(self, subject: str | None) -> datetime:
        return self.now() + timedelta(seconds=self.leads.get(subject or "", 0))

    def schedule(
        self,
        service: str,
        due: datetime,
        *,
        subject: str | None = None,
        every: timedelta | None = None,
        until: datetime | None = None,
    ) -> None:
        self.jobs[service].append((due, subject, every, until))

    def next_due(self, service: str, subject: str | None = None) -> datetime | None:
        due = [
            d - timedelta(seconds=self.leads.get(s or "", 0)) if subject is None else d
            for d, s, *_ in self.jobs[service]
            if subject is None or s == subject
        ]
        return min(due, default=None)

    def fire(self, service: str) -> int:
        fired = 0
        while due := sorted((j for j in self.jobs[service] if j[0] <= self.now_for(j[1])), key=lambda j: j[0]):
            job = due[0]
            self.jobs[service].remove(job)
            self.fired.append((service, job[0]))
            at, subject, every, until = job
            if every and at + every <= until:
                self.jobs[service].append((at + every, subject, every, until))
            fired += 1
        return fired

    def set_clock(self, at: datetime, subject: str | None) -> None:
        if subject:
            self.leads[subject] = max((at - self.now()).total_seconds(), self.leads.get(subject, 0))
        elif self.running:
            self.offset += (at - self.now()).total_seconds()
        else:
            self.frozen_at = at
        self.clock_sets.append(at)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.wall += self.tick  # the request took this long to arrive: the clock ran on meanwhile
        if self.operator_token and request.headers.get("X-Operator-Token") != self.operator_token:
            return httpx.Response(403, json={"code": "not_an_operator", "message": "Send the operator token."})
        service, path = self.services_at[f"{request.url.scheme}://{request.url.netloc.decode()}"], request.url.path
        subject = request.url.params.get("subject")
        body = json.loads(request.content) if request.content else {}
        if path == "/ops/clock":
            return httpx.Response(200, json={"now": self.now_for(subject).isoformat()})
        if path == "/ops/stats":
            due = self.next_due(service)
            return httpx.Response(
                200, json={"outbox_backlog": 0, "consumers": {}, "next_due_at": due.isoformat() if due else None}
            )
        if path == "/ops/jobs/next":
            due = self.next_due(service, subject)
            return httpx.Response(200, json={"due_at": due.isoformat() if due else None})
        if path == "/ops/jobs/fire":
            return httpx.Response(200, json={"fired": self.fire(service)})
        if path == "/ops/clock/set":
            at = datetime.fromisoformat(body["at"])
            if at < self.now_for(body.get("subject")):
                return httpx.Response(422, json={"code": "clock_moves_forward_only", "message": "only forward"})
            self.set_clock(at, body.get("subject"))
            return httpx.Response(
                200, json={"now": self.now_for(body.get("subject")).isoformat(), "fired_here": self.fire(service)}
            )
        return httpx.Response(404, json={"code": "not_found", "message": path})

    def machine(self, **options) -> TimeMachine:
        return TimeMachine(self.urls, transport=httpx.MockTransport(self.handle), **options)


def busy_year(stack: FakeStack) -> None:
    """Jobs of a year, many of them already behind a running clock by the time they are
    stepped to: a chain of jobs one second apart, monthly runs, term ends."""
    stack.schedule(
        "subscriptions", START + timedelta(seconds=5), every=timedelta(seconds=1), until=START + timedelta(seconds=40)
    )
    stack.schedule("billing", START + timedelta(days=1), every=timedelta(days=30), until=START + timedelta(days=360))
    stack.schedule(
        "seats", START + timedelta(days=45), every=timedelta(seconds=2), until=START + timedelta(days=45, seconds=30)
    )
    stack.schedule("subscriptions", START + timedelta(days=366))  # after the target


async def test_advancing_a_running_clock_on_a_busy_machine_never_stops_part_way_and_ends_at_the_target():
    stack = FakeStack(running=True, tick=3.0)  # every request takes 3 s: jobs fall behind the clock
    busy_year(stack)
    async with stack.machine() as machine:
        target = await machine.now() + timedelta(days=365)
        steps = await machine.advance_to(target)
    assert steps[-1].at == target and stack.clock_sets[-1] == target
    assert stack.clock_sets == sorted(stack.clock_sets)  # the clock only ever moved forward
    assert stack.now() >= target
    fired = [due for _, due in stack.fired]
    assert fired == sorted(fired)  # every job in due order, across the services
    assert len([d for d in fired if d <= target]) == 36 + 12 + 16
    assert stack.next_due("subscriptions") == START + timedelta(days=366)  # due after the target: waits


async def test_on_a_frozen_clock_an_advance_fires_every_job_in_due_order_and_ends_exactly_at_the_target():
    stack = FakeStack(running=False)
    busy_year(stack)
    async with stack.machine() as machine:
        steps = await machine.advance(timedelta(days=365))
    assert stack.now() == START + timedelta(days=365) == steps[-1].at
    fired = [due for _, due in stack.fired]
    assert fired == sorted(fired) and len(fired) == 36 + 12 + 16


async def test_one_subscription_moves_ahead_on_a_running_clock_without_stopping_part_way():
    stack = FakeStack(running=True, tick=3.0)
    stack.schedule(
        "subscriptions",
        START + timedelta(seconds=4),
        subject="sub-1",
        every=timedelta(seconds=1),
        until=START + timedelta(seconds=30),
    )
    stack.schedule("billing", START + timedelta(days=10), subject="sub-1")
    async with stack.machine() as machine:
        steps = await machine.advance_subject("sub-1", timedelta(days=30))
        assert await machine.now("sub-1") >= steps[-1].at
    assert len(stack.fired) == 27 + 1 and [d for _, d in stack.fired] == sorted(d for _, d in stack.fired)


async def test_the_operator_token_of_the_environment_goes_with_every_request(monkeypatch):
    stack = FakeStack(running=False, operator_token="op-secret")
    busy_year(stack)
    monkeypatch.setenv("OPERATOR_TOKEN", "op-secret")
    async with stack.machine() as machine:
        await machine.advance(timedelta(days=31))
    assert stack.now() == START + timedelta(days=31)


async def test_a_refusal_is_one_error_naming_the_service_the_status_and_the_code(monkeypatch):
    monkeypatch.delenv("OPERATOR_TOKEN", raising=False)
    stack = FakeStack(running=False, operator_token="op-secret")
    async with stack.machine() as machine:
        with pytest.raises(StackRefused, match="subscriptions refused GET /ops/clock: 403 not_an_operator"):
            await machine.advance(timedelta(days=1))


@pytest.fixture
def entitle(monkeypatch):
    """`entitle` with its stack replaced by a fake one."""

    def run(stack: FakeStack, *arguments: str):
        monkeypatch.setattr(cli, "_running", lambda _config: True)
        monkeypatch.setattr(
            cli, "TimeMachine", functools.partial(TimeMachine, transport=httpx.MockTransport(stack.handle))
        )
        return CliRunner().invoke(entitle_command, ["clock", *arguments], env={"COLUMNS": "200"})

    return run


def test_entitle_clock_advance_minutes_moves_that_many_minutes(entitle):
    stack = FakeStack(running=False, urls=STACK_URLS)
    answer = entitle(stack, "advance", "--minutes", "90")
    assert answer.exit_code == 0, answer.output
    assert stack.now() == START + timedelta(minutes=90)
    assert answer.output.strip().endswith(f"now {(START + timedelta(minutes=90)).isoformat()}")


def test_entitle_clock_advance_prints_one_line_and_no_traceback_when_the_stack_refuses(entitle, monkeypatch):
    monkeypatch.delenv("OPERATOR_TOKEN", raising=False)
    answer = entitle(FakeStack(running=False, operator_token="op-secret", urls=STACK_URLS), "advance", "--days", "1")
    assert answer.exit_code == 1
    assert answer.output.strip().splitlines() == [
        "entitle clock: subscriptions refused GET /ops/clock: 403 not_an_operator Send the operator token."
    ]


def test_entitle_clock_advance_takes_one_distance():
    answer = CliRunner().invoke(entitle_command, ["clock", "advance", "--days", "1", "--to", "2027-01-01"])
    assert answer.exit_code == 2 and "once" in answer.output
