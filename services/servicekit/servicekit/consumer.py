"""Consuming events: effects once, offsets committed only after the effects commit.

For each record: parse the envelope and the typed payload; in one transaction claim the
event id in the inbox, run the handler and commit; only then commit the offset. A record
that can never succeed (bad JSON, invalid payload, a rule refusing it) goes to
`<group>.dlq` with the reason in its headers, and the partition moves on. An unexpected
error is retried with growing backoff, then dead-lettered. A database that does not answer
is waited for without limit: nothing is committed, nothing is skipped.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Awaitable, Callable

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from contracts.envelope import Envelope, Event
from contracts.errors import RuleViolation
from contracts.topics import Topic, dead_letter_topic

if TYPE_CHECKING:
    from servicekit.runtime import ServiceRuntime
    from servicekit.uow import UnitOfWork

log = logging.getLogger("servicekit.consumer")

EventHandler = Callable[[Event, "UnitOfWork"], Awaitable[None]]
INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError, ConnectionError, OSError, TimeoutError)


class DeadLetter(Exception):
    def __init__(self, reason: str, error: Exception) -> None:
        super().__init__(f"{reason}: {error}")
        self.reason, self.error = reason, error


class EventConsumer:
    """One consumer group of a service: which handler each event type goes to."""

    def __init__(self, runtime: "ServiceRuntime", group: str) -> None:
        self._runtime, self.group = runtime, group
        self._handlers: dict[str, tuple[type[Event], EventHandler]] = {}
        self.processed = self.skipped = self.dead_lettered = 0

    def on(self, model: type[Event], handler: EventHandler) -> None:
        self._handlers[model.type] = (model, handler)

    def attach(self, *topics: Topic) -> None:
        """Subscribe to the topics: group set, offsets from the earliest, acked after commit."""

        async def consume(message: KafkaMessage) -> None:
            await self.process(message.raw_message)
            await message.ack()

        self._runtime.broker.subscriber(
            *(t.name for t in topics), group_id=self.group, auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL, max_poll_interval_ms=10 * 60 * 1000,
            title=f"{self.group}:{'+'.join(t.name for t in topics)}",
        )(consume)

    async def process(self, record: ConsumerRecord) -> None:
        try:
            envelope, event, handler = self._parse(record)
        except DeadLetter as failure:
            return await self._dead_letter(record, failure, attempts=1)
        if handler is None:
            return  # an event type this service does not need: acknowledged and ignored
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._apply(envelope, event, handler)
            except RuleViolation as refusal:
                return await self._dead_letter(record, DeadLetter("rule_violation", refusal), attempt)
            except INFRASTRUCTURE_ERRORS + (DBAPIError,) as error:
                if not _is_infrastructure(error):
                    raise
                await self._back_off(record, error, attempt)
            except Exception as error:  # a handler bug or a passing fault: retry, then give up
                if attempt >= self._runtime.settings.consumer_max_attempts:
                    return await self._dead_letter(record, DeadLetter("handler_failed", error), attempt)
                await self._back_off(record, error, attempt)

    def _parse(self, record: ConsumerRecord) -> tuple[Envelope, Event | None, EventHandler | None]:
        try:
            envelope = Envelope.model_validate_json(record.value)
        except ValidationError as error:
            raise DeadLetter("malformed", error) from error
        model, handler = self._handlers.get(envelope.type, (None, None))
        if model is None:
            return envelope, None, None
        try:
            return envelope, model.model_validate(envelope.data), handler
        except ValidationError as error:
            raise DeadLetter("schema_invalid", error) from error

    async def _apply(self, envelope: Envelope, event: Event, handler: EventHandler) -> None:
        async with self._runtime.uow(cause=envelope) as uow:
            if not await uow.claim_event(self.group, envelope):
                self.skipped += 1
                return
            await handler(event, uow)
            await uow.commit()
        self.processed += 1

    async def _back_off(self, record: ConsumerRecord, error: Exception, attempt: int) -> None:
        delay = min(self._runtime.settings.consumer_backoff_seconds * 2 ** (attempt - 1), 10.0)
        log.warning("%s %s[%d]@%d attempt %d failed (%s: %s); retrying in %.2fs",
                    self.group, record.topic, record.partition, record.offset, attempt,
                    type(error).__name__, error, delay)
        await asyncio.sleep(delay)

    async def _dead_letter(self, record: ConsumerRecord, failure: DeadLetter, attempts: int) -> None:
        headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
        headers.update({
            "dlq.reason": failure.reason, "dlq.error": str(failure.error)[:2000],
            "dlq.error_type": type(failure.error).__name__, "dlq.topic": record.topic,
            "dlq.partition": str(record.partition), "dlq.offset": str(record.offset),
            "dlq.group": self.group, "dlq.attempts": str(attempts),
        })
        if isinstance(failure.error, RuleViolation) and failure.error.rule:
            headers["dlq.rule"] = failure.error.rule
        attempt = 0
        while True:  # the offset must not move past a record that is neither applied nor kept
            attempt += 1
            try:
                await self._runtime.broker.publish(
                    record.value or b"", topic=dead_letter_topic(self.group),
                    key=record.key, headers=headers)
                break
            except Exception as error:
                await self._back_off(record, error, attempt)
        self.dead_lettered += 1
        log.error("%s dead-lettered %s[%d]@%d: %s", self.group, record.topic,
                  record.partition, record.offset, failure)


def _is_infrastructure(error: Exception) -> bool:
    if isinstance(error, DBAPIError) and not isinstance(error, (OperationalError, InterfaceError)):
        return bool(error.connection_invalidated)
    return True
