"""The `entitle` command: drive and inspect a running Entitle stack.

    entitle demo            the four core flows against the running stack (or one it starts)
    entitle tail TOPIC      print the events on a topic, pretty
    entitle mail            list the e-mails the SMTP sink kept
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from servicekit.client import EntitleClient, eventually
from servicekit.devstack import SERVICES, DevStack, StackConfig
from servicekit.mailbox import read_mailbox
from servicekit.topicreader import events_of

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
console = Console()


def _config() -> StackConfig:
    return StackConfig.from_environment(clock_file=Path("var/clock.json"))


def _running(config: StackConfig) -> bool:
    try:
        return all(httpx.get(f"{config.url(s)}/health", timeout=1).status_code == 200 for s in SERVICES)
    except httpx.HTTPError:
        return False


@app.command()
def demo() -> None:
    """Drive purchase → agreement e-mail → activation → seats → proration → cancellation → end.

    Example: `make run` in one shell, then `make demo` in another.
    """
    config = _config()
    stack = None
    if not _running(config):
        console.print("[yellow]No running stack found; starting one for the demo…[/]")
        stack = DevStack(config).start()
    try:
        _demo(config)
    finally:
        if stack:
            stack.stop()


def _demo(config: StackConfig) -> None:
    api = EntitleClient({s: config.url(s) for s in SERVICES})
    step = _stepper()
    mail_seen = {m.path for m in read_mailbox(config.mail_dir)}

    step("Register a customer account and sign in (identity)")
    admin = api.new_customer("Camille Dupont", locale="fr")

    step("Purchase 3 annual named-user seats (flow a)")
    subscription = admin.purchase(quantity=3)
    sid = subscription["id"]
    console.print(f"  subscription [bold]{sid}[/] is [cyan]{subscription['status']}[/]")
    agreement = eventually(lambda: [m for m in read_mailbox(config.mail_dir)
                                    if m.subscription_id == sid and m.template == "agreement"],
                           what="agreement e-mail")[0]
    console.print(Panel(agreement.text, title=f"E-mail to {agreement.to}: {agreement.subject}",
                        subtitle=f"language {agreement.language}"))

    step("The administrator accepts the agreement → subscription.activated → seats.unlocked (flow b)")
    admin.accept(sid)
    pool = eventually(lambda: (p := admin.seats(sid))["status"] == "unlocked" and p, what="unlocked seats")
    console.print(f"  {pool['quantity']} seats unlocked; assigning one to alice@example.com")
    admin.assign(sid, "alice@example.com")

    step("Three months later: 2 more seats → seats.quantity_changed → billing.invoice_adjusted (flow c)")
    api.advance_clock(days=90)
    admin.change_quantity(sid, 5)
    line = eventually(lambda: admin.invoice_lines(sid)["lines"], what="invoice line")[0]
    console.print(f"  invoice line: {line['description']}: "
                  f"[bold]{line['amount']['amount_minor'] / 100:.2f} {line['amount']['currency']}[/]")

    step("Month 12: cancel with a reason → subscription.cancellation_scheduled (flow d)")
    api.advance_clock(days=250)
    cancelled = admin.cancel(sid, "Moving to another product")
    console.print(f"  access continues until {cancelled['cancels_at']}")

    step("The term ends → subscription.ended → seats.deprovisioned → e-mail")
    api.advance_clock(days=30)
    eventually(lambda: admin.seats(sid)["status"] == "deprovisioned", what="deprovisioning")
    eventually(lambda: any(m.subscription_id == sid and m.template == "deprovisioned"
                           for m in read_mailbox(config.mail_dir)), what="deprovisioning e-mail")

    step("Events of this subscription, as any Kafka client sees them")
    table = Table("topic", "type", "time", "correlation")
    for topic in ("subscriptions.events.v1", "seats.events.v1", "billing.events.v1"):
        for event in events_of(config.bootstrap, topic, sid):
            table.add_row(topic, event["type"], event["time"][:19], event["correlationid"][:8])
    console.print(table)

    step("E-mails received by the SMTP server")
    for mail in read_mailbox(config.mail_dir):
        if mail.path not in mail_seen and mail.subscription_id == sid:
            console.print(f"  [{mail.language}] {mail.template:<24} {mail.subject}")
    console.print("\n[green]All four flows done.[/]")


def _stepper():
    number = 0

    def step(title: str) -> None:
        nonlocal number
        number += 1
        console.rule(f"[bold]{number}. {title}")
    return step


@app.command()
def tail(topic: str = typer.Argument(..., help="e.g. subscriptions.events.v1"),
         type_: str = typer.Option(None, "--type", help="only this event type"),
         subject: str = typer.Option(None, help="only this subscription or account id")) -> None:
    """Print the events now on TOPIC. Example: `entitle tail seats.events.v1 --type seats.unlocked`."""
    for event in events_of(_config().bootstrap, topic, subject):
        if type_ is None or event.get("type") == type_:
            console.print_json(json.dumps(event))


@app.command()
def mail(directory: Path = typer.Option(Path("var/mail"), help="where the SMTP sink keeps mail")) -> None:
    """List the e-mails the SMTP sink received. Example: `entitle mail`."""
    table = Table("received", "to", "template", "language", "subject")
    for m in read_mailbox(directory):
        table.add_row(m.path.name[:19], m.to, m.template, m.language, m.subject)
    console.print(table)


def main() -> None:
    os.environ.setdefault("COLUMNS", "120")
    app()


if __name__ == "__main__":
    main()
