"""Consumer-group offsets seen from outside the services: lag, and resetting for a replay.

A reset only takes effect while the group has no live member (the services of that group
are stopped): a running member would commit its own positions over it.
"""

from __future__ import annotations

import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from servicekit.messaging.kafka import client_options

READER_FETCH_WAIT_MS = 20


def reader(bootstrap: str, group_id: str | None = None) -> AIOKafkaConsumer:
    """A consumer that reads or inspects offsets for a tool, never commits on its own, and
    fetches with a short wait: the embedded broker answers a fetch only when the wait ends,
    even with records ready, so aiokafka's 500 ms made every end-offset check cost 0.4 s."""
    return AIOKafkaConsumer(
        **client_options(bootstrap), group_id=group_id, enable_auto_commit=False, fetch_max_wait_ms=READER_FETCH_WAIT_MS
    )


async def partitions_of(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    """Every partition of `topics` the broker has now, in order."""
    await consumer.topics()  # refresh metadata: a topic may be new
    return [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]


async def true_end_offsets(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition], timeout_s: float = 2.0
) -> dict[TopicPartition, int]:
    """The offset after each partition's last record, as the log really holds it.

    The embedded broker (Tansu 0.6) answers "latest offset" after a batch of several records
    with the batch's first offset + 1, so lag looked like zero while records were unread. A
    fetch from one before the reported end returns that last batch whole: its last record
    says where the log ends. On Apache Kafka both agree, at the cost of one small fetch.
    Leaves `consumer` assigned to `partitions` at their ends.
    """
    reported = await consumer.end_offsets(partitions) if partitions else {}
    ends, unread = dict(reported), {tp for tp, end in reported.items() if end > 0}
    consumer.assign(partitions)
    for tp in unread:
        consumer.seek(tp, reported[tp] - 1)
    deadline = time.monotonic() + timeout_s
    while unread and time.monotonic() < deadline:
        for tp, records in (await consumer.getmany(*unread, timeout_ms=200)).items():
            if records:
                ends[tp] = max(ends[tp], records[-1].offset + 1)
                unread.discard(tp)
    return ends


async def end_offsets(bootstrap: str, topics: list[str]) -> dict[TopicPartition, int]:
    consumer = reader(bootstrap)
    await consumer.start()
    try:
        return await true_end_offsets(consumer, await partitions_of(consumer, topics))
    finally:
        await consumer.stop()


async def committed_offsets(bootstrap: str, group: str, topics: list[str]) -> dict[TopicPartition, int]:
    """The group's committed position on each partition of `topics` it has ever committed."""
    # A consumer that is assigned partitions (not subscribed) never joins the group, so it
    # can read the group's offsets while the group's members run. (aiokafka's admin
    # OffsetFetch is refused by the embedded broker; the consumer's is not.)
    consumer = reader(bootstrap, group)
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, topics)
        consumer.assign(partitions)
        found = {tp: await consumer.committed(tp) for tp in partitions}
        return {tp: offset for tp, offset in found.items() if offset is not None}
    finally:
        await consumer.stop()


async def lag(bootstrap: str, group: str, topics: list[str]) -> dict[TopicPartition, int]:
    """Records not yet committed by the group, per partition (a partition never read counts whole)."""
    ends = await end_offsets(bootstrap, topics)
    committed = await committed_offsets(bootstrap, group, topics)
    # A committed offset past the end is no record left to read.
    return {tp: max(end - committed.get(tp, 0), 0) for tp, end in ends.items()}


async def reset_to_earliest(
    bootstrap: str, group: str, topics: list[str], wait_seconds: float = 120.0
) -> dict[TopicPartition, int]:
    """Move the group to the log start of every partition; returns how many records will be
    re-read."""
    consumer = reader(bootstrap)
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, topics)
        starts = await consumer.beginning_offsets(partitions)
        ends = await true_end_offsets(consumer, partitions)
    finally:
        await consumer.stop()
    await commit_alone(bootstrap, group, dict(starts), wait_seconds)
    return {tp: ends[tp] - starts[tp] for tp in partitions}


async def commit_alone(
    bootstrap: str, group: str, positions: dict[TopicPartition, int], wait_seconds: float = 120.0
) -> None:
    """Commit `positions` for the group, joined as its only member: the embedded broker
    refuses the generation-less commit of a group that had members. Only possible while the
    group's services are stopped (they would commit over it)."""
    topics = sorted({tp.topic for tp in positions})
    consumer = AIOKafkaConsumer(
        *topics,
        **client_options(bootstrap),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + wait_seconds
        while set(consumer.assignment()) != set(positions):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"could not join group {group} alone within {wait_seconds}s: are its services still running?"
                )
            await consumer.getmany(timeout_ms=200, max_records=1)  # drives the join
        await consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in positions.items()})
    finally:
        await consumer.stop()
