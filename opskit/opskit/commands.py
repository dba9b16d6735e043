"""Operator commands of `entitle`: `replay GROUP` moves a stopped consumer group back,
`dlq list|show|redrive GROUP` reads and re-sends its dead letters, `trace CORRELATION_ID`
follows one request across the public topics. Each takes `--bootstrap` (default: the
stack's broker), and each is a plain function too, for tests and scripts.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import typer
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from rich.table import Column, Table

from contracts.topics import ALL_TOPICS, dead_letter_topic
from opskit.console import make_console
from opskit.offsets import commit_alone, committed_offsets, partitions_of, reader, reset_to_earliest, true_end_offsets
from opskit.topicreader import Record, events_of, read_topic
from servicekit.messaging.kafka import client_options

console = make_console()
Bootstrap = Annotated[str | None, typer.Option(help="broker; default KAFKA_BOOTSTRAP_SERVERS or the local one")]
Group = Annotated[str, typer.Argument(help="consumer group: subscriptions, seats, billing or notifications")]
Partition = Annotated[int, typer.Option(help="partition of the DLQ topic (they have one)")]
_default_bootstrap: Callable[[], str] = lambda: "127.0.0.1:9092"  # noqa: E731  replaced by register()


def _broker(bootstrap: str | None) -> str:
    return bootstrap or _default_bootstrap()


@dataclass(frozen=True)
class PartitionPlan:
    """Where one partition of a group is, and where a replay would put it."""

    partition: TopicPartition
    committed: int | None
    start: int
    end: int
    target: int

    @property
    def rereads(self) -> int:
        """Records read again (negative: skipped); a partition never committed starts at the log start."""
        return (self.start if self.committed is None else self.committed) - self.target


@dataclass(frozen=True)
class Target:
    """Where to move: `earliest`, an `offset` on every partition, or the first record at `time`."""

    earliest: bool = False
    offset: int | None = None
    time: datetime | None = None


async def replay_plan(bootstrap: str, group: str, topics: list[str], target: Target) -> list[PartitionPlan]:
    committed = await committed_offsets(bootstrap, group, topics)
    consumer = reader(bootstrap)
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, topics)
        starts, ends = await consumer.beginning_offsets(partitions), await true_end_offsets(consumer, partitions)
        targets = await _targets(consumer, partitions, starts, ends, target)
        return [PartitionPlan(tp, committed.get(tp), starts[tp], ends[tp], targets[tp]) for tp in partitions]
    finally:
        await consumer.stop()


async def _targets(consumer, partitions, starts, ends, target: Target) -> dict[TopicPartition, int]:
    if target.offset is not None:  # the same offset everywhere, kept inside each log
        return {tp: min(max(target.offset, starts[tp]), ends[tp]) for tp in partitions}
    if target.time is not None:
        found = await consumer.offsets_for_times({tp: int(target.time.timestamp() * 1000) for tp in partitions})
        # No record that late: Kafka answers None, the embedded broker offset 0 with timestamp -1.
        return {tp: found[tp].offset if found.get(tp) and found[tp].timestamp >= 0 else ends[tp] for tp in partitions}
    return dict(starts)


async def replay_topics(bootstrap: str, group: str, asked: list[str]) -> list[str]:
    """The topics asked for, or the catalogue topics the group has committed on."""
    if asked:
        return asked
    committed = await committed_offsets(bootstrap, group, [t.name for t in ALL_TOPICS])
    return sorted({tp.topic for tp in committed})


def _run(coroutine):
    """Run one operation; a broker that does not answer is a clear error, not a traceback."""
    try:
        return asyncio.run(coroutine)
    except KafkaError as error:
        console.print(f"[red]The broker did not answer as expected: {error}[/]")
        raise typer.Exit(1) from error


def _target_of(to_earliest: bool, to_offset: int | None, to_time: str | None) -> Target:
    if sum((to_earliest, to_offset is not None, to_time is not None)) != 1:
        raise typer.BadParameter("say where to, once: --to-earliest, --to-offset N or --to-time ISO")
    if to_time is None:
        return Target(earliest=to_earliest, offset=to_offset)
    try:
        moment = datetime.fromisoformat(to_time)
    except ValueError as error:
        raise typer.BadParameter(f"--to-time {to_time!r} is not an ISO time, e.g. 2026-03-01T00:00:00Z") from error
    return Target(time=moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _plan_table(plans: list[PartitionPlan], title: str) -> Table:
    table = Table("topic", "partition", "committed", "end", "new position", "re-read", title=title)
    for p in plans:
        committed = "-" if p.committed is None else str(p.committed)
        reread = str(p.rereads) if p.rereads >= 0 else f"skips {-p.rereads}"
        table.add_row(p.partition.topic, str(p.partition.partition), committed, str(p.end), str(p.target), reread)
    return table


def replay(
    group: Group,
    topic: Annotated[list[str] | None, typer.Option(help="only this topic (repeat for more)")] = None,
    to_earliest: Annotated[bool, typer.Option("--to-earliest", help="back to the start of every log")] = False,
    to_offset: Annotated[int | None, typer.Option(min=0, help="this offset on every partition")] = None,
    to_time: Annotated[str | None, typer.Option(help="first record at or after this ISO time")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan, change nothing")] = False,
    wait: Annotated[float, typer.Option(min=1, help="seconds to wait to join the group alone")] = 30.0,
    bootstrap: Bootstrap = None,
) -> list[PartitionPlan]:
    """Move a consumer group back so its services read again (the inbox skips what they
    already applied). Stop the group's services first: the reset joins the group alone.
    Default topics: the catalogue topics the group has committed on.

    Example: `entitle replay billing --to-earliest --dry-run`, then without --dry-run.
    """
    target, bootstrap = _target_of(to_earliest, to_offset, to_time), _broker(bootstrap)
    topics = _run(replay_topics(bootstrap, group, topic or []))
    if not topics:
        raise typer.BadParameter(f"group {group} has committed on no catalogue topic; name them with --topic")
    plans = _run(replay_plan(bootstrap, group, topics, target))
    if not plans:
        raise typer.BadParameter(f"no partitions found for {', '.join(topics)}: check the topic names")
    if dry_run:
        console.print(_plan_table(plans, f"replay of {group} (dry run: nothing changed)"))
        return plans
    _move(bootstrap, group, plans, target, wait)
    console.print(_plan_table(plans, f"replay of {group}: done"))
    console.print(f"[green]{group} re-reads {sum(max(p.rereads, 0) for p in plans)} record(s) once started.[/]")
    return plans


def _move(bootstrap: str, group: str, plans: list[PartitionPlan], target: Target, wait: float) -> None:
    try:
        if target.earliest:
            _run(reset_to_earliest(bootstrap, group, sorted({p.partition.topic for p in plans}), wait))
        else:
            _run(commit_alone(bootstrap, group, {p.partition: p.target for p in plans}, wait))
    except TimeoutError as error:
        console.print(f"[red]{error} Stop the services of group {group} first, then replay.[/]")
        raise typer.Exit(1) from error


def dead_letters(bootstrap: str, group: str) -> list[Record]:
    return read_topic(bootstrap, dead_letter_topic(group))


def dlq_list(group: Group, bootstrap: Bootstrap = None) -> list[Record]:
    """The dead letters of a group: why, from where, after how many attempts.
    Example: `entitle dlq list billing`."""
    records = dead_letters(_broker(bootstrap), group)
    table = Table("offset", "reason", "from", "attempts", "error", title=dead_letter_topic(group))
    for r in records:
        h = r.headers
        origin = f"{h.get('dlq.topic', '?')}[{h.get('dlq.partition', '?')}]@{h.get('dlq.offset', '?')}"
        table.add_row(
            str(r.offset), h.get("dlq.reason", "?"), origin, h.get("dlq.attempts", "?"), h.get("dlq.error", "")[:60]
        )
    console.print(table if records else f"No dead letters in {dead_letter_topic(group)}.")
    return records


def _pick(records: list[Record], group: str, offsets: list[int], partition: int) -> list[Record]:
    by_offset = {r.offset: r for r in records if r.partition == partition}
    if missing := [o for o in offsets if o not in by_offset]:
        raise typer.BadParameter(
            f"no dead letter at offset {', '.join(map(str, missing))} of "
            f"{dead_letter_topic(group)}[{partition}]; see `entitle dlq list {group}`"
        )
    return [by_offset[o] for o in offsets]


def dlq_show(
    group: Group,
    offset: Annotated[int, typer.Argument(help="offset in the DLQ topic")],
    partition: Partition = 0,
    bootstrap: Bootstrap = None,
) -> Record:
    """One dead letter: every header and the body. Example: `entitle dlq show billing 0`."""
    record = _pick(dead_letters(_broker(bootstrap), group), group, [offset], partition)[0]
    table = Table("header", "value", title=f"{dead_letter_topic(group)}[{partition}]@{offset}  key {record.key}")
    for name, value in sorted(record.headers.items()):
        table.add_row(name, value)
    console.print(table)
    try:
        console.print_json(json.dumps(record.json()))
    except ValueError:  # a malformed record is shown as the bytes it is
        console.print(repr(record.value))
    return record


async def republish(bootstrap: str, records: list[Record], dlq: str) -> None:
    """The original key, bytes and headers, to the original topic, marked with where they came from."""
    producer = AIOKafkaProducer(**client_options(bootstrap), acks="all")
    await producer.start()
    try:
        for r in records:
            headers = [(k, v.encode()) for k, v in r.headers.items() if not k.startswith("dlq.")]
            headers.append(("redriven.from", f"{dlq}[{r.partition}]@{r.offset}".encode()))
            await producer.send_and_wait(
                r.headers["dlq.topic"], r.value, key=r.key.encode() if r.key else None, headers=headers
            )
    finally:
        await producer.stop()


def dlq_redrive(
    group: Group,
    offsets: Annotated[list[int] | None, typer.Argument(help="DLQ offsets to send back")] = None,
    redrive_all: Annotated[bool, typer.Option("--all", help="every dead letter of the group")] = False,
    partition: Partition = 0,
    bootstrap: Bootstrap = None,
) -> list[Record]:
    """Send dead letters back to their original topic, same key and bytes, for the consumers
    to retry. Every group reading that topic sees them again; the ones that applied the event
    skip it. Examples: `entitle dlq redrive billing 3 4`; `entitle dlq redrive billing --all`.
    """
    bootstrap = _broker(bootstrap)
    if bool(offsets) == redrive_all:
        raise typer.BadParameter("name the OFFSETs to redrive, or --all (not both)")
    records = dead_letters(bootstrap, group)
    # Without --all, offsets were named (checked above).
    chosen = records if redrive_all else _pick(records, group, offsets or [], partition)
    if unknown := [r.offset for r in chosen if "dlq.topic" not in r.headers]:
        raise typer.BadParameter(f"offset(s) {unknown} carry no dlq.topic header: nowhere to send them back")
    _run(republish(bootstrap, chosen, dead_letter_topic(group)))
    for r in chosen:
        console.print(f"{dead_letter_topic(group)}@{r.offset} → {r.headers['dlq.topic']} (key {r.key})")
    console.print(f"[green]redrove {len(chosen)}: the consumers retry them, skipping any already applied.[/]")
    return chosen


def _causes_first(found: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """By time, then by how far down its causation chain (a test clock gives a chain one time)."""
    parents = {e.get("id"): e.get("causationid") for _, e in found}

    def depth(event_id, steps: int = 0) -> int:
        parent = parents.get(event_id)
        return depth(parent, steps + 1) if parent in parents and steps < len(parents) else steps

    return sorted(found, key=lambda pair: (str(pair[1].get("time", "")), depth(pair[1].get("id"))))


def traced_events(bootstrap: str, correlation_id: str) -> list[tuple[str, dict]]:
    """(topic, envelope) of every public event of one correlation id, by time, causes first."""
    return _causes_first(
        [
            (topic, e)
            for topic in (t.name for t in ALL_TOPICS if t.public)
            for e in events_of(bootstrap, topic)
            if isinstance(e, dict) and e.get("correlationid") == correlation_id
        ]
    )


def trace(
    correlation_id: Annotated[str, typer.Argument(help="the correlationid of the events")], bootstrap: Bootstrap = None
) -> list[tuple[str, dict]]:
    """Every public event of one request, or of one whole purchase (the acceptance joins its
    purchase's trace), in time order. Example: `entitle trace <correlation id>` (the
    correlationid of any event, e.g. from `entitle tail subscriptions.events.v1`, or the
    X-Correlation-Id answer header of a request)."""
    events = traced_events(_broker(bootstrap), correlation_id)
    if not events:
        console.print(f"[yellow]No public event carries correlation id {correlation_id}.[/]")
        raise typer.Exit(1)
    columns = ("time", "type", "subject", "source")  # folded, never cut: ids are copied from here
    table = Table(*(Column(c, overflow="fold") for c in columns), title=f"correlation {correlation_id}")
    for _, e in events:
        table.add_row(*(str(e.get(c)) for c in columns))
    console.print(table)
    return events


def register(app: typer.Typer, default_bootstrap: Callable[[], str]) -> None:
    """Add `replay`, `dlq` and `trace` to the `entitle` command, with the stack's broker as default."""
    global _default_bootstrap
    _default_bootstrap = default_bootstrap
    dlq = typer.Typer(help="Read and redrive the dead letters of a group (`<group>.dlq`).", no_args_is_help=True)
    dlq.command("list")(dlq_list)
    dlq.command("show")(dlq_show)
    dlq.command("redrive")(dlq_redrive)
    app.command()(replay)
    app.add_typer(dlq, name="dlq")
    app.command()(trace)
