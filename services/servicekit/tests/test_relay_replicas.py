"""Two replicas of one service on one PostgreSQL schema, over the embedded broker: one relay
publishes, the other stands by and takes over when the first one's session ends or it stops.
Every event of a key arrives once and in seq order. The relays run on a frozen clock."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData, insert, text

from devkit.testsupport import POSTGRES_URL, until
from opskit.topicreader import read_topic_async
from servicekit.clock import FixedClock
from servicekit.messaging.kafka import ensure_topics, make_broker
from servicekit.messaging.leader import AdvisoryLease
from servicekit.messaging.relay import OutboxRelay
from servicekit.migrations import migrate_database
from servicekit.store.db import Database
from servicekit.store.tables import outbox

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
KEYS = ("sub-a", "sub-b", "sub-c")


pytestmark = pytest.mark.usefixtures("postgres")  # skipped without PostgreSQL, failed where it is required


class Replica:
    """What a service process contributes to the outbox: its engine, producer and relay."""

    def __init__(self, name: str, schema: str, bootstrap: str, *, gap_grace: float = 0.5) -> None:
        self.db = Database(POSTGRES_URL, schema, (MetaData(),))
        self.broker = make_broker(bootstrap, client_id=name)
        self.relay = OutboxRelay(
            self.db,
            self.broker,
            FixedClock(NOW),
            poll_seconds=0.05,
            leadership=AdvisoryLease(self.db, poll_seconds=0.2),
            gap_grace_seconds=gap_grace,
        )
        self.task: asyncio.Task | None = None

    async def start(self) -> Replica:
        await self.broker.start()
        self.task = asyncio.create_task(self.relay.run())
        return self

    async def stop(self) -> None:
        """As ServiceRuntime.stop does: end the loop, then give the lock up."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
        await self.relay.release()

    async def close(self) -> None:
        await self.stop()
        await self.broker.stop()
        await self.db.dispose()


@pytest.fixture
async def schema():
    name = f"relay_{uuid.uuid4().hex[:8]}"
    database = Database(POSTGRES_URL, name, (MetaData(),))
    await migrate_database(database, "servicekit")
    yield name
    await database.drop_schema()
    await database.dispose()


@pytest.fixture
async def topic(bootstrap) -> str:
    name = f"relay-replicas-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, {name: 3})
    return name


@pytest.fixture
async def replicas(schema, bootstrap):
    started: list[Replica] = []

    async def start(name: str, **options) -> Replica:
        started.append(await Replica(name, schema, bootstrap, **options).start())
        return started[-1]

    yield start
    for replica in started:
        await replica.close()


async def commit_events(db: Database, topic: str, numbers: range) -> None:
    """One transaction per event, the keys taking turns; each body names its key and its
    number within the key, so the numbers of a key follow its seq order."""
    for n in numbers:
        for key in KEYS:
            async with db.engine.begin() as conn:
                await conn.execute(
                    insert(outbox).values(
                        event_id=str(uuid.uuid4()),
                        event_type="test.numbered",
                        topic=topic,
                        key=key,
                        body=json.dumps({"key": key, "n": n}).encode(),
                        created_at=NOW,
                    )
                )


async def numbers_per_key(bootstrap: str, topic: str) -> dict[str, list[int]]:
    found = defaultdict(list)
    for record in sorted(await read_topic_async(bootstrap, topic), key=lambda r: (r.partition, r.offset)):
        found[record.key].append(record.json()["n"])
    return dict(found)


async def the_active_one(*candidates: Replica) -> tuple[Replica, Replica]:
    await until(lambda: any(r.relay.active for r in candidates), "one relay active")
    active = next(r for r in candidates if r.relay.active)
    return active, next(r for r in candidates if r is not active)


async def drained(replica: Replica) -> bool:
    return await replica.relay.backlog() == 0


async def terminate_lock_session(db: Database, key: int) -> int:
    """What a dropped connection or a server restart does to the holder: its session ends."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    async with db.engine.begin() as conn:
        ended = await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
            ),
            {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF},
        )
        return len(ended.all())


async def test_of_two_replicas_one_publishes_every_event_once_in_order_and_the_other_stands_by(
    replicas, topic, bootstrap
):
    active, standby = await the_active_one(await replicas("one"), await replicas("two"))
    await commit_events(active.db, topic, range(20))
    await until(lambda: drained(active), "the outbox drained")

    assert await numbers_per_key(bootstrap, topic) == {key: list(range(20)) for key in KEYS}
    assert (active.relay.published_total, standby.relay.published_total) == (60, 0)
    assert not standby.relay.active


async def test_when_the_active_replicas_session_ends_the_standby_takes_over_and_nothing_is_lost(
    replicas, topic, bootstrap
):
    first, standby = await the_active_one(await replicas("one"), await replicas("two"))
    await commit_events(first.db, topic, range(10))
    await until(lambda: drained(first), "the first events published")

    assert await terminate_lock_session(standby.db, first.relay._leadership.key) == 1
    await commit_events(standby.db, topic, range(10, 20))
    await until(lambda: standby.relay.active, "the standby holding the lock")
    await until(lambda: drained(standby), "the later events published")
    await until(lambda: not first.relay.active, "the first replica knowing it lost the lock")

    assert await numbers_per_key(bootstrap, topic) == {key: list(range(20)) for key in KEYS}
    assert (first.relay.published_total, standby.relay.published_total) == (30, 30)


async def test_a_replica_that_stops_hands_the_outbox_to_the_standby(replicas, topic, bootstrap):
    first, standby = await the_active_one(await replicas("one"), await replicas("two"))
    await commit_events(first.db, topic, range(5))
    await until(lambda: drained(first), "the first events published")

    await first.stop()
    await commit_events(standby.db, topic, range(5, 10))
    await until(lambda: drained(standby), "the later events published by the standby")

    assert await numbers_per_key(bootstrap, topic) == {key: list(range(10)) for key in KEYS}
    assert (first.relay.published_total, standby.relay.published_total) == (15, 15)


async def test_an_event_that_commits_after_a_later_one_of_its_key_still_goes_out_first(schema, topic, bootstrap):
    """seq 2 is taken before seq 3 but commits after it: the relay holds 3 back at the hole."""
    replica = Replica("solo", schema, bootstrap, gap_grace=60.0)  # driven by hand, no loop
    await replica.broker.start()
    try:
        await commit_events(replica.db, topic, range(1))  # seqs 1-3, one per key
        assert await replica.relay.publish_pending() == 3
        async with replica.db.engine.connect() as slow:
            await slow.begin()
            await slow.execute(
                insert(outbox).values(
                    event_id="slow",
                    event_type="test.numbered",
                    topic=topic,
                    key="sub-a",
                    body=json.dumps({"key": "sub-a", "n": 1}).encode(),
                    created_at=NOW,
                )
            )
            async with replica.db.engine.begin() as fast:
                await fast.execute(
                    insert(outbox).values(
                        event_id="fast",
                        event_type="test.numbered",
                        topic=topic,
                        key="sub-a",
                        body=json.dumps({"key": "sub-a", "n": 2}).encode(),
                        created_at=NOW,
                    )
                )
            assert await replica.relay.publish_pending() == 0  # the hole at the slow one's seq
            await slow.commit()
        assert await replica.relay.publish_pending() == 2
        assert (await numbers_per_key(bootstrap, topic))["sub-a"] == [0, 1, 2]
    finally:
        await replica.close()
