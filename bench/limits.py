"""The limits of the parts, measured in the same run: raw broker and raw SMTP rates."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from email.message import EmailMessage

import aiosmtplib
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from servicekit.messaging.kafka import client_options, ensure_topics


async def broker_rates(bootstrap: str, message_bytes: int, count: int) -> dict[str, float]:
    """Produce then consume `count` records of `message_bytes` with aiokafka, as the relay
    (acks=all, many sends in flight) and a consumer (fetching batches) would."""
    topic = f"bench.limit.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, {topic: 3})
    value = os.urandom(message_bytes // 2).hex().encode()
    producer = AIOKafkaProducer(**client_options(bootstrap), acks="all", enable_idempotence=False)
    await producer.start()
    try:
        started = time.perf_counter()
        sends = [await producer.send(topic, value, key=str(n % 997).encode()) for n in range(count)]
        await asyncio.gather(*sends)
        produce_seconds = time.perf_counter() - started
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        **client_options(bootstrap), enable_auto_commit=False, max_partition_fetch_bytes=4 * 1024 * 1024
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(3)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        started, received = time.perf_counter(), 0
        while received < count:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            received += sum(len(records) for records in batches.values())
        consume_seconds = time.perf_counter() - started
    finally:
        await consumer.stop()
    return {"produce_per_s": count / produce_seconds, "consume_per_s": count / consume_seconds}


def _message(size: int, n: int) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "bench@entitle", f"r{n}@example.com", "bench"
    message.set_content("x" * size)
    return message


async def smtp_rates(host: str, port: int, message_bytes: int, count: int) -> dict[str, float]:
    """One connection per message (how a naive sender works) and one connection for all."""
    started = time.perf_counter()
    for n in range(count):
        await aiosmtplib.send(_message(message_bytes, n), hostname=host, port=port)
    per_message = count / (time.perf_counter() - started)
    started = time.perf_counter()
    async with aiosmtplib.SMTP(hostname=host, port=port) as client:
        for n in range(count):
            await client.send_message(_message(message_bytes, n))
    one_connection = count / (time.perf_counter() - started)
    return {"connection_per_message_per_s": per_message, "one_connection_per_s": one_connection}
