"""Prometheus metrics of one service process, exposed at `GET /metrics`.

Counters and histograms are updated where the work happens (consumer, relay, scheduler,
HTTP); the gauges that need a query (outbox backlog, consumer lag) are refreshed by the
scrape itself, so an idle service costs nothing. Each runtime has its own registry: tests
build several runtimes in one process.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Iterator

from aiokafka import TopicPartition
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.context_managers import Timer
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger("servicekit.metrics")

OUTCOMES = ("handled", "duplicate", "retried", "dead_lettered")
# A scrape must answer even when the database does not: the backlog is then reported as NaN.
SCRAPE_QUERY_TIMEOUT = 2.0
FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class ServiceMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, service: str, published_total: Callable[[], int] = lambda: 0) -> None:
        self.service, self.registry = service, CollectorRegistry()
        self.registry.register(_PublishedCollector(service, published_total))
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.events = self._counter(
            "entitle_events",
            "Consumed events by outcome: handled, duplicate (skipped by "
            "the inbox), retried (one failed attempt), dead_lettered.",
            "group",
            "topic",
            "event_type",
            "outcome",
        )
        self.handler_seconds = Histogram(
            "entitle_handler_duration_seconds",
            "Time spent in one event handler (before the commit).",
            ["service", "group", "event_type"],
            buckets=FAST_BUCKETS,
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "entitle_consumer_batch_duration_seconds",
            "From a polled batch to its committed effects.",
            ["service", "group"],
            buckets=FAST_BUCKETS,
            registry=self.registry,
        )
        self.dead_letters = self._counter(
            "entitle_dead_letters",
            "Records this service sent to its dead-letter topic (<group>.dlq), by reason.",
            "group",
            "topic",
            "reason",
        )
        self.lag = self._gauge(
            "entitle_consumer_lag",
            "Records of a partition this process owns that its group has not committed yet.",
            "group",
            "topic",
            "partition",
        )
        self.outbox_backlog = self._gauge("entitle_outbox_backlog", "Outbox rows not published yet.")
        self.jobs_fired = self._counter("entitle_due_jobs_fired", "Due jobs fired by this process.", "kind")
        self.http_requests = self._counter(
            "entitle_http_requests",
            "HTTP requests answered, by route template and status.",
            "method",
            "route",
            "status",
        )
        self.http_seconds = Histogram(
            "entitle_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["service", "method", "route"],
            buckets=FAST_BUCKETS,
            registry=self.registry,
        )

    def _counter(self, name: str, documentation: str, *labels: str) -> Counter:
        return Counter(name, documentation, ["service", *labels], registry=self.registry)

    def _gauge(self, name: str, documentation: str, *labels: str) -> Gauge:
        return Gauge(name, documentation, ["service", *labels], registry=self.registry)

    def event(self, group: str, topic: str, event_type: str, outcome: str) -> None:
        self.events.labels(self.service, group, topic, event_type, outcome).inc()

    def dead_lettered(self, group: str, topic: str, event_type: str, reason: str) -> None:
        self.event(group, topic, event_type, "dead_lettered")
        self.dead_letters.labels(self.service, group, topic, reason).inc()

    def handler_timer(self, group: str, event_type: str) -> Timer:
        return self.handler_seconds.labels(self.service, group, event_type).time()

    def batch_timer(self, group: str) -> Timer:
        return self.batch_seconds.labels(self.service, group).time()

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(self.service, method, route, str(status)).inc()
        self.http_seconds.labels(self.service, method, route).observe(seconds)

    async def exposition(
        self, lags: list[tuple[str, TopicPartition, int]], backlog: Callable[[], Awaitable[int]]
    ) -> bytes:
        """The text exposition, with the scrape-time gauges refreshed first: the consumers' lag
        per (group, partition) and the outbox backlog (asked for, bounded in time)."""
        waiting = await self._backlog(backlog)
        # No await from here on: a concurrent scrape never sees the lag gauge half rebuilt.
        self.outbox_backlog.labels(self.service).set(waiting)
        self.lag.clear()  # partitions this process no longer owns disappear
        for group, tp, lag in lags:
            self.lag.labels(self.service, group, tp.topic, str(tp.partition)).set(lag)
        return generate_latest(self.registry)

    async def _backlog(self, backlog: Callable[[], Awaitable[int]]) -> float:
        try:
            async with asyncio.timeout(SCRAPE_QUERY_TIMEOUT):  # not wait_for: see servicekit.loops
                return await backlog()
        except Exception as error:  # noqa: BLE001 - a scrape reports what it can
            log.warning("outbox backlog unavailable for /metrics (%s: %s)", type(error).__name__, error)
            return math.nan


class _PublishedCollector(Collector):
    """The relay's own count of published rows, read at scrape time."""

    def __init__(self, service: str, published_total: Callable[[], int]) -> None:
        self._service, self._published_total = service, published_total

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily("entitle_outbox_published", "Outbox rows the relay published.", labels=["service"])
        family.add_metric([self._service], self._published_total())
        yield family
