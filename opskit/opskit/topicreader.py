"""Reads a whole topic from the start, as any client would: for tests, tail and the demo."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from opskit.offsets import partitions_of, reader, true_end_offsets
from servicekit.messaging.kafka import client_options


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: str | None
    headers: dict[str, str]
    value: bytes

    def json(self) -> dict:
        return json.loads(self.value)

    @property
    def event_id(self) -> str | None:
        """The envelope's id; None for a record that is no envelope (a dead-lettered `{not json`)."""
        try:
            body = json.loads(self.value)
        except ValueError:
            return None
        return body.get("id") if isinstance(body, dict) else None


async def read_topic_async(bootstrap: str, topic: str) -> list[Record]:
    """Every record now in the topic (all partitions, no consumer group, nothing committed)."""
    consumer = reader(bootstrap)
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, [topic])
        if not partitions:
            return []
        ends = await true_end_offsets(consumer, partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[Record] = []
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, messages in batch.items():
                for m in messages:
                    records.append(
                        Record(
                            m.topic,
                            m.partition,
                            m.offset,
                            m.key.decode() if m.key else None,
                            {k: v.decode(errors="replace") for k, v in m.headers},
                            m.value,
                        )
                    )
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return records
    finally:
        await consumer.stop()


def read_topic(bootstrap: str, topic: str) -> list[Record]:
    return asyncio.run(read_topic_async(bootstrap, topic))


def events_of(bootstrap: str, topic: str, subject: str | None = None) -> list[dict]:
    """Envelopes on a topic, optionally of one subject, in offset order per partition."""
    envelopes = []
    for record in read_topic(bootstrap, topic):
        try:
            envelope = record.json()
        except ValueError:
            continue
        if subject is None or envelope.get("subject") == subject:
            envelopes.append(envelope)
    return envelopes


async def produce_async(
    bootstrap: str, topic: str, values: list[tuple[bytes | None, bytes]], headers: list[tuple[str, bytes]] | None = None
) -> None:
    producer = AIOKafkaProducer(**client_options(bootstrap), acks="all")
    await producer.start()
    try:
        for key, value in values:
            await producer.send_and_wait(topic, value, key=key, headers=headers or [])
    finally:
        await producer.stop()


def produce(bootstrap: str, topic: str, values: list[tuple[bytes | None, bytes]]) -> None:
    asyncio.run(produce_async(bootstrap, topic, values))
