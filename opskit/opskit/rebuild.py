"""`entitle rebuild-topic TOPIC...`: re-send a lost topic from its owner's outbox.

The embedded broker keeps nothing across a restart, and a real cluster can lose a topic too.
Each topic's owner (from the contracts) marks the topic's outbox rows unpublished again
(`POST /ops/outbox/republish`), and its relay re-sends them in order with their original
ids. This command asks, then follows each topic's backlog down to zero. The marks are in
the owner's database, so a service restarted mid-rebuild carries on where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from contracts.topics import ALL_TOPICS, Topic
from opskit.console import make_console
from opskit.endpoints import Endpoints
from opskit.outboxclient import Owner, follow
from opskit.topiccount import record_counts

console = make_console()
_stack: Callable[[], Endpoints] = Endpoints.from_environment  # replaced by register()


def catalogue_topics(names: list[str], every: bool) -> list[Topic]:
    if bool(names) == every:
        raise typer.BadParameter("name the TOPICs to rebuild, or --all (not both)")
    by_name = {t.name: t for t in ALL_TOPICS}
    if unknown := [n for n in names if n not in by_name]:
        raise typer.BadParameter(
            f"not catalogue topics: {', '.join(unknown)} (dead letters live only on "
            f"the broker); known: {', '.join(by_name)}"
        )
    return list(ALL_TOPICS) if every else [by_name[n] for n in names]


def service_urls(overrides: list[str]) -> dict[str, str]:
    urls = dict(_stack().urls)
    for item in overrides:
        service, _, url = item.partition("=")
        if service not in urls or not url:
            raise typer.BadParameter(f"--service-url {item!r}: say SERVICE=URL, SERVICE one of {', '.join(urls)}")
        urls[service] = url.rstrip("/")
    return urls


def utc_time(text: str | None) -> str | None:
    """An ISO time, UTC when it names no offset (as `entitle replay --to-time` reads it)."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(f"--since {text!r} is not an ISO time, e.g. 2026-03-01T00:00:00Z") from error
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def summary(answers: list[dict], title: str, *counts: dict) -> Table:
    """Per topic: the events (to be) sent again, and the records on the broker before (and after)."""
    table = Table(
        "topic",
        "owner",
        "events",
        "outbox seq",
        "created",
        "on broker before",
        *(["after"] if len(counts) > 1 else []),
        title=title,
    )
    for a in answers:
        seqs = f"{a['first_seq']}-{a['last_seq']}" if a["rows"] else "-"
        times = f"{a['first_created_at']} to {a['last_created_at']}" if a["rows"] else "-"
        table.add_row(
            a["topic"],
            a["service"],
            str(a["rows"]),
            seqs,
            times,
            *(str(c[a["topic"]]) if c.get(a["topic"]) is not None else "?" for c in counts),
        )
    return table


def rebuild_topic(
    topics: Annotated[list[str] | None, typer.Argument(help="catalogue topics, e.g. seats.events.v1")] = None,
    every: Annotated[bool, typer.Option("--all", help="every catalogue topic, each from its owner")] = False,
    from_seq: Annotated[int | None, typer.Option(min=1, help="only outbox rows from this seq on")] = None,
    since: Annotated[str | None, typer.Option(help="only events created at or after this ISO time")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count and describe; change nothing")] = False,
    operator_token: Annotated[
        str | None, typer.Option(envvar="OPERATOR_TOKEN", help="sent as X-Operator-Token")
    ] = None,
    service_url: Annotated[
        list[str] | None, typer.Option(help="where a service answers, SERVICE=URL (repeat); default the local stack")
    ] = None,
    timeout: Annotated[float, typer.Option(min=1, help="seconds to follow the backlogs")] = 300.0,
    bootstrap: Annotated[str | None, typer.Option(help="broker, for the record counts")] = None,
) -> list[dict]:
    """Re-send topics from their owners' outboxes, in order, with their original ids: after a
    broker restart (the embedded one keeps nothing) or a lost topic. Consumers skip what they
    already applied by event id. Rebuild before new traffic flows: an event published on the
    fresh topic before the rebuild reaches consumers ahead of the older ones it follows.

    Examples: `entitle rebuild-topic --all --dry-run`; `entitle rebuild-topic seats.events.v1`.
    """
    chosen, urls = catalogue_topics(topics or [], every), service_urls(service_url or [])
    owners = [Owner(t, urls[t.owner], operator_token) for t in chosen]
    body = {"from_seq": from_seq, "since": utc_time(since), "dry_run": dry_run}
    bootstrap = bootstrap or _stack().bootstrap
    before = record_counts(bootstrap, [t.name for t in chosen])
    answers = [owner.republish(body) for owner in owners]
    if dry_run:
        console.print(summary(answers, "rebuild (dry run: nothing changed)", before))
        return answers
    for name in [name for name, n in before.items() if n]:
        console.print(
            f"[yellow]{name} still holds {before[name]} record(s): the events come again after "
            "them, and consumers skip the ones they already applied.[/]"
        )
    done = follow(owners, answers, timeout)
    console.print(summary(answers, "rebuild", before, record_counts(bootstrap, [t.name for t in chosen])))
    if not done:
        console.print(
            f"[yellow]Not all sent within {timeout:.0f} s; the relays carry on by themselves "
            "(GET /ops/outbox/backlog?topic=… on the owner says how many are left).[/]"
        )
        raise typer.Exit(1)
    console.print(f"[green]re-sent {sum(a['rows'] for a in answers)} event(s) with their original ids.[/]")
    return answers


def register(app: typer.Typer, stack: Callable[[], Endpoints]) -> None:
    """Add `rebuild-topic` to the `entitle` command, with the stack's services as defaults."""
    global _stack
    _stack = stack
    app.command("rebuild-topic")(rebuild_topic)
