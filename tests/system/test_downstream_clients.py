"""Downstream teams read the public topics with their own Kafka clients, not with Entitle's code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer

from devkit.client import eventually

KCAT = Path(sys.prefix) / "bin" / "kcat"  # tools/kcat, installed by make install


def kcat_lines(bootstrap: str, topic: str) -> list[dict]:
    done = subprocess.run(
        [str(KCAT), "-C", "-b", bootstrap, "-t", topic, "-e", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "KCAT_BIN": shutil.which("kcat") or ""},
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


@pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed (apt-get install kcat)")
def test_kcat_prints_each_event_as_cloudevents_json(stack, customer):
    sid = customer.purchase(quantity=1)["id"]
    events = eventually(
        lambda: [e for e in kcat_lines(stack.config.bootstrap, "subscriptions.events.v1") if e["subject"] == sid],
        what="purchase read by kcat",
    )
    assert events[0]["specversion"] == "1.0"
    assert (events[0]["type"], events[0]["data"]["subscription_id"]) == ("subscription.purchased", sid)


def test_a_plain_librdkafka_consumer_group_reads_the_events_of_one_subscription_in_order(stack, customer):
    sid = customer.purchase(quantity=1)["id"]
    customer.accept(sid)
    # Tansu holds a new group's first JoinGroup until the session timeout of the member id it
    # handed out on the first (refused) attempt; a short session keeps the join to a few seconds.
    consumer = Consumer(
        {
            "bootstrap.servers": stack.config.bootstrap,
            "group.id": f"downstream-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": 6000,
        }
    )
    consumer.subscribe(["subscriptions.events.v1"])
    seen: list[dict] = []

    def both_events_read() -> bool:
        for message in consumer.consume(num_messages=100, timeout=0.5):
            if message.error() is None and message.key() == sid.encode():
                seen.append(json.loads(message.value()))
        return len(seen) >= 2

    try:
        eventually(both_events_read, what="purchased and activated read by librdkafka")
    finally:
        consumer.close()
    assert [e["type"] for e in seen] == ["subscription.purchased", "subscription.activated"]
    assert len({e["id"] for e in seen}) == 2
