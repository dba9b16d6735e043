"""The development kit's `entitle` commands: `demo`, `clock`, `mail` and `preview`.

They drive the embedded stack of `make run` (or start one) and read what its SMTP sink kept;
`opskit.cli` adds them through the `entitle.commands` entry point where this kit is
installed, so an operator's install has none of them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from devkit.demo import run_year
from devkit.devstack import SERVICES, DevStack, StackConfig
from devkit.mailbox import read_mailbox
from devkit.timemachine import StackDidNotSettle, StackRefused, TimeMachine
from opskit.console import make_console

console = make_console()
error_console = Console(stderr=True, soft_wrap=True)  # one line, however long


def _config() -> StackConfig:
    return StackConfig.from_environment(clock_file=Path("var/clock.json"))


def _running(config: StackConfig) -> bool:
    try:
        return all(httpx.get(f"{config.url(s)}/health", timeout=1).status_code == 200 for s in SERVICES)
    except httpx.HTTPError:
        return False


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


clock_app = typer.Typer(
    help="Read or move the test clock of the running stack (`make run` uses one).", no_args_is_help=True
)


SUBSCRIPTION_OPTION = typer.Option(None, "--subscription", help="one subscription's own time instead of the stack's")


@clock_app.command("show")
def clock_show(subscription: str = SUBSCRIPTION_OPTION) -> None:
    """Print the stack's time, or one subscription's. Example: `entitle clock show`."""
    console.print(_with_machine(lambda machine: machine.now(subscription)).isoformat())


@clock_app.command("advance")
def clock_advance(
    days: int = typer.Option(0, min=0, help="days to move forward"),
    hours: int = typer.Option(0, min=0, help="hours to move forward"),
    minutes: int = typer.Option(0, min=0, help="minutes to move forward"),
    to: datetime = typer.Option(
        None, formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z"], help="move to this date (UTC) instead"
    ),
    subscription: str = SUBSCRIPTION_OPTION,
) -> None:
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
        target = to if to.tzinfo else to.replace(tzinfo=UTC)
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
        raise typer.Exit(1) from error


def preview(ctx: typer.Context) -> None:
    """Render any e-mail in any language with sample facts (R34): `entitle preview agreement
    --locale fr [--html]`; with no template, list them. Needs the notifications package."""
    from devkit.preview import main as preview_main  # imports notifications: only where it is installed

    raise typer.Exit(preview_main(ctx.args))


def mail(directory: Path = typer.Option(Path("var/mail"), help="where the SMTP sink keeps mail")) -> None:
    """List the e-mails the SMTP sink received. Example: `entitle mail`."""
    table = Table("received", "to", "template", "language", "subject")
    for m in read_mailbox(directory):
        table.add_row(m.path.name[:19], m.to, m.template, m.language, m.subject)
    console.print(table)


def register(app: typer.Typer) -> None:
    """The `entitle.commands` entry point of this kit."""
    app.command()(demo)
    app.add_typer(clock_app, name="clock")
    app.command()(mail)
    app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(preview)
