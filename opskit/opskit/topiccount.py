"""How many records topics hold, counted right on the embedded broker too."""

from __future__ import annotations

import asyncio

from opskit.offsets import partitions_of, reader, true_end_offsets


async def _record_counts(bootstrap: str, names: list[str]) -> dict[str, int]:
    consumer = reader(bootstrap)
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, names)
        starts, ends = await consumer.beginning_offsets(partitions), await true_end_offsets(consumer, partitions)
        counts = dict.fromkeys(names, 0)
        for tp in partitions:
            counts[tp.topic] += ends[tp] - starts[tp]
        return counts
    finally:
        await consumer.stop()


def record_counts(bootstrap: str, names: list[str]) -> dict[str, int | None]:
    """Records each topic holds now, 0 for a lost one; None for all when the broker does not answer."""
    try:
        return dict(asyncio.run(_record_counts(bootstrap, names)))  # dict(): typed as the result (dicts are invariant)
    except Exception:  # noqa: BLE001 - only informative: whoever uses it checks the broker otherwise
        return dict.fromkeys(names)
