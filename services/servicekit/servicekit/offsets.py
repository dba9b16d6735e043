"""Consumer-group offsets seen from outside the services: lag, and resetting for a replay.

A reset only takes effect while the group has no live member (the services of that group
are stopped): a running member would commit its own positions over it.
"""
from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata


async def _partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    await consumer.topics()  # refresh metadata: a topic may be new
    return [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]


async def end_offsets(bootstrap: str, topics: list[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await _partitions(consumer, topics)
        return await consumer.end_offsets(partitions) if partitions else {}
    finally:
        await consumer.stop()


async def committed_offsets(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
    finally:
        await admin.close()


async def lag(bootstrap: str, group: str, topics: list[str]) -> dict[TopicPartition, int]:
    """Records not yet committed by the group, per partition (a partition never read counts whole)."""
    ends = await end_offsets(bootstrap, topics)
    committed = await committed_offsets(bootstrap, group)
    return {tp: end - committed.get(tp, 0) for tp, end in ends.items()}


async def reset_to_earliest(bootstrap: str, group: str, topics: list[str]) -> dict[TopicPartition, int]:
    """Commit offset 0 (or the log start) for every partition; returns what will be re-read."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await _partitions(consumer, topics)
        consumer.assign(partitions)
        starts = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit({tp: OffsetAndMetadata(starts[tp], "") for tp in partitions})
        return {tp: ends[tp] - starts[tp] for tp in partitions}
    finally:
        await consumer.stop()
