"""The `entitle` command: operate a running Entitle stack.

    entitle tail TOPIC      print the events on a topic, pretty
    entitle replay GROUP    move a stopped consumer group back to re-read its topics
    entitle dlq             list, show and redrive a group's dead letters
    entitle trace ID        every public event of one purchase or request, in time order
    entitle rebuild-topic   re-send a lost topic from its owner's outbox, original ids kept
    entitle topics          list the topic catalogue, create it on a broker
    entitle billing         import bank statements, assign, record payments, write off

Where the development kit (`devkit`) is installed, it adds its commands (`demo`, `clock`,
`mail`, `preview`) through the `entitle.commands` entry points, so an operator's install
carries no embedded stack or SMTP sink.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from importlib.metadata import entry_points

import typer
from aiokafka import AIOKafkaConsumer

from opskit.billing import register as register_billing
from opskit.commands import register as register_operator_commands
from opskit.console import make_console
from opskit.endpoints import Endpoints
from opskit.offsets import partitions_of
from opskit.rebuild import register as register_rebuild
from opskit.topicreader import events_of
from opskit.topics import register as register_topic_commands
from servicekit.messaging.kafka import client_options

app = typer.Typer(
    help="Operate a running Entitle stack: replay, dlq, rebuild-topic, trace, tail, topics, billing "
    "(and, with the development kit, demo, clock, mail, preview). Every command's --help "
    "has examples; docs/operations.md has the runbooks.",
    no_args_is_help=True,
    add_completion=False,
)
console = make_console()
PLUGINS = "entitle.commands"  # entry points: `register(app)` functions that add commands


def _endpoints() -> Endpoints:
    return Endpoints.from_environment()


@app.command()
def tail(
    topic: str = typer.Argument(..., help="e.g. subscriptions.events.v1"),
    type_: str = typer.Option(None, "--type", help="only this event type"),
    subject: str = typer.Option(None, help="only this subscription or account id"),
    follow: bool = typer.Option(False, "--follow", "-f", help="keep printing new events (Ctrl-C stops)"),
) -> None:
    """Print the events now on TOPIC. Example: `entitle tail seats.events.v1 --type seats.unlocked`;
    `entitle tail subscriptions.events.v1 -f` keeps printing them as they come."""

    def show(event: dict) -> None:
        wanted = type_ is None or event.get("type") == type_
        if wanted and (subject is None or event.get("subject") == subject):
            console.print_json(json.dumps(event))

    if not follow:
        for event in events_of(_endpoints().bootstrap, topic, subject):
            show(event)
        return
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(follow_topic(_endpoints().bootstrap, topic, show))


async def follow_topic(bootstrap: str, topic: str, show) -> None:
    """Every envelope on the topic from its start, then each new one as it comes, until stopped."""
    consumer = AIOKafkaConsumer(**client_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, [topic])
        if not partitions:
            raise typer.BadParameter(f"no topic {topic} on the broker")
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        while True:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    try:
                        envelope = json.loads(record.value)
                    except ValueError:  # a malformed record is no event to print
                        continue
                    if isinstance(envelope, dict):
                        show(envelope)
    finally:
        await consumer.stop()


register_operator_commands(app, lambda: _endpoints().bootstrap)
register_topic_commands(app, lambda: _endpoints().bootstrap)
register_rebuild(app, _endpoints)
register_billing(app, _endpoints)
for plugin in entry_points(group=PLUGINS):
    plugin.load()(app)


def main() -> None:
    os.environ.setdefault("COLUMNS", "120")
    app()


if __name__ == "__main__":
    main()
