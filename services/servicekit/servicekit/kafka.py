"""Broker wiring shared by every service: the FastStream broker and topic creation."""
from __future__ import annotations

import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

log = logging.getLogger("servicekit.kafka")


def make_broker(bootstrap_servers: str, client_id: str) -> KafkaBroker:
    # No idempotent producer: the embedded broker (Tansu) does not implement it, and the
    # design never needs it (consumers deduplicate by event id).
    return KafkaBroker(
        bootstrap_servers, client_id=client_id, acks="all", enable_idempotence=False,
        graceful_timeout=30.0, logger=logging.getLogger(f"{client_id}.broker"),
    )


async def ensure_topics(bootstrap_servers: str, topics: dict[str, int]) -> None:
    """Create the topics that are missing (name → partitions); existing ones are left alone."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="entitle-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(name, partitions, 1) for name, partitions in topics.items()
                   if name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another service created it between our list and our create
            log.info("created topics %s", ", ".join(t.name for t in missing))
    finally:
        await admin.close()
