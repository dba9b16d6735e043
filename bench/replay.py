"""Replay: every service re-reads every topic it consumes from the start; nothing may change."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from bench.seed import service_database
from contracts.topics import ALL_TOPICS
from devkit.devstack import SERVICES, DevStack
from opskit import offsets


async def row_counts(stack: DevStack) -> dict[str, int]:
    counts = {}
    for service in SERVICES:
        database, tables = service_database(stack, service)
        try:
            async with database.connect() as conn:
                for table in tables:
                    counts[f"{service}.{table.name}"] = (
                        await conn.execute(select(func.count()).select_from(table))
                    ).scalar_one()
        finally:
            await database.dispose()
    return counts


async def _consumed_topics(bootstrap: str, group: str) -> list[str]:
    every_topic = [topic.name for topic in ALL_TOPICS]
    return sorted({tp.topic for tp in await offsets.committed_offsets(bootstrap, group, every_topic)})


async def _behind(bootstrap: str, groups: dict[str, list[str]]) -> dict[str, int]:
    """Records each group has still to read (groups that are done are left out)."""
    behind = {}
    for group, topics in groups.items():
        if lag := sum((await offsets.lag(bootstrap, group, topics)).values()):
            behind[group] = lag
    return behind


async def replay_everything(stack: DevStack, timeout: float = 120.0) -> dict:
    bootstrap = stack.config.bootstrap
    before = await row_counts(stack)
    mails_before = len(list(stack.config.mail_dir.glob("*.eml")))
    for service in SERVICES:
        stack.terminate(service)
    groups = {g: t for g in SERVICES if (t := await _consumed_topics(bootstrap, g))}
    records = 0
    for group, topics in groups.items():
        records += sum((await offsets.reset_to_earliest(bootstrap, group, topics)).values())
    started = time.perf_counter()
    for service in SERVICES:
        stack.start_service(service, wait=False)
    for service in SERVICES:
        await asyncio.to_thread(stack.wait_healthy, service)
    healthy = time.perf_counter() - started
    while behind := await _behind(bootstrap, groups):
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"replay not caught up after {timeout:.0f} s; records unread: {behind}")
        await asyncio.sleep(0.25)
    seconds = time.perf_counter() - started
    after = await row_counts(stack)
    changed = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
    mails_after = len(list(stack.config.mail_dir.glob("*.eml")))
    if mails_after != mails_before:
        changed["mail"] = (mails_before, mails_after)
    catching_up = max(seconds - healthy, 1e-3)
    return {
        "records": records,
        "seconds": seconds,
        "startup_seconds": healthy,
        "records_per_s": records / catching_up,
        "changed": changed,
    }
