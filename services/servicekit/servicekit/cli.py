"""The `entitle` command: drive and inspect a running Entitle stack.

    entitle demo            a year of one subscription on the running stack (or one it starts)
    entitle clock           read or move the running stack's test clock
    entitle tail TOPIC      print the events on a topic, pretty
    entitle mail            list the e-mails the SMTP sink kept
    entitle preview         render any e-mail in any language
    entitle replay GROUP    move a stopped consumer group back to re-read its topics
    entitle dlq             list, show and redrive a group's dead letters
    entitle trace ID        every public event of one purchase or request, in time order
    entitle rebuild-topic   re-send a lost topic from its owner's outbox, original ids kept
    entitle topics          list the topic catalogue, create it on a broker
"""
from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import typer
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from servicekit.console import make_console
from servicekit.devstack import SERVICES, DevStack, StackConfig
from servicekit.demo import run_year
from servicekit.kafka import client_options
from servicekit.mailbox import read_mailbox
from servicekit.offsets import partitions_of
from servicekit.opscli import register as register_operator_commands
from servicekit.rebuild import register as register_rebuild
from servicekit.timemachine import StackDidNotSettle, StackRefused, TimeMachine
from servicekit.topicsadmin import register as register_topic_commands
from servicekit.topicreader import events_of

app = typer.Typer(help="Drive and inspect a running Entitle stack. Operators: replay, dlq, rebuild-topic, "
                  "trace, tail, topics. Demos: demo, clock, mail, preview. Every command's --help has "
                  "examples; docs/operations.md has the runbooks.", no_args_is_help=True, add_completion=False)
console = make_console()
error_console = Console(stderr=True, soft_wrap=True)  # one line, however long


def _config() -> StackConfig:
    return StackConfig.from_environment(clock_file=Path("var/clock.json"))


def _running(config: StackConfig) -> bool:
    try:
        return all(httpx.get(f"{config.url(s)}/health", timeout=1).status_code == 200 for s in SERVICES)
    except httpx.HTTPError:
        return False


@app.command()
def demo() -> None:
    """A year of one annual subscription in a few seconds, on the stack's test clock: purchase,
    activation, seats added in month 3, a tier upgrade in month 6, cancellation in month 12,
    the term end, deprovisioning, and the invoices with their lines.

    Example: `make run` in one shell, then `make demo` in another.
    """
    config = _config()
    stack = None
    if not _running(config):
        console.print("[yellow]No running stack found; starting one for the demo…[/]")
        stack = DevStack(config).start()
    try:
        run_year(config)
    finally:
        if stack:
            stack.stop()


clock_app = typer.Typer(help="Read or move the test clock of the running stack (`make run` uses one).",
                        no_args_is_help=True)
app.add_typer(clock_app, name="clock")


SUBSCRIPTION_OPTION = typer.Option(None, "--subscription", help="one subscription's own time instead of the stack's")


@clock_app.command("show")
def clock_show(subscription: str = SUBSCRIPTION_OPTION) -> None:
    """Print the stack's time, or one subscription's. Example: `entitle clock show`."""
    console.print(_with_machine(lambda machine: machine.now(subscription)).isoformat())


@clock_app.command("advance")
def clock_advance(days: int = typer.Option(0, min=0, help="days to move forward"),
                  hours: int = typer.Option(0, min=0, help="hours to move forward"),
                  minutes: int = typer.Option(0, min=0, help="minutes to move forward"),
                  to: datetime = typer.Option(None, formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z"],
                                              help="move to this date (UTC) instead"),
                  subscription: str = SUBSCRIPTION_OPTION) -> None:
    """Move time forward for the whole stack, or for one subscription, firing every due job
    in order as real time would. It always ends at the time asked for, however busy the
    machine; a refusal or a stack that does not settle is one line, and exit code 1.

    Examples: `entitle clock advance --days 30`; `entitle clock advance --minutes 90`;
    `entitle clock advance --to 2027-01-01`; `entitle clock advance --days 365 --subscription
    <id>` (that subscription only).
    """
    distance = timedelta(days=days, hours=hours, minutes=minutes)
    if not distance and to is None:
        raise typer.BadParameter("say how far: --days, --hours, --minutes or --to")
    if to is not None and distance:
        raise typer.BadParameter("say how far once: --to, or --days/--hours/--minutes")
    if subscription and to is not None:
        raise typer.BadParameter("with --subscription, say how far with --days, --hours or --minutes")

    async def travel(machine: TimeMachine):
        if subscription:
            return await machine.advance_subject(subscription, distance)
        if to is None:
            return await machine.advance(distance)
        target = to if to.tzinfo else to.replace(tzinfo=timezone.utc)
        if target < await machine.now():
            raise typer.BadParameter(f"{target.isoformat()} is in the past of the stack; time only moves forward")
        return await machine.advance_to(target)
    steps = _with_machine(travel)
    for step in steps:
        console.print(f"  {step.at.isoformat()}  {step.fired} job(s) fired")
    console.print(f"[green]now {steps[-1].at.isoformat()}[/]")


def _with_machine(action):
    """Run `action` with a time machine on the running stack. What goes wrong on the way (a
    refusal, a silent service, a stack that does not settle, the broker) is one line on
    stderr and exit code 1, never a traceback."""
    config = _config()
    if not _running(config):
        error_console.print("No running stack answers; start one with `make run`.")
        raise typer.Exit(2)

    async def run():
        async with TimeMachine({s: config.url(s) for s in SERVICES}, bootstrap=config.bootstrap) as machine:
            return await action(machine)
    try:
        return asyncio.run(run())
    except (StackRefused, StackDidNotSettle, KafkaError, OSError) as error:
        error_console.print(f"entitle clock: {error}", markup=False, highlight=False)
        raise typer.Exit(1)


@app.command()
def tail(topic: str = typer.Argument(..., help="e.g. subscriptions.events.v1"),
         type_: str = typer.Option(None, "--type", help="only this event type"),
         subject: str = typer.Option(None, help="only this subscription or account id"),
         follow: bool = typer.Option(False, "--follow", "-f", help="keep printing new events (Ctrl-C stops)")) -> None:
    """Print the events now on TOPIC. Example: `entitle tail seats.events.v1 --type seats.unlocked`;
    `entitle tail subscriptions.events.v1 -f` keeps printing them as they come."""
    def show(event: dict) -> None:
        wanted = type_ is None or event.get("type") == type_
        if wanted and (subject is None or event.get("subject") == subject):
            console.print_json(json.dumps(event))
    if not follow:
        for event in events_of(_config().bootstrap, topic, subject):
            show(event)
        return
    try:
        asyncio.run(follow_topic(_config().bootstrap, topic, show))
    except KeyboardInterrupt:
        pass


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


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def preview(ctx: typer.Context) -> None:
    """Render any e-mail in any language with sample facts (R34): `entitle preview agreement
    --locale fr [--html]`; with no template, list them. Needs the notifications package."""
    from notifications.preview import main as preview_main  # only where notifications is installed
    raise typer.Exit(preview_main(ctx.args))


@app.command()
def mail(directory: Path = typer.Option(Path("var/mail"), help="where the SMTP sink keeps mail")) -> None:
    """List the e-mails the SMTP sink received. Example: `entitle mail`."""
    table = Table("received", "to", "template", "language", "subject")
    for m in read_mailbox(directory):
        table.add_row(m.path.name[:19], m.to, m.template, m.language, m.subject)
    console.print(table)


register_operator_commands(app, lambda: _config().bootstrap)
register_topic_commands(app, lambda: _config().bootstrap)
register_rebuild(app, _config)


def main() -> None:
    os.environ.setdefault("COLUMNS", "120")
    app()


if __name__ == "__main__":
    main()
