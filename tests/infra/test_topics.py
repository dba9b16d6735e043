"""The topics the compose file creates up front are the ones contracts/topics.py defines, and
the ones the services use; `create_missing` creates them as defined, against a fake admin client."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiokafka.errors import InvalidReplicationFactorError
from typer.testing import CliRunner

from contracts.topics import ALL_TOPICS, DEAD_LETTER_TOPICS, FOREVER, every_topic, topic_named
from opskit.cli import app
from opskit.topics import drift
from servicekit.messaging.kafka import create_missing, definitions
from tests.infra.layout import OPERATOR_IMAGE, PORTAL, SERVICES, compose, dockerfile, instructions

ALREADY_EXISTS = 36


class FakeAdmin:
    """The calls `create_missing` makes of aiokafka's admin client, answered from memory."""

    def __init__(self, existing=(), brokers=1, errors=None):
        self.existing, self.brokers, self.errors, self.requested = set(existing), brokers, errors or {}, []

    async def list_topics(self):
        return sorted(self.existing)

    async def describe_cluster(self):
        return {"brokers": [{"node_id": n} for n in range(self.brokers)]}

    async def create_topics(self, new_topics):
        self.requested += new_topics
        return SimpleNamespace(topic_errors=[(t.name, self.errors.get(t.name, 0), "") for t in new_topics])


@pytest.fixture(scope="module")
def consumer_groups() -> set[str]:
    return {c.group for s in SERVICES for c in importlib.import_module(f"{s}.app").build().consumers}


def test_the_topics_job_runs_entitle_topics_create_against_the_compose_kafka():
    job = compose()["services"]["topics"]
    entrypoint = json.loads(instructions(dockerfile(OPERATOR_IMAGE), "ENTRYPOINT")[-1])
    assert "entrypoint" not in job and entrypoint + job["command"] == ["entitle", "topics", "create"]
    assert job["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "${KAFKA_BOOTSTRAP_SERVERS:-kafka:19092}"


def test_the_plan_is_every_catalogue_topic_and_one_dead_letter_topic_per_consumer_group(consumer_groups):
    plan = CliRunner().invoke(app, ["topics", "create", "--dry-run"], env={"COLUMNS": "250"}).output
    planned = {line.split()[2] for line in plan.splitlines() if line.startswith("would create")}
    assert planned == {t.name for t in every_topic()}
    assert {t.name for t in DEAD_LETTER_TOPICS} == {f"{group}.dlq" for group in consumer_groups}


def test_the_portal_owns_no_topic_and_consumes_none():
    assert PORTAL not in {t.owner for t in every_topic()}
    assert importlib.import_module(f"{PORTAL}.app").build().consumers == []


def test_public_events_are_kept_forever_and_never_compacted():
    for topic in (t for t in ALL_TOPICS if t.public):
        assert topic.config() == {"cleanup.policy": "delete", "retention.ms": str(FOREVER)}
    assert all(int(t.config()["retention.ms"]) > 0 for t in every_topic() if not t.public)


async def test_only_missing_topics_are_created_with_their_partitions_and_settings():
    admin = FakeAdmin(existing={"seats.events.v1"}, brokers=5)
    created = await create_missing(admin, list(every_topic()))
    assert [t.name for t in created] == [t.name for t in every_topic() if t.name != "seats.events.v1"]
    for request in admin.requested:
        topic = topic_named(request.name)
        assert (request.num_partitions, request.replication_factor) == (topic.partitions, 3)
        assert request.topic_configs == topic.config()


async def test_a_single_broker_gets_one_replica_and_a_topic_created_meanwhile_is_no_error():
    admin = FakeAdmin(errors={"billing.dlq": ALREADY_EXISTS})
    await create_missing(admin, list(every_topic()))
    assert {r.replication_factor for r in admin.requested} == {1}


async def test_any_other_refusal_of_the_broker_fails_the_creation():
    with pytest.raises(InvalidReplicationFactorError):
        await create_missing(
            FakeAdmin(errors={"billing.dlq": InvalidReplicationFactorError.errno}), list(every_topic())
        )


def test_names_given_with_partitions_take_their_definition_or_stay_internal_scratch_topics():
    known, scratch = definitions({"seats.events.v1": 3, "bench.limit.x": 2})
    assert known == topic_named("seats.events.v1") and known.config()["retention.ms"] == str(FOREVER)
    assert (scratch.name, scratch.partitions, scratch.public) == ("bench.limit.x", 2, False)


def test_a_topic_that_differs_from_its_definition_is_described():
    seats = topic_named("seats.events.v1")
    assert drift(seats, 3, {"retention.ms": "-1", "cleanup.policy": "delete"}) == []
    assert drift(seats, 2, {"retention.ms": "604800000"}) == [
        "2 partitions, defined 3",
        "retention.ms=604800000, defined -1",
    ]


def test_no_infra_test_starts_the_system_stack(request):
    here = Path(__file__).parent
    mine = [item for item in request.session.items if Path(item.path).is_relative_to(here)]
    assert mine and not [item.nodeid for item in mine if "stack" in item.fixturenames]
