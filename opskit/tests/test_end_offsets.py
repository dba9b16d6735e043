"""End offsets as the log holds them, which the test clock's settling and `entitle replay` rely on."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from opskit.offsets import end_offsets

TOPIC = "end-offsets"


async def produce_in_batches(bootstrap: str, batch_sizes: list[int]) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(TOPIC, 1, 1)])
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=50)
    await producer.start()
    try:
        for size in batch_sizes:  # queued together, so each group goes out as one batch
            await asyncio.gather(*[await producer.send(TOPIC, b"x", key=b"k") for _ in range(size)])
    finally:
        await producer.stop()
    return sum(batch_sizes)


async def test_the_end_offset_after_a_batch_of_several_records_is_past_its_last_record(bootstrap):
    written = await produce_in_batches(bootstrap, [5, 1, 3])
    ends = await end_offsets(bootstrap, [TOPIC])
    assert ends == {TopicPartition(TOPIC, 0): written}


async def test_the_end_of_an_empty_partition_is_zero(bootstrap):
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic("empty", 1, 1)])
    await admin.close()
    assert await end_offsets(bootstrap, ["empty"]) == {TopicPartition("empty", 0): 0}
