"""Where the bench sees each hop land: events on the public topics, e-mails in the SMTP sink."""

from __future__ import annotations

import asyncio
from email.parser import BytesHeaderParser
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from watchfiles import Change, awatch

from servicekit.messaging.kafka import client_options


class Arrivals:
    """Arrival times by key; `wait` returns at once if the thing already arrived."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._waiting: dict[tuple[str, str], asyncio.Future] = {}

    def arrived(self, key: tuple[str, str], at: float) -> None:
        self._seen.setdefault(key, at)
        if (future := self._waiting.pop(key, None)) and not future.done():
            future.set_result(self._seen[key])

    async def wait(self, key: tuple[str, str], timeout: float) -> float:
        if key in self._seen:
            return self._seen[key]
        future = self._waiting.setdefault(key, asyncio.get_running_loop().create_future())
        return await asyncio.wait_for(asyncio.shield(future), timeout)


class EventWatch(Arrivals):
    """Every event published from now on: (subject, type) → the broker's record timestamp."""

    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        super().__init__()
        self._consumer = AIOKafkaConsumer(
            **client_options(bootstrap), enable_auto_commit=False, fetch_max_wait_ms=20
        )  # see consumer_fetch_max_wait_ms
        self._topics = topics
        self._task: asyncio.Task[None] | None = None
        self.count = self.bytes = 0

    async def start(self) -> EventWatch:
        await self._consumer.start()
        await self._consumer.topics()
        partitions = [TopicPartition(t, p) for t in self._topics for p in self._consumer.partitions_for_topic(t) or ()]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        self._task = asyncio.create_task(self._follow())
        return self

    async def _follow(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=50, max_records=2000)
            for records in batches.values():
                for record in records:
                    event_type = dict(record.headers).get("ce_type", b"").decode()
                    self.arrived((record.key.decode(), event_type), record.timestamp / 1000)
                    self.count += 1
                    self.bytes += len(record.value)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self._consumer.stop()


class MailWatch(Arrivals):
    """Every e-mail the sink keeps: (subscription id, template) → when the sink received it.

    The sink names each file after the nanosecond it received the message. New files are
    noticed through inotify (watchfiles): listing the directory instead costs time that
    grows with every message kept, which the load generator would take from the stack.
    """

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self._directory = directory
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._parser = BytesHeaderParser()

    @property
    def directory(self) -> Path:
        return self._directory

    async def start(self) -> MailWatch:
        self._directory.mkdir(parents=True, exist_ok=True)
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._follow(ready))
        await ready.wait()
        return self

    async def _follow(self, ready: asyncio.Event) -> None:
        changes = awatch(
            self._directory,
            stop_event=self._stop,
            debounce=20,
            step=5,
            recursive=False,
            watch_filter=lambda change, path: path.endswith(".eml"),
        )
        ready.set()
        async for batch in changes:
            for change, path in batch:
                if change == Change.added:
                    self._arrived_file(Path(path))

    def _arrived_file(self, path: Path) -> None:
        with open(path, "rb") as f:
            headers = self._parser.parsebytes(f.read(8192))
        key = (str(headers["X-Entitle-Subscription"]), str(headers["X-Entitle-Template"]))
        self.arrived(key, int(path.name.split("-")[0]) / 1e9)

    async def stop(self) -> None:
        self._stop.set()
        if self._task:
            await asyncio.wait([self._task], timeout=5)
