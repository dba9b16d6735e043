"""The client side of a service's outbox operator routes (`servicekit.outboxops`), for the
`entitle rebuild-topic` command: a refusal or a silent service is a clear message, not a traceback."""
from __future__ import annotations

import httpx
import typer

from contracts.topics import Topic
from servicekit.console import make_console

console = make_console()


class Owner:
    """The operator routes of one topic's owner."""

    def __init__(self, topic: Topic, url: str, token: str | None) -> None:
        self.topic, self.url = topic, url
        self._headers = {"X-Operator-Token": token} if token else {}

    def republish(self, body: dict) -> dict:
        try:
            answer = httpx.post(f"{self.url}/ops/outbox/republish", json={"topic": self.topic.name, **body},
                                headers=self._headers, timeout=60)
        except httpx.HTTPError as error:
            console.print(f"[red]{self.topic.owner} does not answer at {self.url} ({error}).[/]")
            raise typer.Exit(1)
        if answer.status_code != 200:
            why = answer.json().get("message") if "json" in answer.headers.get("content-type", "") else answer.text
            console.print(f"[red]{self.topic.owner} refused {self.topic.name} ({answer.status_code}): {why}[/]")
            raise typer.Exit(1)
        return answer.json()

    def unpublished(self) -> int | None:
        """None while the service does not answer (restarting): its relay carries on after."""
        try:
            answer = httpx.get(f"{self.url}/ops/outbox/backlog", params={"topic": self.topic.name},
                               headers=self._headers, timeout=5)
            return answer.json()["unpublished"] if answer.status_code == 200 else None
        except httpx.HTTPError:
            return None
