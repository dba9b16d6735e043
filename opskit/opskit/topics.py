"""`entitle topics list|create`: every topic `contracts.topics` defines, made on a broker up front.

`create` adds the missing topics with their partitions and settings, leaves existing ones
(and their data) alone, and says where one differs from its definition; `--dry-run` prints
what it would create and connects to nothing. Services still create what they lack at
start-up (`kafka.ensure_topics`), from the same definitions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated

import typer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from rich.table import Table

from contracts.topics import DAY_MS, FOREVER, Topic, every_topic
from opskit.console import make_console
from servicekit.messaging.kafka import client_options, create_missing

console = make_console()
Bootstrap = Annotated[str | None, typer.Option(help="broker; default KAFKA_BOOTSTRAP_SERVERS or the local one")]
Replicas = Annotated[
    int | None, typer.Option("--replication-factor", min=1, help="default: the number of brokers, at most 3")
]
_default_bootstrap: Callable[[], str] = lambda: "127.0.0.1:9092"  # noqa: E731  replaced by register()


def retention_text(retention_ms: int) -> str:
    if retention_ms == FOREVER:
        return "forever"
    return f"{retention_ms // DAY_MS} days" if retention_ms % DAY_MS == 0 else f"{retention_ms} ms"


def drift(topic: Topic, partitions: int, config: dict[str, str]) -> list[str]:
    """How a topic on the broker differs from its definition (settings the broker did not report are skipped)."""
    found = [f"{partitions} partitions, defined {topic.partitions}"] if partitions != topic.partitions else []
    return found + [
        f"{key}={config[key]}, defined {value}"
        for key, value in topic.config().items()
        if key in config and config[key] != value
    ]


async def drifts(admin: AIOKafkaAdminClient, topics: list[Topic]) -> dict[str, list[str]]:
    described = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics([t.name for t in topics])}
    answers = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t.name) for t in topics])
    configs = {r[3]: {e[0]: e[1] for e in r[4]} for answer in answers for r in answer.resources if not r[0]}
    found = {t.name: drift(t, described.get(t.name, t.partitions), configs.get(t.name, {})) for t in topics}
    return {name: problems for name, problems in found.items() if problems}


async def create_topics(bootstrap: str, replicas: int | None = None) -> tuple[list[Topic], dict[str, list[str]]]:
    """Create every missing topic; returns those created and how the others differ from their definition."""
    topics = list(every_topic())
    admin = AIOKafkaAdminClient(**client_options(bootstrap), client_id="entitle-topics")
    await admin.start()
    try:
        created = await create_missing(admin, topics, replicas)
        return created, await drifts(admin, [t for t in topics if t not in created])
    finally:
        await admin.close()


def topics_list() -> None:
    """Every topic Entitle needs, as defined in contracts/topics.py. Example: `entitle topics list`."""
    table = Table("topic", "owner", "key", "visibility", "partitions", "retention", "cleanup")
    for t in every_topic():
        table.add_row(
            t.name,
            t.owner,
            t.key,
            "public" if t.public else "internal",
            str(t.partitions),
            retention_text(t.retention),
            t.cleanup_policy,
        )
    console.print(table)


def topics_create(
    bootstrap: Bootstrap = None,
    replication_factor: Replicas = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan; connect to nothing")] = False,
) -> None:
    """Create every missing topic with its partitions, retention and cleanup policy; existing
    topics are left alone. Examples: `entitle topics create --bootstrap kafka:9092`;
    `entitle topics create --dry-run`."""
    if dry_run:
        replicas = str(replication_factor or "auto (brokers, at most 3)")
        for t in every_topic():
            settings = " ".join(f"{k}={v}" for k, v in t.config().items())
            console.print(f"would create {t.name}  partitions={t.partitions} replication={replicas} {settings}")
        return
    created, differing = asyncio.run(create_topics(bootstrap or _default_bootstrap(), replication_factor))
    for t in created:
        console.print(f"[green]created[/] {t.name}")
    for name, problems in differing.items():
        console.print(f"[yellow]{name} differs from its definition:[/] {'; '.join(problems)}")
    if differing:  # never altered here: more partitions move keys to other partitions (infra/README.md)
        console.print("Existing topics are left as they are; align them by hand (kafka-configs.sh --alter).")
    console.print(f"{len(created)} created, {len(every_topic()) - len(created)} already there")


def register(app: typer.Typer, default_bootstrap: Callable[[], str]) -> None:
    """Add `topics list` and `topics create` to the `entitle` command."""
    global _default_bootstrap
    _default_bootstrap = default_bootstrap
    topics = typer.Typer(
        help="The topics of contracts/topics.py: list them, create them on a broker.", no_args_is_help=True
    )
    topics.command("list")(topics_list)
    topics.command("create")(topics_create)
    app.add_typer(topics, name="topics")
