"""Consuming a polled batch: one transaction for the batch, and one record at a time when
any record of it fails. Run against SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import TestKafkaBroker
from sqlalchemy import MetaData, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from contracts.envelope import Envelope
from contracts.errors import InconsistentEvent, RuleViolation
from contracts.identity import AccountRegistered
from contracts.topics import IDENTITY_EVENTS
from servicekit.clock import FixedClock
from servicekit.messaging.consumer import BATCH_MAX_RECORDS
from servicekit.migrations import migrate_database
from servicekit.runtime import ServiceRuntime
from servicekit.settings import ServiceSettings
from servicekit.store.tables import inbox, outbox

NOW = datetime(2026, 1, 1, tzinfo=UTC)
MAX_ATTEMPTS = 3


@pytest.fixture
async def runtime(database_target):
    url, schema = database_target
    settings = ServiceSettings(
        service_name="test",
        database_url=url,
        db_schema=schema,
        consumer_max_attempts=MAX_ATTEMPTS,
        consumer_backoff_seconds=0.001,
    )
    runtime = ServiceRuntime(settings, MetaData(), clock=FixedClock(NOW))
    await migrate_database(runtime.db, "servicekit")  # the kit's tables only
    yield runtime
    await runtime.db.drop_schema()
    await runtime.db.dispose()


class DeadLetterBox:
    """Stands in for the broker's publish: keeps what was sent to a DLQ."""

    def __init__(self) -> None:
        self.letters: list[dict] = []

    async def publish(self, body: bytes, *, topic: str, key: bytes | None, headers: dict) -> None:
        self.letters.append({"topic": topic, "body": body, **headers})

    def reasons(self) -> dict[bytes, str]:
        return {letter["body"]: letter["dlq.reason"] for letter in self.letters}


@pytest.fixture
def dead_letters(runtime, monkeypatch) -> DeadLetterBox:
    box = DeadLetterBox()
    monkeypatch.setattr(runtime.broker, "publish", box.publish)
    return box


class AccountsHandler:
    """Publishes one event per account it handles; the company name says how it should fail."""

    def __init__(self, failures: dict[str, list[Exception]] | None = None) -> None:
        self.failures = failures or {}  # account id → errors to raise, one per call
        self.log: list[str] = []

    async def __call__(self, event: AccountRegistered, uow) -> None:
        self.log.append(f"handled {event.account_id}")
        if event.company_name == "refused":
            raise RuleViolation("refused", "This account is refused.", rule="R99")
        if event.company_name == "crashes":
            raise RuntimeError("handler bug")
        if event.company_name == "forged":
            raise InconsistentEvent("This account belongs to someone else.")
        if self.failures.get(event.account_id):
            raise self.failures[event.account_id].pop(0)
        await uow.publish(event.model_copy(update={"company_name": f"seen {event.account_id}"}))
        uow.after_commit(lambda: self.log.append(f"committed {event.account_id}"))


def envelope(account_id: str, company: str = "ACME") -> Envelope:
    event = AccountRegistered(account_id=account_id, company_name=company, administrator_id="p-1", registered_at=NOW)
    return Envelope.wrap(event, source="identity", time=NOW, correlation_id=f"corr-{account_id}")


def record(value: Envelope | bytes, partition: int = 0, offset: int = 0) -> ConsumerRecord:
    body = value.to_json() if isinstance(value, Envelope) else value
    return ConsumerRecord(
        topic=IDENTITY_EVENTS.name,
        partition=partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"key",
        value=body,
        checksum=None,
        serialized_key_size=3,
        serialized_value_size=len(body),
        headers=[("ce_type", b"identity.account_registered")],
    )


def schema_invalid() -> bytes:
    body = json.loads(envelope("bad-schema").to_json())
    del body["data"]["company_name"]
    return json.dumps(body).encode()


async def published(runtime) -> list[dict]:
    """What the handlers published, in commit order."""
    async with runtime.db.connect() as conn:
        rows = await conn.execute(select(outbox.c.body).order_by(outbox.c.seq))
        return [json.loads(body) for (body,) in rows]


async def count(runtime, table) -> int:
    async with runtime.db.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


def consumer_of(runtime, handler):
    consumer = runtime.consumer("test")
    consumer.on(AccountRegistered, handler)
    return consumer


async def test_a_poison_record_in_a_batch_is_dead_lettered_alone_and_the_others_apply_once(runtime, dead_letters):
    a1, a2, a3, b1, b2 = (envelope(name) for name in ("a1", "a2", "a3", "b1", "b2"))
    crashes, refused, invalid = envelope("crash", "crashes"), envelope("refuse", "refused"), schema_invalid()
    forged = envelope("forged", "forged")
    batch = [
        record(a1, 0, 0),
        record(a2, 0, 1),
        record(crashes, 0, 2),
        record(a2, 0, 3),
        record(b"{not json", 0, 4),
        record(a3, 0, 5),
        record(b1, 1, 0),
        record(refused, 1, 1),
        record(invalid, 1, 2),
        record(forged, 1, 3),
        record(b2, 1, 4),
    ]
    consumer = consumer_of(runtime, AccountsHandler())

    await consumer.process_batch(batch)

    # Each good event applied once, in partition order; the duplicate of a2 skipped.
    assert [e["causationid"] for e in await published(runtime)] == [a1.id, a2.id, a3.id, b1.id, b2.id]
    assert await count(runtime, inbox) == 5
    assert dead_letters.reasons() == {
        crashes.to_json(): "handler_failed",
        b"{not json": "malformed",
        refused.to_json(): "rule_violation",
        invalid: "schema_invalid",
        forged.to_json(): "inconsistent",
    }
    letter = {letter["dlq.reason"]: letter for letter in dead_letters.letters}
    assert letter["handler_failed"]["dlq.attempts"] == str(MAX_ATTEMPTS)
    assert (letter["handler_failed"]["dlq.offset"], letter["handler_failed"]["ce_type"]) == (
        "2",
        "identity.account_registered",
    )
    assert letter["rule_violation"]["dlq.rule"] == "R99"
    assert {letter["topic"] for letter in dead_letters.letters} == {"test.dlq"}
    assert letter["inconsistent"]["dlq.attempts"] == "1"  # a contradiction is not retried
    assert (consumer.processed, consumer.skipped, consumer.dead_lettered) == (5, 1, 5)


async def test_a_batch_is_one_transaction_and_each_handler_sees_its_own_event_as_the_cause(runtime, dead_letters):
    first, second, again = envelope("x"), envelope("y"), envelope("x")
    handler = AccountsHandler()
    consumer = consumer_of(runtime, handler)

    await consumer.process_batch([record(first, 0, 0), record(second, 0, 1), record(first, 0, 2)])

    # Both handlers ran before the one commit, whose callbacks then ran.
    assert handler.log == ["handled x", "handled y", "committed x", "committed y"]
    events = await published(runtime)
    assert [(e["causationid"], e["correlationid"]) for e in events] == [(first.id, "corr-x"), (second.id, "corr-y")]
    assert (consumer.processed, consumer.skipped, dead_letters.letters) == (2, 1, [])
    assert again.id != first.id  # a new event for the same account is not a duplicate
    await consumer.process_batch([record(again, 0, 3)])
    assert (consumer.processed, await count(runtime, outbox)) == (3, 3)


async def test_a_redelivered_batch_changes_nothing(runtime, dead_letters):
    batch = [record(envelope("r1"), 0, 0), record(envelope("r2"), 1, 0)]
    consumer = consumer_of(runtime, AccountsHandler())

    await consumer.process_batch(batch)
    await consumer.process_batch(batch)

    assert (await count(runtime, outbox), await count(runtime, inbox)) == (2, 2)
    assert (consumer.processed, consumer.skipped, consumer.dead_lettered) == (2, 2, 0)


async def test_a_database_outage_is_waited_out_without_limit_and_nothing_is_dead_lettered(runtime, dead_letters):
    outage = OperationalError("INSERT", {}, Exception("database is locked"))
    handler = AccountsHandler({"slow": [outage] * (MAX_ATTEMPTS + 3)})
    consumer = consumer_of(runtime, handler)

    await consumer.process_batch([record(envelope("ok"), 0, 0), record(envelope("slow"), 0, 1)])

    assert [e["data"]["account_id"] for e in await published(runtime)] == ["ok", "slow"]
    assert (consumer.processed, consumer.dead_lettered, dead_letters.letters) == (2, 0, [])


async def test_a_database_error_that_is_not_an_outage_is_retried_then_dead_lettered(runtime, dead_letters):
    conflict = IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
    handler = AccountsHandler({"dup": [conflict] * (MAX_ATTEMPTS + 1)})
    consumer = consumer_of(runtime, handler)

    await consumer.process_batch([record(envelope("dup"), 0, 0), record(envelope("fine"), 0, 1)])

    [letter] = dead_letters.letters
    assert (letter["dlq.reason"], letter["dlq.error_type"], letter["dlq.attempts"]) == (
        "handler_failed",
        "IntegrityError",
        str(MAX_ATTEMPTS),
    )
    assert [e["data"]["account_id"] for e in await published(runtime)] == ["fine"]


async def test_attach_consumes_in_batches_and_acknowledges_each_batch(runtime):
    consumer = consumer_of(runtime, AccountsHandler())
    consumer.attach(IDENTITY_EVENTS)
    dead = []
    runtime.broker.subscriber("test.dlq")(lambda body: dead.append(body))
    one, two = envelope("t1"), envelope("t2")

    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish_batch(one.to_json(), two.to_json(), one.to_json(), b"oops", topic=IDENTITY_EVENTS.name)

    [subscriber] = [s for s in runtime.broker.subscribers if IDENTITY_EVENTS.name in s.topic_names]
    assert (subscriber.max_records, subscriber.ack_policy.name) == (BATCH_MAX_RECORDS, "MANUAL")
    assert [e["causationid"] for e in await published(runtime)] == [one.id, two.id]
    assert (consumer.processed, consumer.skipped, consumer.dead_lettered, len(dead)) == (2, 1, 1, 1)
