"""The composition root every service builds on: database, broker, relay, scheduler, HTTP."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import AsyncIterator, Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import MetaData

from contracts.envelope import Envelope
from contracts.identity import SignedOut
from contracts.topics import ALL_TOPICS, IDENTITY_EVENTS, dead_letter_topic, owned_by
from servicekit import ratelimit
from servicekit.auth import Caller
from servicekit.clock import Clock, SharedTestClock, SystemClock, clock_from
from servicekit.consumer import EventConsumer
from servicekit.db import Database
from servicekit.groupleave import leave_on_close_even_at_generation_zero
from servicekit.http import BodyLimit, RequestContext, caller_dependency, health_router, install_error_handlers
from servicekit.idempotency import Action, run_command
from servicekit.kafka import KafkaSecurity, ensure_topics, make_broker
from servicekit.leader import leadership_for
from servicekit.metrics import ServiceMetrics
from servicekit.openapi import document_errors
from servicekit.outboxops import outbox_router
from servicekit.relay import OutboxRelay
from servicekit.scheduler import Scheduler
from servicekit.sessions import EndedSessions
from servicekit.settings import ServiceSettings
from servicekit.uow import UnitOfWork

log = logging.getLogger("servicekit.runtime")
HOUSEKEEPING_SECONDS = 60.0  # how often forgotten sessions and rate windows are pruned


class UnsafeConfiguration(RuntimeError):
    """The settings are not safe to serve real people with (`ServiceSettings.production_problems`)."""

    def __init__(self, service: str, problems: list[str]) -> None:
        super().__init__(f"{service} refuses to start outside a test clock: "
                         + " ".join(f"({n}) {p}" for n, p in enumerate(problems, 1)))
        self.problems = problems


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings, metadata: MetaData, clock: Clock | None = None) -> None:
        self.settings = settings
        self.name = settings.service_name
        self.clock = clock or clock_from(settings.clock_file)
        self.db = Database(settings.resolved_database_url(), settings.resolved_schema(), (metadata,))
        self.kafka_security = KafkaSecurity.of(settings)  # refuses an incomplete SASL setup here
        self.broker = make_broker(settings.kafka_bootstrap_servers, client_id=self.name,
                                  security=self.kafka_security)
        self.relay = OutboxRelay(
            self.db, self.broker, self.clock, batch_size=settings.relay_batch_size,
            leadership=leadership_for(self.db, poll_seconds=settings.relay_leader_poll_seconds),
            gap_grace_seconds=0.0 if self.db.is_sqlite else settings.relay_gap_grace_seconds)
        self.scheduler = Scheduler(self)
        self.metrics = ServiceMetrics(self.name, lambda: self.relay.published_total)
        self.consumers: list[EventConsumer] = []
        self.app: FastAPI | None = None
        # Sessions identity ended, refused here too; identity itself checks its own sessions.
        self.ended_sessions = (EndedSessions(self.db, timedelta(seconds=settings.token_ttl_seconds))
                               if self.name != IDENTITY_EVENTS.owner else None)
        self.authenticated = caller_dependency(self)
        self._tasks: list[asyncio.Task] = []
        self._workers: dict[str, Callable[[], Awaitable[None]]] = {}
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

    def uow(self, cause: Envelope | None = None, correlation_id: str | None = None,
            subject: str | None = None) -> UnitOfWork:
        return UnitOfWork(self.db, self.clock, self.name, cause=cause, correlation_id=correlation_id,
                          subject=subject, on_commit=self.relay.wake)

    def consumer(self, group: str | None = None) -> EventConsumer:
        consumer = EventConsumer(self, group or self.name)
        if self.ended_sessions is not None and not self.consumers:
            # The service's first group also records ended sessions: no service code needed.
            consumer.on(SignedOut, self.ended_sessions.record)
            consumer.also_consumed.append(IDENTITY_EVENTS)
        self.consumers.append(consumer)
        return consumer

    async def command(self, request: Request, caller: Caller | None, body, action: Action,
                      status_code: int = 200):
        return await run_command(self, request, caller, body, action, status_code)

    def http_app(self, *routers: APIRouter, title: str, description: str) -> FastAPI:
        app = FastAPI(title=title, description=description, version="0.1.0", lifespan=self._lifespan)
        app.state.runtime = self  # for serve(): a SIGTERM stops the consumers before HTTP drains
        app.add_middleware(BodyLimit, max_bytes=self.settings.max_request_bytes,
                           max_upload_bytes=self.settings.max_upload_bytes)
        app.add_middleware(RequestContext, metrics=self.metrics)  # outermost: a 413 is counted and tagged
        install_error_handlers(app)
        document_errors(app)
        app.include_router(health_router(self))
        app.include_router(outbox_router(self))
        for router in routers:
            app.include_router(router)
        return app

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def start(self) -> None:
        self.refuse_unsafe_configuration()
        await self.db.migrate(self.name, check_only=not self.settings.migrate_on_start)
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
        self._tasks += [asyncio.create_task(loop(), name=name) for name, loop in self._workers.items()]
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
            await asyncio.wait_for(self.relay.publish_pending(), timeout=5.0)
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
        """Forget what no longer matters: ended sessions whose tokens have all expired, and
        rate-limit windows long past."""
        now = self.clock.now()
        if self.ended_sessions is not None:
            await self.ended_sessions.prune(now)
        async with self.db.engine.begin() as conn:
            await ratelimit.prune(conn, now)

    async def readiness(self) -> dict[str, bool]:
        checks = {}
        try:
            await self.db.ping()
            checks["database"] = True
        except Exception:
            checks["database"] = False
        try:
            checks["broker"] = bool(await self.broker.ping(timeout=2.0))
        except Exception:
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
            "consumers": {c.group: {"topics": c.topics, "processed": c.processed, "skipped_duplicates": c.skipped,
                                    "dead_lettered": c.dead_lettered} for c in self.consumers},
        }
