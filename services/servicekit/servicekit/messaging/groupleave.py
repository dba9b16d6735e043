"""Leave the consumer group on a clean stop, also from the embedded broker's first generation.

aiokafka sends LeaveGroup on close only when the member's generation is above 0, as Apache
Kafka numbers generations from 1. Tansu numbers a group's first generation 0, so a member
stopped cleanly stayed in the group until its session timed out, and the next process of
that service waited that long for its partitions. For a member at generation 0 this sends
the LeaveGroup itself, after the last commit (from the coordinator's close, like aiokafka).
On Apache Kafka nothing changes. Relies on aiokafka 0.14's coordinator internals, pinned.
"""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer
from aiokafka.protocol.group import LeaveGroupRequest

log = logging.getLogger("servicekit.messaging.groupleave")


def leave_on_close_even_at_generation_zero(consumer: AIOKafkaConsumer) -> None:
    coordinator = getattr(consumer, "_coordinator", None)
    if coordinator is None or not hasattr(coordinator, "_maybe_leave_group"):
        return
    leave_as_aiokafka_would = coordinator._maybe_leave_group

    async def leave() -> None:
        if coordinator.generation == 0 and coordinator.member_id and coordinator._group_instance_id is None:
            try:
                await coordinator._send_req(LeaveGroupRequest(coordinator.group_id, coordinator.member_id))
            except Exception as error:  # noqa: BLE001 - best effort, as aiokafka's own
                log.warning("LeaveGroup at generation 0 failed: %s", error)
        await leave_as_aiokafka_would()

    coordinator._maybe_leave_group = leave
