"""Rebuilding a lost topic from the outbox, which keeps every event a service ever published.

`POST /ops/outbox/republish` marks a topic's past events unpublished again; the relay then
re-sends them in seq order, with their original ids, keys and bodies, and consumers skip
what they already applied by event id. Marking rows rather than sending from the request
makes a rebuild survive a restart: the relay carries on with whatever is still unmarked.
Only the service that owns a topic can rebuild it, and dead letters are in no outbox.
"""

from __future__ import annotations

from datetime import datetime

from aiokafka.errors import KafkaError
from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import func, select, update

from contracts.errors import Refusal, RuleViolation
from contracts.topics import ALL_TOPICS, Topic
from servicekit.http.deps import REQUIRES_OPERATOR
from servicekit.messaging.kafka import ensure_topics
from servicekit.runtime import Runtime, ServiceRuntime
from servicekit.store.db import Database
from servicekit.store.tables import outbox


class Republish(BaseModel):
    topic: str = Field(description="A catalogue topic this service owns, e.g. seats.events.v1.")
    from_seq: int | None = Field(None, ge=1, description="Only outbox rows from this seq on.")
    since: datetime | None = Field(None, description="Only events created at or after this time.")
    dry_run: bool = Field(False, description="Count and describe the rows; change nothing.")


class Republished(BaseModel):
    service: str
    topic: str
    dry_run: bool
    rows: int = Field(description="Events (to be) sent again.")
    first_seq: int | None = None
    last_seq: int | None = None
    first_created_at: datetime | None = None
    last_created_at: datetime | None = None


def owned_topic(service: str, name: str) -> Topic:
    """The catalogue topic `name`, if `service` publishes it; a clear refusal otherwise."""
    if name.endswith(".dlq"):
        raise RuleViolation(
            "dead_letters_have_no_outbox",
            f"{name} holds dead letters, which live only on the broker; see `entitle dlq`.",
            refusal=Refusal.INVALID,
        )
    topic = next((t for t in ALL_TOPICS if t.name == name), None)
    if topic is None:
        raise RuleViolation("unknown_topic", f"No catalogue topic is called {name}.", refusal=Refusal.NOT_FOUND)
    if topic.owner != service:
        raise RuleViolation(
            "topic_of_another_service",
            f"{name} is published by {topic.owner}, not {service}: ask {topic.owner} to rebuild it.",
            refusal=Refusal.INVALID,
        )
    return topic


def _chosen(request: Republish) -> list:
    if request.since is not None and request.since.tzinfo is None:
        raise RuleViolation(
            "naive_time", "Give `since` with its offset, e.g. 2026-02-01T00:00:00Z.", refusal=Refusal.INVALID
        )
    return [
        outbox.c.topic == request.topic,
        *([outbox.c.seq >= request.from_seq] if request.from_seq is not None else []),
        *([outbox.c.created_at >= request.since] if request.since is not None else []),
    ]


async def describe(db: Database, service: str, request: Republish) -> Republished:
    async with db.connect() as conn:
        found = (
            await conn.execute(
                select(
                    func.count(),
                    func.min(outbox.c.seq),
                    func.max(outbox.c.seq),
                    func.min(outbox.c.created_at),
                    func.max(outbox.c.created_at),
                ).where(*_chosen(request))
            )
        ).one()
    return Republished(
        service=service,
        topic=request.topic,
        dry_run=request.dry_run,
        rows=found[0],
        first_seq=found[1],
        last_seq=found[2],
        first_created_at=found[3],
        last_created_at=found[4],
    )


async def mark_unpublished(db: Database, request: Republish) -> int:
    async with db.engine.begin() as conn:
        return (await conn.execute(update(outbox).where(*_chosen(request)).values(published_at=None))).rowcount


async def unpublished(db: Database, topic: str) -> int:
    async with db.connect() as conn:
        return (
            await conn.execute(
                select(func.count()).select_from(outbox).where(outbox.c.topic == topic, outbox.c.published_at.is_(None))
            )
        ).scalar_one()


async def _ensure_topic(runtime: ServiceRuntime, topic: Topic) -> None:
    """A topic lost while the service ran is created again with its catalogue partitions,
    so every key lands on the partition it had."""
    try:
        await ensure_topics(
            runtime.settings.kafka_bootstrap_servers, {topic.name: topic.partitions}, security=runtime.kafka_security
        )
    except KafkaError as error:
        raise RuleViolation(
            "broker_unavailable",
            f"The broker did not answer ({error}); nothing was marked. Try again once it is back.",
            refusal=Refusal.CONFLICT,
        ) from error


router = APIRouter(prefix="/ops/outbox", tags=["operations"], dependencies=[REQUIRES_OPERATOR])


@router.post("/republish")
async def republish(request: Republish, runtime: Runtime) -> Republished:
    """Send a topic's past events again, in order, with their original ids (rebuild a lost
    topic). `dry_run` says how many and which seq and time range, and changes nothing."""
    topic = owned_topic(runtime.name, request.topic)
    if not request.dry_run:
        await _ensure_topic(runtime, topic)
    async with runtime.relay.lock:  # no batch in flight: its mark would hide a re-marked row
        found = await describe(runtime.db, runtime.name, request)
        if not request.dry_run:
            await mark_unpublished(runtime.db, request)
    runtime.relay.wake()
    return found


class Backlog(BaseModel):
    service: str
    topic: str
    unpublished: int = Field(description="The topic's events still waiting for the relay.")


@router.get("/backlog")
async def backlog(topic: str, runtime: Runtime) -> Backlog:
    """How many of this topic's events wait for the relay: a rebuild is done at zero."""
    owned_topic(runtime.name, topic)
    return Backlog(service=runtime.name, topic=topic, unpublished=await unpublished(runtime.db, topic))
