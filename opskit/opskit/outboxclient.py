"""The client side of a service's outbox operator routes (`servicekit.operations.outbox`), for the
`entitle rebuild-topic` command: a refusal or a silent service is a clear message, not a
traceback, and a service restarting mid-rebuild is waited for."""

from __future__ import annotations

import time

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from contracts.topics import Topic
from opskit.console import make_console

console = make_console()


class Owner:
    """The operator routes of one topic's owner."""

    def __init__(self, topic: Topic, url: str, token: str | None) -> None:
        self.topic, self.url = topic, url
        self._headers = {"X-Operator-Token": token} if token else {}

    def republish(self, body: dict) -> dict:
        try:
            answer = httpx.post(
                f"{self.url}/ops/outbox/republish",
                json={"topic": self.topic.name, **body},
                headers=self._headers,
                timeout=60,
            )
        except httpx.HTTPError as error:
            console.print(f"[red]{self.topic.owner} does not answer at {self.url} ({error}).[/]")
            raise typer.Exit(1) from error
        if answer.status_code != 200:
            why = answer.json().get("message") if "json" in answer.headers.get("content-type", "") else answer.text
            console.print(f"[red]{self.topic.owner} refused {self.topic.name} ({answer.status_code}): {why}[/]")
            raise typer.Exit(1)
        return answer.json()

    def unpublished(self) -> int | None:
        """None while the service does not answer (restarting): its relay carries on after."""
        try:
            answer = httpx.get(
                f"{self.url}/ops/outbox/backlog", params={"topic": self.topic.name}, headers=self._headers, timeout=5
            )
            return answer.json()["unpublished"] if answer.status_code == 200 else None
        except httpx.HTTPError:
            return None


def follow(owners: list[Owner], answers: list[dict], timeout: float) -> bool:
    """Progress per topic until every backlog is zero; False if `timeout` passes first."""
    deadline = time.monotonic() + timeout
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        console=console,
    ) as progress:
        tasks = [
            progress.add_task(o.topic.name, total=a["rows"], note="") for o, a in zip(owners, answers, strict=True)
        ]
        while time.monotonic() < deadline:
            left = [o.unpublished() for o in owners]
            for task, owner, answer, n in zip(tasks, owners, answers, left, strict=True):
                if n is None:  # keep the last figure: the relay resumes once the owner is back
                    progress.update(task, note=f"{owner.topic.owner} does not answer (restarting?)")
                else:
                    progress.update(task, completed=answer["rows"] - min(n, answer["rows"]), note="")
            if all(n == 0 for n in left):
                return True
            time.sleep(0.2)
    return False
