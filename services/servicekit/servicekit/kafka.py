"""Broker wiring shared by every service: the FastStream broker and topic creation."""
from __future__ import annotations

import logging
from typing import Iterable, Mapping

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from faststream.kafka import KafkaBroker

from contracts.topics import Topic, topic_named

log = logging.getLogger("servicekit.kafka")
MOST_REPLICAS = 3  # where the cluster has that many brokers; a single broker gets 1


def make_broker(bootstrap_servers: str, client_id: str) -> KafkaBroker:
    # No idempotent producer: the embedded broker (Tansu) does not implement it, and the
    # design never needs it (consumers deduplicate by event id).
    return KafkaBroker(
        bootstrap_servers, client_id=client_id, acks="all", enable_idempotence=False,
        graceful_timeout=30.0, logger=logging.getLogger(f"{client_id}.broker"),
    )


def definitions(topics: Iterable[Topic] | Mapping[str, int]) -> list[Topic]:
    """Topics as `contracts.topics` defines them. The names of a name → partitions mapping
    are looked up there too; a name it does not know (a benchmark's scratch topic) becomes
    an internal topic with those partitions."""
    if not isinstance(topics, Mapping):
        return list(topics)
    return [topic_named(name) or Topic(name, "unknown", "", public=False, partitions=partitions)
            for name, partitions in topics.items()]


def new_topic(topic: Topic, replication_factor: int) -> NewTopic:
    return NewTopic(topic.name, topic.partitions, replication_factor, topic_configs=topic.config())


async def replication_factor(admin: AIOKafkaAdminClient) -> int:
    brokers = (await admin.describe_cluster())["brokers"]
    return max(1, min(MOST_REPLICAS, len(brokers)))


async def create_missing(admin: AIOKafkaAdminClient, topics: list[Topic],
                         replicas: int | None = None) -> list[Topic]:
    """Create the topics the broker lacks; returns them. An error other than 'already
    exists' (another service won the race) raises."""
    existing = set(await admin.list_topics())
    missing = [t for t in topics if t.name not in existing]
    if not missing:
        return []
    replicas = replicas or await replication_factor(admin)
    response = await admin.create_topics([new_topic(t, replicas) for t in missing])
    for name, code, *message in response.topic_errors:
        error = for_code(code)
        if code and error is not TopicAlreadyExistsError:
            raise error(f"creating topic {name}: {message[0] if message else ''}")
    return missing


async def ensure_topics(bootstrap_servers: str, topics: Iterable[Topic] | Mapping[str, int],
                        replicas: int | None = None) -> list[Topic]:
    """Create the topics that are missing, with the partitions and settings of their
    definition; existing ones are left alone. Returns the ones created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="entitle-admin")
    await admin.start()
    try:
        created = await create_missing(admin, definitions(topics), replicas)
    finally:
        await admin.close()
    if created:
        log.info("created topics %s", ", ".join(t.name for t in created))
    return created
