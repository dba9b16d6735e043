"""Rebuilding a topic marks its outbox rows unpublished again, only those of its owner; the
`entitle rebuild-topic` command refuses a wrong request before asking any service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from contracts.errors import RuleViolation
from opskit.cli import app
from opskit.rebuild import utc_time
from servicekit.operations.outbox import Republish, describe, mark_unpublished, owned_topic, unpublished
from servicekit.store.tables import outbox

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def published_history(db, *topics: str) -> None:
    """One published event per topic given, a minute apart, in that order."""
    async with db.engine.begin() as conn:
        for n, topic in enumerate(topics):
            await conn.execute(
                insert(outbox).values(
                    event_id=f"e-{n}",
                    event_type="t",
                    topic=topic,
                    key="k",
                    body=b"{}",
                    created_at=T0 + timedelta(minutes=n),
                    published_at=T0 + timedelta(minutes=n),
                )
            )


async def unpublished_seqs(db) -> list[int]:
    async with db.connect() as conn:
        return list(
            (
                await conn.execute(select(outbox.c.seq).where(outbox.c.published_at.is_(None)).order_by(outbox.c.seq))
            ).scalars()
        )


@pytest.mark.parametrize(
    "topic, code",
    [
        ("seats.events.v1", "topic_of_another_service"),
        ("billing.dlq", "dead_letters_have_no_outbox"),
        ("nowhere.v1", "unknown_topic"),
    ],
)
def test_a_service_refuses_to_rebuild_a_topic_it_does_not_publish(topic, code):
    with pytest.raises(RuleViolation) as refused:
        owned_topic("billing", topic)
    assert refused.value.code == code


def test_a_service_may_rebuild_its_internal_topics_too():
    assert owned_topic("identity", "identity.internal.v1").owner == "identity"


async def test_a_dry_run_describes_the_rows_of_one_topic_and_marks_nothing(db):
    await published_history(db, "seats.events.v1", "billing.events.v1", "seats.events.v1")
    found = await describe(db, "seats", Republish(topic="seats.events.v1", dry_run=True))
    assert (found.rows, found.first_seq, found.last_seq) == (2, 1, 3)
    assert (found.first_created_at, found.last_created_at) == (T0, T0 + timedelta(minutes=2))
    assert await unpublished_seqs(db) == []


async def test_marking_sends_back_only_that_topics_rows_from_the_seq_or_time_asked(db):
    await published_history(db, *["seats.events.v1"] * 4, "billing.events.v1")
    assert (
        await mark_unpublished(
            db, Republish(topic="seats.events.v1", from_seq=2, since=T0 + timedelta(minutes=1, seconds=30))
        )
        == 2
    )
    assert await unpublished_seqs(db) == [3, 4]
    assert await unpublished(db, "seats.events.v1") == 2 and await unpublished(db, "billing.events.v1") == 0


async def test_a_time_without_its_offset_is_refused(db):
    with pytest.raises(RuleViolation) as refused:
        await mark_unpublished(db, Republish(topic="seats.events.v1", since=datetime(2026, 1, 1)))
    assert refused.value.code == "naive_time"


NOWHERE = ["--service-url", "billing=http://127.0.0.1:1", "--bootstrap", "127.0.0.1:1"]


@pytest.mark.parametrize(
    "arguments, says",
    [
        ([], "--all"),
        (["seats.events.v1", "--all"], "--all"),
        (["billing.dlq"], "dead letters"),
        (["seats.events.v1", "--since", "last week"], "ISO time"),
        (["seats.events.v1", "--service-url", "payroll=http://x"], "SERVICE=URL"),
    ],
)
def test_rebuild_topic_refuses_a_wrong_request_before_asking_anyone(arguments, says):
    answer = CliRunner().invoke(app, ["rebuild-topic", *arguments], env={"COLUMNS": "200"})
    assert answer.exit_code == 2 and says in answer.output


def test_rebuild_topic_says_which_service_did_not_answer():
    answer = CliRunner().invoke(app, ["rebuild-topic", "billing.events.v1", *NOWHERE], env={"COLUMNS": "200"})
    assert answer.exit_code == 1 and "billing does not answer at http://127.0.0.1:1" in answer.output


def test_a_time_without_an_offset_is_read_as_utc():
    assert utc_time("2026-03-01") == "2026-03-01T00:00:00+00:00"
    assert utc_time("2026-03-01T10:00:00+02:00") == "2026-03-01T10:00:00+02:00"
