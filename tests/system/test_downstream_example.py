"""The downstream example (`examples/downstream/consumer.py`: aiokafka and json, no Entitle
code) reads one purchase in order, commits after handling, and skips what it already handled
when its events come again, as a replay or a rebuilt topic brings them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from aiokafka import TopicPartition

from devkit.client import eventually
from opskit.offsets import committed_offsets
from opskit.topicreader import read_topic

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "downstream" / "consumer.py"
TOPIC = "subscriptions.events.v1"


def run_example(stack, group: str, state: Path) -> list[dict]:
    """The example as its user runs it, until the topic has been quiet for two seconds."""
    done = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE),
            "--bootstrap",
            stack.config.bootstrap,
            "--group",
            group,
            "--topic",
            TOPIC,
            "--state",
            str(state),
            "--until-idle",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def purchased_and_activated(stack, sid: str) -> list | None:
    records = [r for r in read_topic(stack.config.bootstrap, TOPIC) if r.key == sid]
    return records if len(records) >= 2 else None


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)  # the example never sees the services' database
def test_the_example_consumer_handles_a_purchase_once_in_order_and_skips_it_when_it_comes_again(
    stack, customer, tmp_path
):
    sid = customer.purchase(quantity=1)["id"]
    customer.accept(sid)
    records = eventually(lambda: purchased_and_activated(stack, sid), what="purchased and activated on the topic")
    group, state = f"downstream-{uuid.uuid4().hex[:8]}", tmp_path / "state.sqlite"

    first = [line for line in run_example(stack, group, state) if line.get("subject") == sid]
    assert [(e["type"], e["id"], e["duplicate"]) for e in first] == [
        (r.json()["type"], r.headers["ce_id"], False) for r in records
    ]
    committed = asyncio.run(committed_offsets(stack.config.bootstrap, group, [TOPIC]))
    assert all(committed[TopicPartition(TOPIC, r.partition)] > r.offset for r in records)

    # Another group over the same state reads everything again, as after a replay.
    again = [line for line in run_example(stack, f"{group}-again", state) if line.get("subject") == sid]
    assert [(e["id"], e["duplicate"]) for e in again] == [(r.headers["ce_id"], True) for r in records]
