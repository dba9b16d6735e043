"""Consuming events: effects once, offsets committed only after the effects commit.

Records arrive in polled batches. Every record is parsed first; one that can never succeed
(bad JSON, an invalid payload) goes to `<group>.dlq` with the reason in its headers. The
handled events of the batch are then applied in ONE transaction: claim each event id in the
inbox, run its handler, one commit; only then are the offsets committed. If anything in that
transaction fails, it rolls back and the batch is applied again one record at a time, each
in its own transaction: a rule refusing a record dead-letters it, an unexpected error is
retried with growing backoff, then dead-lettered, and a database that does not answer is
waited for without limit. So a poison record ends in the DLQ alone and the others still
apply exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiokafka import ConsumerRecord, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from contracts.envelope import Envelope, Event
from contracts.errors import InconsistentEvent, RuleViolation
from contracts.registry import EVENT_TYPES
from contracts.topics import Topic, dead_letter_topic
from servicekit.logs import bind
from servicekit.messaging.deadletter import DeadLetter, dead_letter_headers
from servicekit.metrics import ServiceMetrics
from servicekit.settings import ServiceSettings
from servicekit.store.uow import UnitOfWork, UnitsOfWork

log = logging.getLogger("servicekit.messaging.consumer")

EventHandler = Callable[[Any, Any], Awaitable[None]]
"""Handles one event (of the type it was registered for) in the given unit of work (the
service's own kind, which holds its repositories)."""

E = TypeVar("E", bound=Event)
INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError, ConnectionError, OSError, TimeoutError)

# A bigger batch shares one transaction among more events, but holds the service's write
# lock (SQLite) longer: at 1-3 ms an event, 200 hold it for a fraction of a second.
BATCH_MAX_RECORDS = 200
# How long a poll waits for records. FastStream sleeps as long again after an empty poll,
# so this bounds the latency an idle consumer adds to the first record that arrives.
BATCH_WAIT_MS = 50
# A consumer's position is known once it is assigned; the wait only covers a reset in progress.
POSITION_TIMEOUT = 0.5


@dataclass(frozen=True)
class HandledRecord:
    """A record this group has a handler for, parsed and ready to apply."""

    record: ConsumerRecord
    envelope: Envelope
    event: Event
    handler: EventHandler

    def log_fields(self) -> dict[str, str | None]:
        envelope = self.envelope
        return {
            "correlation_id": envelope.correlationid,
            "event_id": envelope.id,
            "event_type": envelope.type,
            "subject": envelope.subject,
            "subscription_id": envelope.data.get("subscription_id"),
        }


class EventConsumer:
    """One consumer group of a service: which handler each event type goes to."""

    def __init__(
        self,
        group: str,
        *,
        broker: KafkaBroker,
        units_of_work: UnitsOfWork,
        metrics: ServiceMetrics,
        settings: ServiceSettings,
    ) -> None:
        self.group = group
        self._broker, self._uow, self._metrics, self._settings = broker, units_of_work, metrics, settings
        self._handlers: dict[str, tuple[type[Event], list[EventHandler]]] = {}
        # Topics every subscription of this group includes besides its own: the kit's (a
        # service learns of ended sessions from identity's events through its own group).
        self.also_consumed: list[Topic] = []
        self.processed = self.skipped = self.dead_lettered = 0
        self.topics: list[str] = []
        self._subscribers: list = []  # FastStream's, each holding its AIOKafkaConsumer once started
        self._in_hand: Counter[TopicPartition] = Counter()  # records polled, not yet committed

    def on(self, model: type[E], handler: Callable[[E, Any], Awaitable[None]]) -> None:
        """Handle `model` events with `handler`. Several handlers of one type (the kit's and
        the service's) all run, in the order given, in the event's one transaction."""
        known, handlers = self._handlers.setdefault(model.type, (model, []))
        if known is not model:
            raise ValueError(f"{model.type} is already handled as {known.__name__}, not {model.__name__}")
        handlers.append(handler)

    def handles(self, event_type: str) -> bool:
        """Whether this group has a handler for events of that type."""
        return event_type in self._handlers

    def attach(self, *topics: Topic) -> None:
        """Subscribe to the topics: group set, offsets from the earliest, acked after commit."""
        topics += tuple(t for t in self.also_consumed if t.name not in self.topics and t not in topics)
        self.topics += [t.name for t in topics]

        async def consume(message: KafkaMessage) -> None:
            self._in_hand = Counter(TopicPartition(r.topic, r.partition) for r in message.raw_message)
            try:
                await self.process_batch(message.raw_message)
                await message.ack()  # commits the offsets of the whole batch
            finally:
                self._in_hand = Counter()

        subscriber = self._broker.subscriber(
            *(t.name for t in topics),
            group_id=self.group,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,
            max_poll_interval_ms=10 * 60 * 1000,
            batch=True,
            max_records=BATCH_MAX_RECORDS,
            batch_timeout_ms=BATCH_WAIT_MS,
            fetch_max_wait_ms=self._settings.consumer_fetch_max_wait_ms,
            session_timeout_ms=(session := self._settings.consumer_session_timeout_ms),
            heartbeat_interval_ms=session // 3,
            decoder=_raw_records,
            title=f"{self.group}:{'+'.join(t.name for t in topics)}",
        )
        subscriber(consume)
        self._subscribers.append(subscriber)

    async def lag(self) -> dict[TopicPartition, int]:
        """Per partition this process owns: log end minus the group's committed offset, i.e.
        the records not fetched yet plus the batch in hand. The log end is the one the last
        fetch reported, so this asks the broker nothing."""
        lags = {}
        for consumer in (s.consumer for s in self._subscribers if getattr(s, "consumer", None)):
            for tp in consumer.assignment():
                if (end := consumer.highwater(tp)) is None:
                    continue  # no fetch answered for it yet
                try:
                    async with asyncio.timeout(POSITION_TIMEOUT):  # not wait_for: see servicekit.loops
                        position = await consumer.position(tp)
                except Exception:  # noqa: BLE001 - revoked or resetting: left out of this scrape
                    continue
                lags[tp] = max(end - position, 0) + self._in_hand[tp]
        return lags

    async def process_batch(self, records: Sequence[ConsumerRecord]) -> None:
        """Apply a polled batch (in partition order) in one transaction; if that fails, record
        by record. Returns once every record is either applied, skipped or dead-lettered."""
        with bind(consumer_group=self.group), self._metrics.batch_timer(self.group):
            handled = []
            for record in records:
                if parsed := await self._parse_or_dead_letter(record):
                    handled.append(parsed)
            if not handled:
                return
            try:
                await self._apply_together(handled)
            except Exception as error:  # noqa: BLE001 - the one-at-a-time path finds out which record it was
                log.warning(
                    "%s batch of %d failed (%s: %s); applying its records one at a time",
                    self.group,
                    len(handled),
                    type(error).__name__,
                    error,
                )
                for parsed in handled:
                    with bind(**parsed.log_fields()):
                        await self._apply_with_retries(parsed)

    async def _parse_or_dead_letter(self, record: ConsumerRecord) -> HandledRecord | None:
        """None for a record dead-lettered here or of a type this service does not need
        (acknowledged and ignored)."""
        try:
            return self._parse(record)
        except DeadLetter as failure:
            await self._dead_letter(record, failure, attempts=1)
            return None

    def _parse(self, record: ConsumerRecord) -> HandledRecord | None:
        try:
            envelope = Envelope.model_validate_json(record.value)
        except ValidationError as error:
            raise DeadLetter("malformed", error) from error
        known = self._handlers.get(envelope.type)
        if known is None:
            return None
        model, handlers = known
        try:
            return HandledRecord(record, envelope, model.model_validate(envelope.data), _all_of(handlers))
        except ValidationError as error:
            raise DeadLetter("schema_invalid", error) from error

    async def _apply_together(self, batch: list[HandledRecord]) -> None:
        outcomes = []
        async with self._uow() as uow:
            for parsed in batch:
                # Each handler sees its own event as the cause; a duplicate, even one earlier
                # in this same batch, finds its inbox row already written by this transaction.
                with uow.caused_by(parsed.envelope), bind(**parsed.log_fields()):
                    if await uow.claim_event(self.group, parsed.envelope):
                        await self._run_handler(parsed, uow)
                        outcomes.append((parsed, "handled"))
                    else:
                        outcomes.append((parsed, "duplicate"))
            await uow.commit()
        for parsed, outcome in outcomes:
            self._count(parsed, outcome)

    async def _run_handler(self, parsed: HandledRecord, uow: UnitOfWork) -> None:
        with self._metrics.handler_timer(self.group, parsed.envelope.type):
            await parsed.handler(parsed.event, uow)

    def _count(self, parsed: HandledRecord, outcome: str) -> None:
        if outcome == "handled":
            self.processed += 1
        elif outcome == "duplicate":
            self.skipped += 1
        self._metrics.event(self.group, parsed.record.topic, parsed.envelope.type, outcome)

    async def _apply_with_retries(self, parsed: HandledRecord) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._apply(parsed)
            except InconsistentEvent as contradiction:  # forged or corrupt: never applied
                return await self._dead_letter(
                    parsed.record, DeadLetter("inconsistent", contradiction), attempt, parsed.envelope.type
                )
            except RuleViolation as refusal:
                return await self._dead_letter(
                    parsed.record, DeadLetter("rule_violation", refusal), attempt, parsed.envelope.type
                )
            except Exception as error:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
                if self._gives_up(error, attempt):
                    return await self._dead_letter(
                        parsed.record, DeadLetter("handler_failed", error), attempt, parsed.envelope.type
                    )
                self._count(parsed, "retried")
                await self._back_off(parsed.record, error, attempt)

    def _gives_up(self, error: Exception, attempt: int) -> bool:
        """An outage is waited out without limit: giving up would skip a good record. Anything
        else (a handler bug, a passing fault) is retried a few times."""
        return not _is_infrastructure(error) and attempt >= self._settings.consumer_max_attempts

    async def _apply(self, parsed: HandledRecord) -> None:
        async with self._uow(cause=parsed.envelope) as uow:
            if not await uow.claim_event(self.group, parsed.envelope):
                self._count(parsed, "duplicate")
                return
            await self._run_handler(parsed, uow)
            await uow.commit()
        self._count(parsed, "handled")

    async def _back_off(self, record: ConsumerRecord, error: Exception, attempt: int) -> None:
        delay = min(self._settings.consumer_backoff_seconds * 2 ** (attempt - 1), 10.0)
        log.warning(
            "%s %s[%d]@%d attempt %d failed (%s: %s); retrying in %.2fs",
            self.group,
            record.topic,
            record.partition,
            record.offset,
            attempt,
            type(error).__name__,
            error,
            delay,
        )
        await asyncio.sleep(delay)

    async def _dead_letter(
        self, record: ConsumerRecord, failure: DeadLetter, attempts: int, event_type: str | None = None
    ) -> None:
        headers = dead_letter_headers(record, failure, self.group, attempts)
        attempt = 0
        while True:  # the offset must not move past a record that is neither applied nor kept
            attempt += 1
            try:
                await self._broker.publish(
                    record.value or b"", topic=dead_letter_topic(self.group), key=record.key, headers=headers
                )
                break
            except Exception as error:  # noqa: BLE001 - the broker may fail in any way; the offset waits
                await self._back_off(record, error, attempt)
        self.dead_lettered += 1
        self._metrics.dead_lettered(self.group, record.topic, event_type or _event_type_of(record), failure.reason)
        log.error("%s dead-lettered %s[%d]@%d: %s", self.group, record.topic, record.partition, record.offset, failure)


def _all_of(handlers: list[EventHandler]) -> EventHandler:
    if len(handlers) == 1:
        return handlers[0]

    async def each(event: Event, uow: UnitOfWork) -> None:
        for handler in handlers:
            await handler(event, uow)

    return each


def _event_type_of(record: ConsumerRecord) -> str:
    """The type a record's header claims, if it is one of ours: a metric label, kept bounded."""
    claimed = dict(record.headers or ()).get("ce_type", b"").decode(errors="replace")
    return claimed if claimed in EVENT_TYPES else "unknown"


def _is_infrastructure(error: Exception) -> bool:
    """A database or network that does not answer, as opposed to a fault in the record."""
    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    if isinstance(error, DBAPIError):
        return bool(error.connection_invalidated)
    return isinstance(error, INFRASTRUCTURE_ERRORS)


async def _raw_records(message: object) -> None:
    """The handler reads the raw records itself: FastStream need not decode each one."""
    return
