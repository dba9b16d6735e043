"""Move a whole stack's test clock forward the way real time would.

Jumping the shared clock a year at once would let each service fire its own jobs for the
whole year before the others had reacted to the first one: billing's monthly run would find
February's lines missing because the renewal that causes them was still in flight. So time
moves from one due job to the next, across every service, and before each step the stack
settles: every outbox is empty and every consumer group has committed the end of every
topic it reads. Each job then sees the effects of all the jobs before it.

The clock may be running while it moves: `make run`'s test clock runs ahead of the wall
clock by an offset, so "now" read in one request is already past in the next, and more so
on a busy machine. A step therefore never sends a time computed from a "now" read earlier:
when the next due job is already behind the running clock, or the clock passes it while
the step is on its way, the step moves nothing and only has every service fire what is
due. Time moves forward only, and an advance always ends at its target.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, overload

import httpx
from aiokafka import AIOKafkaConsumer

from opskit.offsets import partitions_of, true_end_offsets
from opskit.offsets import reader as offsets_reader


class StackDidNotSettle(RuntimeError):
    pass


class StackRefused(RuntimeError):
    """A service answered a request of the time machine with an error (or did not answer)."""


@dataclass(frozen=True)
class Step:
    at: datetime
    fired: int


def operator_headers(token: str | None = None) -> dict[str, str]:
    """`X-Operator-Token` for `/ops/*`, from OPERATOR_TOKEN unless given; none when unset
    (a `make run` stack without one keeps its test routes open)."""
    token = os.environ.get("OPERATOR_TOKEN") if token is None else token
    return {"X-Operator-Token": token} if token else {}


class TimeMachine:
    def __init__(
        self,
        urls: dict[str, str],
        settle_timeout: float = 60.0,
        *,
        bootstrap: str | None = None,
        operator_token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`bootstrap`: the broker, as this machine reaches it, for the consumer lag; default
        the address each service reports in `/ops/stats`."""
        self._urls, self._settle_timeout, self._bootstrap = urls, settle_timeout, bootstrap
        self._http = httpx.AsyncClient(timeout=30.0, headers=operator_headers(operator_token), transport=transport)
        self._readers: dict[str, AIOKafkaConsumer] = {}

    async def __aenter__(self) -> TimeMachine:
        return self

    async def __aexit__(self, *_exc) -> None:
        await self._http.aclose()
        await asyncio.gather(*(reader.stop() for reader in self._readers.values()))

    async def now(self, subject: str | None = None) -> datetime:
        path = "/ops/clock" + (f"?subject={subject}" if subject else "")
        return datetime.fromisoformat((await self._call("subscriptions", "GET", path))["now"])

    async def advance(self, delta: timedelta) -> list[Step]:
        return await self.advance_to(await self.now() + delta)

    async def advance_to(self, target: datetime) -> list[Step]:
        """Step through every job due up to `target`, in due order, settling before each step."""
        steps: list[Step] = []
        while True:
            stats = await self.settle()
            due = [datetime.fromisoformat(s["next_due_at"]) for s in stats.values() if s["next_due_at"]]
            upcoming = min(due, default=None)
            if upcoming is None or upcoming > target:
                break
            _refuse_a_job_that_never_fires(steps, upcoming)
            steps.append(Step(upcoming, await self._move_to(upcoming)))
        steps.append(Step(target, await self._move_to(target)))
        await self.settle()
        return steps

    async def advance_subject(self, subject: str, delta: timedelta) -> list[Step]:
        """Move one subscription ahead of the stack, job by job, like `advance_to` for the stack."""
        target = await self.now(subject) + delta
        steps: list[Step] = []
        while True:
            await self.settle()
            due = [await self._next_due(service, subject) for service in self._urls]
            upcoming = min((d for d in due if d is not None), default=None)
            if upcoming is None or upcoming > target:
                break
            _refuse_a_job_that_never_fires(steps, upcoming)
            steps.append(Step(upcoming, await self._move_to(upcoming, subject)))
        steps.append(Step(target, await self._move_to(target, subject)))
        await self.settle()
        return steps

    async def _next_due(self, service: str, subject: str) -> datetime | None:
        due = (await self._call(service, "GET", f"/ops/jobs/next?subject={subject}"))["due_at"]
        return datetime.fromisoformat(due) if due else None

    async def _move_to(self, at: datetime, subject: str | None = None) -> int:
        """Move the shared clock (through one service) forward to `at`, unless it is there
        already, and have every service fire what is due."""
        moved = None
        if at > await self.now(subject):
            moved = await self._call(
                "subscriptions",
                "POST",
                "/ops/clock/set",
                {"at": at.isoformat(), "subject": subject},
                already_past_ok=True,
            )
        # None: the running clock was at `at` or beyond (it may pass it while the request is
        # on its way): nothing to move, the jobs due by now still fire everywhere.
        fired = moved["fired_here"] if moved else 0
        for service in self._urls:
            if service != "subscriptions" or moved is None:
                fired += (await self._call(service, "POST", "/ops/jobs/fire"))["fired"]
        return fired

    async def settle(self) -> dict[str, dict]:
        """Wait until nothing is in flight: outboxes empty, every group at the end of its topics."""
        deadline = time.monotonic() + self._settle_timeout
        while True:
            stats = {s: await self._call(s, "GET", "/ops/stats") for s in self._urls}
            behind = await self._what_is_behind(stats)
            if not behind:
                return stats
            if time.monotonic() > deadline:
                raise StackDidNotSettle(f"still in flight after {self._settle_timeout:.0f} s: {behind}")
            await asyncio.sleep(0.02)

    async def _what_is_behind(self, stats: dict[str, dict]) -> list[str]:
        behind = [f"{s}: {n} in outbox" for s, st in stats.items() if (n := st["outbox_backlog"])]
        for service, st in stats.items():
            for group, consumer in st["consumers"].items():
                bootstrap = self._bootstrap or st.get("kafka_bootstrap_servers")
                if not bootstrap:  # a test stack reports it; elsewhere, say where the broker is
                    raise StackRefused(f"{service} does not say where its broker is: pass the time machine `bootstrap`")
                lag = await self._lag(bootstrap, group, consumer["topics"])
                if lag:
                    behind.append(f"group {group}: {lag} records unread")
        return behind

    async def _lag(self, bootstrap: str, group: str, topics: list[str]) -> int:
        reader = await self._reader(bootstrap, group)
        partitions = await partitions_of(reader, topics)  # topics appear as services first publish
        if not partitions:
            return 0
        ends = await true_end_offsets(reader, partitions)
        committed = [await reader.committed(tp) or 0 for tp in partitions]
        return sum(max(ends[tp] - done, 0) for tp, done in zip(partitions, committed, strict=True))

    async def _reader(self, bootstrap: str, group: str) -> AIOKafkaConsumer:
        # Assigned, never subscribed: it reads the group's committed offsets without joining
        # the group, so the services' own members are not disturbed.
        if group not in self._readers:
            reader = offsets_reader(bootstrap, group)
            await reader.start()
            self._readers[group] = reader
        return self._readers[group]

    @overload
    async def _call(
        self, service: str, method: str, path: str, body: dict | None = None, already_past_ok: Literal[False] = False
    ) -> dict: ...

    @overload
    async def _call(
        self, service: str, method: str, path: str, body: dict | None = None, *, already_past_ok: bool
    ) -> dict | None: ...

    async def _call(
        self, service: str, method: str, path: str, body: dict | None = None, already_past_ok: bool = False
    ) -> dict | None:
        """The service's answer; a refusal or silence is a StackRefused naming what was asked.
        With `already_past_ok`, "the clock only moves forward" answers None."""
        try:
            response = await self._http.request(method, self._urls[service] + path, json=body)
        except httpx.HTTPError as error:
            raise StackRefused(f"{service} did not answer {method} {path} ({type(error).__name__}: {error})") from error
        if response.status_code >= 400:
            answer = _json_or_text(response)
            if already_past_ok and response.status_code == 422 and answer.get("code") == "clock_moves_forward_only":
                return None
            raise StackRefused(
                f"{service} refused {method} {path}: {response.status_code} "
                f"{answer.get('code', '')} {answer.get('message', '')}".rstrip()
            )
        return response.json()


def _refuse_a_job_that_never_fires(steps: list[Step], upcoming: datetime) -> None:
    """The same job due again after a step that fired nothing: it fails each time it is
    fired (the service's log says why), and stepping on would loop for ever."""
    if steps and steps[-1].at == upcoming and steps[-1].fired == 0:
        raise StackRefused(f"a job due at {upcoming.isoformat()} stays due after it was fired: see the services' logs")


def _json_or_text(response: httpx.Response) -> dict:
    try:
        answer = response.json()
    except ValueError:
        return {"message": response.text[:200]}
    return answer if isinstance(answer, dict) else {"message": str(answer)[:200]}
