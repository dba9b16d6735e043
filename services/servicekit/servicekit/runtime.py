"""The composition root of the kit: one service process's database, broker, consumers, relay,
scheduler, metrics and what its HTTP routes need (the caller's authentication, the operator
gate, the command runner). It assembles the narrow parts; none of them holds the runtime.
`servicekit.app.service_app` then makes the FastAPI app around it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, FastAPI, Request
from sqlalchemy import MetaData

from contracts.envelope import Envelope
from contracts.identity import SignedOut
from contracts.topics import ALL_TOPICS, IDENTITY_EVENTS, dead_letter_topic, owned_by
from servicekit.clock import Clock, SharedTestClock, SystemClock, clock_from
from servicekit.http.auth import TokenKeys
from servicekit.http.deps import Authenticator, OperatorGate
from servicekit.http.idempotency import CommandRunner
from servicekit.http.sessions import EndedSessions
from servicekit.messaging.consumer import EventConsumer
from servicekit.messaging.groupleave import leave_on_close_even_at_generation_zero
from servicekit.messaging.kafka import KafkaSecurity, ensure_topics, make_broker
from servicekit.messaging.leader import leadership_for
from servicekit.messaging.relay import OutboxRelay
from servicekit.metrics import ServiceMetrics
from servicekit.migrations import migrate_database
from servicekit.scheduler import Scheduler
from servicekit.settings import ServiceSettings
from servicekit.store import ratelimit
from servicekit.store.db import Database
from servicekit.store.uow import UnitOfWork

log = logging.getLogger("servicekit.runtime")
HOUSEKEEPING_SECONDS = 60.0  # how often forgotten sessions, rate windows and done jobs are pruned


class UnsafeConfiguration(RuntimeError):
    """The settings are not safe to serve real people with (`ServiceSettings.production_problems`)."""

    def __init__(self, service: str, problems: list[str]) -> None:
        super().__init__(
            f"{service} refuses to start outside a test clock: "
            + " ".join(f"({n}) {p}" for n, p in enumerate(problems, 1))
        )
        self.problems = problems


U = TypeVar("U", bound=UnitOfWork)


class ServiceRuntime(Generic[U]):
    """`unit_of_work` is the service's own UnitOfWork subclass, which holds its repositories
    (`uow.pools`, `uow.subscriptions`): every handler, job and command is given one."""

    def __init__(
        self,
        settings: ServiceSettings,
        metadata: MetaData,
        clock: Clock | None = None,
        unit_of_work: type[U] = UnitOfWork,  # type: ignore[assignment]  # U is UnitOfWork when not given
    ) -> None:
        self.settings = settings
        self._unit_of_work = unit_of_work
        self.name = settings.service_name
        self.clock = clock or clock_from(settings.clock_file)
        self.db = Database(settings.resolved_database_url(), settings.resolved_schema(), (metadata,))
        self.kafka_security = KafkaSecurity.of(settings)  # refuses an incomplete SASL setup here
        self.broker = make_broker(settings.kafka_bootstrap_servers, client_id=self.name, security=self.kafka_security)
        self.relay = OutboxRelay(
            self.db,
            self.broker,
            self.clock,
            batch_size=settings.relay_batch_size,
            leadership=leadership_for(self.db, poll_seconds=settings.relay_leader_poll_seconds),
            gap_grace_seconds=0.0 if self.db.is_sqlite else settings.relay_gap_grace_seconds,
        )
        self.metrics = ServiceMetrics(self.name, lambda: self.relay.published_total)
        self.scheduler = Scheduler(
            self.name,
            db=self.db,
            clock=self.clock,
            units_of_work=self.uow,
            metrics=self.metrics,
            poll_seconds=settings.scheduler_poll_seconds,
        )
        self.consumers: list[EventConsumer] = []
        self.app: FastAPI | None = None
        # Sessions identity ended, refused here too; identity itself checks its own sessions.
        self.ended_sessions = (
            EndedSessions(self.db, timedelta(seconds=settings.token_ttl_seconds))
            if self.name != IDENTITY_EVENTS.owner
            else None
        )
        secrets = (settings.token_secret, *settings.previous_token_secrets())
        self.authenticator = Authenticator(
            TokenKeys(
                settings.token_secret, settings.previous_token_secrets(), timedelta(seconds=settings.token_ttl_seconds)
            ),
            self.clock,
            self.ended_sessions,
        )
        self.operators = OperatorGate(
            settings.operator_token, open_without_token=self.on_test_clock, metrics_open=settings.metrics_open
        )
        self.commands = CommandRunner(self.uow, secrets)
        self._tasks: list[asyncio.Task] = []
        self._workers: dict[str, Callable[[], Awaitable[None]]] = {}
        self._chores: list[Callable[[U], Awaitable[object]]] = []
        self._consumers_stopped: asyncio.Future | None = None

    @property
    def on_test_clock(self) -> bool:
        """A stack on the shared test clock (`make run`, the tests), never a production one:
        only there do the clock routes and the test shortcuts exist."""
        return isinstance(self.clock, SharedTestClock)

    @property
    def on_real_time(self) -> bool:
        """Serving real people: the system clock, not the shared test clock of a stack nor a
        unit test's fixed one. Only then is an unsafe configuration refused."""
        return isinstance(self.clock, SystemClock)

    def refuse_unsafe_configuration(self) -> None:
        """Raise UnsafeConfiguration listing every production problem, on real time only."""
        if self.on_real_time and (problems := self.settings.production_problems()):
            raise UnsafeConfiguration(self.name, problems)

    def add_worker(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        """A background loop started with the service and cancelled when it stops."""
        self._workers[name] = loop

    def add_housekeeping(self, chore: Callable[[U], Awaitable[object]]) -> None:
        """The service's own forgetting, run at each housekeeping round after the kit's, in a
        unit of work of its own that commits when it returns (keep it to a bounded batch)."""
        self._chores.append(chore)

    @property
    def test_clock(self) -> SharedTestClock:
        """The shared test clock (the clock routes exist only on one)."""
        if not isinstance(self.clock, SharedTestClock):
            raise RuntimeError(f"{self.name} runs on real time: it has no test clock")
        return self.clock

    def uow(
        self,
        cause: Envelope | None = None,
        correlation_id: str | None = None,
        subject: str | None = None,
        read_only: bool = False,
    ) -> U:
        """A unit of work: one transaction; `read_only`, reads outside any (hot read paths)."""
        return self._unit_of_work(
            self.db,
            self.clock,
            self.name,
            cause=cause,
            correlation_id=correlation_id,
            subject=subject,
            on_commit=self.relay.wake,
            on_due_now=self.scheduler.wake,
            read_only=read_only,
        )

    def consumer(self, group: str | None = None) -> EventConsumer:
        consumer = EventConsumer(
            group or self.name, broker=self.broker, units_of_work=self.uow, metrics=self.metrics, settings=self.settings
        )
        if self.ended_sessions is not None and not self.consumers:
            # The service's first group also records ended sessions: no service code needed.
            consumer.on(SignedOut, self.ended_sessions.record)
            consumer.also_consumed.append(IDENTITY_EVENTS)
        self.consumers.append(consumer)
        return consumer

    async def migrate(self, *, check_only: bool = False, adopt: bool = False) -> None:
        """The database to the code's revisions (the kit's, then the service's)."""
        await migrate_database(self.db, self.name, check_only=check_only, adopt=adopt)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def start(self) -> None:
        self.refuse_unsafe_configuration()
        await self.migrate(check_only=not self.settings.migrate_on_start)
        topics = {t.name: t.partitions for t in owned_by(self.name)}
        topics.update({dead_letter_topic(c.group): 1 for c in self.consumers})
        # Consumed topics too: a consumer that starts before the producer must find them.
        # Only those it owns or reads: a broker with ACLs shows a service no other topic,
        # which would look missing and be refused creation (infra/kafka/acls.txt).
        consumed = {name for c in self.consumers for name in c.topics}
        topics.update({t.name: t.partitions for t in ALL_TOPICS if t.name in consumed})
        await ensure_topics(self.settings.kafka_bootstrap_servers, topics, security=self.kafka_security)
        await self.broker.start()
        if self.settings.relay_enabled:
            self._tasks.append(asyncio.create_task(self.relay.run(), name="relay"))
        self._tasks.append(asyncio.create_task(self.scheduler.run(), name="scheduler"))
        self._tasks.append(asyncio.create_task(self._keep_house(), name="housekeeping"))
        # add_worker takes async functions, whose calls are coroutines; it is annotated Awaitable.
        self._tasks += [
            asyncio.create_task(loop(), name=name)  # type: ignore[arg-type]
            for name, loop in self._workers.items()
        ]
        log.info("%s started", self.name)

    async def stop(self) -> None:
        # The consumers first: the batch in hand finishes and commits its offsets, and no
        # other is started.
        await self.stop_consuming()
        for task in self._tasks:
            task.cancel()  # a due job cut short rolls back and fires again after a restart
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.settings.relay_enabled:
            await self._last_relay_pass()
            await self.relay.release()  # a standby replica takes over at its next try
        await self.broker.stop()
        await self.db.dispose()
        log.info("%s stopped", self.name)

    async def stop_consuming(self) -> None:
        """Stop every subscriber, waiting (up to the broker's graceful_timeout) for the batch
        in hand to be applied and acknowledged. Safe to call again: all callers wait for the
        same stop."""
        if self._consumers_stopped is None:
            for consumer in (getattr(s, "consumer", None) for s in self.broker.subscribers):
                if consumer is not None:
                    leave_on_close_even_at_generation_zero(consumer)
            subscribers = [s.stop() for s in self.broker.subscribers]
            self._consumers_stopped = asyncio.ensure_future(asyncio.gather(*subscribers))
        await asyncio.shield(self._consumers_stopped)

    async def _last_relay_pass(self) -> None:
        """What the last batch committed goes out now rather than at the next start."""
        try:
            async with asyncio.timeout(5.0):  # not wait_for: see servicekit.loops
                await self.relay.publish_pending()
        except Exception as error:  # noqa: BLE001 - the outbox keeps it for the next start
            log.warning("outbox not drained at stop (%s: %s)", type(error).__name__, error)

    async def _keep_house(self) -> None:
        while True:
            try:
                await self.housekeeping()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - tried again at the next round
                log.warning("housekeeping failed (%s: %s)", type(error).__name__, error)
            await asyncio.sleep(HOUSEKEEPING_SECONDS)

    async def housekeeping(self) -> None:
        """Forget what no longer matters: ended sessions whose tokens have all expired,
        rate-limit windows long past, due jobs done a week ago (a bounded batch per round),
        then what the service added (`add_housekeeping`)."""
        now = self.clock.now()
        if self.ended_sessions is not None:
            await self.ended_sessions.prune(now)
        async with self.db.engine.begin() as conn:
            await ratelimit.prune(conn, now)
        await self.scheduler.forget_done(now)
        for chore in self._chores:
            async with self.uow() as uow:
                await chore(uow)
                await uow.commit()

    async def readiness(self) -> dict[str, bool]:
        checks = {}
        try:
            await self.db.ping()
            checks["database"] = True
        except Exception:  # noqa: BLE001 - health reports any failure as down
            checks["database"] = False
        try:
            checks["broker"] = bool(await self.broker.ping(timeout=2.0))
        except Exception:  # noqa: BLE001 - health reports any failure as down
            checks["broker"] = False
        return checks

    async def stats(self) -> dict:
        return {
            "service": self.name,
            "outbox_backlog": await self.relay.backlog(),
            "next_due_at": (due.isoformat() if (due := await self.scheduler.next_due_at()) else None),
            # Only a test stack's time machine needs the broker's address (to read the groups'
            # offsets); elsewhere an operator has no use for it here.
            **({"kafka_bootstrap_servers": self.settings.kafka_bootstrap_servers} if self.on_test_clock else {}),
            "published": self.relay.published_total,
            "relay_active": self.relay.active,
            "consumers": {
                c.group: {
                    "topics": c.topics,
                    "processed": c.processed,
                    "skipped_duplicates": c.skipped,
                    "dead_lettered": c.dead_lettered,
                }
                for c in self.consumers
            },
        }


def runtime_of(request: Request) -> ServiceRuntime[Any]:
    runtime: ServiceRuntime[Any] = request.app.state.runtime
    return runtime


async def _runtime(request: Request) -> ServiceRuntime[Any]:
    # async: FastAPI runs a plain `def` dependency in a worker thread, a hand-over that costs
    # more than many routes (measured on the access check).
    return runtime_of(request)


Runtime = Annotated[ServiceRuntime[Any], Depends(_runtime)]
"""The service's runtime, for module-level routes (its database, clock, scheduler, relay)."""
