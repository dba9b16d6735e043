"""The operator commands over the real stack: dead letters listed and redriven, one purchase
traced across the topics, a replay planned without moving anything.

The services keep running (other tests share the stack): a real replay moves a group of
the test's own, which no service reads as.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer
from typer.testing import CliRunner

from devkit.client import eventually
from opskit.cli import app
from opskit.commands import Target, replay_plan
from opskit.offsets import committed_offsets, end_offsets
from opskit.topicreader import produce, read_topic

SEAT_EVENTS, SUBSCRIPTION_EVENTS = "seats.events.v1", "subscriptions.events.v1"
runner = CliRunner()


def entitle(stack, *arguments: str) -> str:
    answer = runner.invoke(app, [*arguments, "--bootstrap", stack.config.bootstrap], env={"COLUMNS": "250"})
    assert answer.exit_code == 0, answer.output
    return answer.output


def dead_letters_of(stack, sid: str) -> list:
    return [r for r in read_topic(stack.config.bootstrap, "billing.dlq") if r.key == sid]


def test_a_dead_letter_is_listed_shown_and_redriven_to_its_original_topic(stack, customer):
    sid = customer.purchase(quantity=1)["id"]
    produce(stack.config.bootstrap, SEAT_EVENTS, [(sid.encode(), b"{still not json")])
    dead = eventually(lambda: dead_letters_of(stack, sid) or None, what="the dead letter")[0]

    listing = entitle(stack, "dlq", "list", "billing")
    row = next(line for line in listing.splitlines() if line.strip().startswith(f"│ {dead.offset} "))
    assert "malformed" in row and f"{SEAT_EVENTS}[{dead.headers['dlq.partition']}]@{dead.headers['dlq.offset']}" in row
    assert "{still not json" in entitle(stack, "dlq", "show", "billing", str(dead.offset))

    def copies() -> int:  # the poison record on its topic: the original, then the redriven one
        return sum(r.key == sid and r.value == dead.value for r in read_topic(stack.config.bootstrap, SEAT_EVENTS))

    assert copies() == 1
    entitle(stack, "dlq", "redrive", "billing", str(dead.offset))
    eventually(lambda: copies() == 2, what="the dead letter back on its original topic")
    # Still malformed: billing gives up on it again, with one more dead letter.
    again = eventually(
        lambda: len(dead_letters_of(stack, sid)) == 2 and dead_letters_of(stack, sid), what="dead-lettered again"
    )
    assert again[1].value == dead.value and again[1].headers["dlq.reason"] == "malformed"


def events_of_subscription(stack, sid: str) -> dict[str, dict]:
    return {r.json()["type"]: r.json() for r in read_topic(stack.config.bootstrap, SUBSCRIPTION_EVENTS) if r.key == sid}


def test_trace_shows_the_whole_purchase_from_order_to_unlocked_seats(stack, customer):
    sid = customer.purchase(quantity=1)["id"]
    customer.accept(sid)  # a second request, which continues the purchase's story
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="unlocked")
    events = events_of_subscription(stack, sid)
    assert events["subscription.activated"]["correlationid"] == events["subscription.purchased"]["correlationid"]

    story = entitle(stack, "trace", events["subscription.purchased"]["correlationid"])

    assert story.index("subscription.purchased") < story.index("subscription.activated") < story.index("seats.unlocked")


def test_a_replay_dry_run_prints_the_plan_per_partition_and_moves_nothing(stack, customer):
    customer.purchase(quantity=1)
    topics = [SUBSCRIPTION_EVENTS, SEAT_EVENTS]
    before = asyncio.run(committed_offsets(stack.config.bootstrap, "billing", topics))

    plan = entitle(
        stack, "replay", "billing", "--to-earliest", "--dry-run", "--topic", SUBSCRIPTION_EVENTS, "--topic", SEAT_EVENTS
    )

    assert "dry run" in plan
    for topic in topics:
        for partition in range(3):
            assert any(line.count(topic) and f"│ {partition} " in line for line in plan.splitlines())
    after = asyncio.run(committed_offsets(stack.config.bootstrap, "billing", topics))
    assert all(after[tp] >= offset for tp, offset in before.items())  # nothing moved back


def test_a_replay_moves_a_group_without_members_to_an_offset_and_back_to_the_earliest(stack, customer):
    customer.purchase(quantity=1)
    group, topic = f"ops-test-{uuid.uuid4().hex[:8]}", SUBSCRIPTION_EVENTS  # no service reads as it
    ends = asyncio.run(end_offsets(stack.config.bootstrap, [topic]))

    entitle(stack, "replay", group, "--topic", topic, "--to-offset", "1", "--wait", "20")
    assert asyncio.run(committed_offsets(stack.config.bootstrap, group, [topic])) == {
        tp: min(1, end) for tp, end in ends.items()
    }

    entitle(stack, "replay", group, "--to-earliest", "--wait", "20")  # its topics: those it committed on
    assert set(asyncio.run(committed_offsets(stack.config.bootstrap, group, [topic])).values()) == {0}


def test_tail_follow_prints_an_event_published_after_it_started(stack, customer):
    environment = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": stack.config.bootstrap, "PYTHONUNBUFFERED": "1"}
    tail = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "opskit.cli",
            "tail",
            SUBSCRIPTION_EVENTS,
            "--follow",
            "--type",
            "subscription.purchased",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    )
    printed: list[str] = []  # read by a thread: a silent tail must fail the test, not hang it
    threading.Thread(target=lambda: printed.extend(tail.stdout), daemon=True).start()
    try:
        sid = customer.purchase(quantity=1)["id"]
        eventually(lambda: any(sid in line for line in list(printed)), what="the purchase followed")
    finally:
        tail.terminate()
        tail.wait(timeout=10)


def member_of(bootstrap: str, group: str, topic: str, joined: threading.Event, stop: threading.Event) -> None:
    """A live member of `group`, as a running service would be, until `stop` is set."""

    async def run() -> None:
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            while not stop.is_set():
                await consumer.getmany(timeout_ms=200)
                if consumer.assignment():
                    joined.set()
        finally:
            await consumer.stop()

    asyncio.run(run())


def test_a_replay_of_a_group_whose_members_still_run_is_refused_clearly(stack):
    group, joined, stop = f"ops-live-{uuid.uuid4().hex[:8]}", threading.Event(), threading.Event()
    member = threading.Thread(target=member_of, args=(stack.config.bootstrap, group, SEAT_EVENTS, joined, stop))
    member.start()
    try:
        assert joined.wait(30), "the stand-in member never joined"
        answer = runner.invoke(
            app,
            [
                "replay",
                group,
                "--topic",
                SEAT_EVENTS,
                "--to-offset",
                "0",
                "--wait",
                "3",
                "--bootstrap",
                stack.config.bootstrap,
            ],
            env={"COLUMNS": "250"},
        )
    finally:
        stop.set()
        member.join(30)
    assert answer.exit_code == 1 and "still running" in answer.output


def test_a_replay_to_a_time_plans_from_the_first_record_at_or_after_it(stack, customer):
    customer.purchase(quantity=1)
    bootstrap, topics = stack.config.bootstrap, [SUBSCRIPTION_EVENTS]
    ends = asyncio.run(end_offsets(bootstrap, topics))

    long_ago = asyncio.run(replay_plan(bootstrap, "billing", topics, Target(time=datetime(2000, 1, 1, tzinfo=UTC))))
    to_come = asyncio.run(replay_plan(bootstrap, "billing", topics, Target(time=datetime(2100, 1, 1, tzinfo=UTC))))

    assert {p.partition: p.target for p in long_ago} == {p.partition: p.start for p in long_ago}
    assert {p.partition: p.target for p in to_come} == ends
