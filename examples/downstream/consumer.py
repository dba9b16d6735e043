"""A downstream consumer of Entitle's public events, with aiokafka and the standard library only.

    pip install -r requirements.txt
    python consumer.py --bootstrap 127.0.0.1:9092 --group my-team --topic subscriptions.events.v1

A cluster that requires authentication (Entitle's compose file does) is configured by the
environment, with the names Entitle's own services and tools read:

    KAFKA_SECURITY_PROTOCOL=SASL_SSL KAFKA_SASL_MECHANISM=SCRAM-SHA-512 \
    KAFKA_USERNAME=my-team KAFKA_PASSWORD=... KAFKA_SSL_CA_FILE=ca.pem python consumer.py ...

Your user needs READ on the topics and on your consumer group (docs/downstream.md).

What Entitle promises, and what this consumer does about it (docs/downstream.md):
- At least once: an event can come again (a retry, a replay, a rebuilt topic), always with
  the same `id`. The id is stored in the same transaction as the effect, and an id already
  stored is skipped.
- In order per subscription within a topic (the key is the subscription id); nothing is
  ordered across topics.
- Offsets are committed only after the events before them are handled, so a crash means
  reading again, never skipping.

Each event read is printed as one JSON line; `"duplicate": true` marks one already handled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import ssl
import sys
import time

from aiokafka import AIOKafkaConsumer, TopicPartition

PUBLIC_TOPICS = [
    "identity.events.v1",
    "subscriptions.events.v1",
    "seats.events.v1",
    "billing.events.v1",
    "notifications.events.v1",
]


def security_from_environment(env=os.environ) -> dict:
    """aiokafka's connection arguments from KAFKA_SECURITY_PROTOCOL (PLAINTEXT, SSL,
    SASL_PLAINTEXT or SASL_SSL), KAFKA_SASL_MECHANISM (SCRAM-SHA-512, SCRAM-SHA-256, PLAIN),
    KAFKA_USERNAME, KAFKA_PASSWORD and KAFKA_SSL_CA_FILE (empty: the system's trusted CAs)."""
    protocol = env.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    options: dict = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):  # certificates and host names checked, always
        options["ssl_context"] = ssl.create_default_context(cafile=env.get("KAFKA_SSL_CA_FILE") or None)
    if protocol.startswith("SASL_"):
        options.update(
            sasl_mechanism=env.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
            sasl_plain_username=env["KAFKA_USERNAME"],
            sasl_plain_password=env["KAFKA_PASSWORD"],
        )
    return options


def open_state(path: str) -> sqlite3.Connection:
    """The consumer's own database: the ids it handled, and its effect (here, the last
    event seen of each subject)."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS handled_events (id TEXT PRIMARY KEY, type TEXT, subject TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS last_event (subject TEXT PRIMARY KEY, type TEXT, time TEXT)")
    return db


def handle(db: sqlite3.Connection, event: dict) -> bool:
    """Apply one event once; False if its id was handled before (a redelivery or a replay)."""
    with db:  # one transaction: the effect and the id commit together, or neither does
        try:
            db.execute("INSERT INTO handled_events VALUES (?, ?, ?)", (event["id"], event["type"], event["subject"]))
        except sqlite3.IntegrityError:
            return False
        db.execute(
            "INSERT OR REPLACE INTO last_event VALUES (?, ?, ?)", (event["subject"], event["type"], event["time"])
        )
    return True


def report(record, event: dict | None, duplicate: bool) -> None:
    line = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "duplicate": duplicate,
        **(
            {k: event.get(k) for k in ("id", "type", "subject")}
            if event
            else {"malformed": record.value[:80].decode(errors="replace")}
        ),
    }
    print(json.dumps(line), flush=True)


def consume(db: sqlite3.Connection, record) -> None:
    try:
        event = json.loads(record.value)  # CloudEvents structured mode: the whole envelope
    except ValueError:
        report(record, None, False)  # not ours to repair: note it and move on
        return
    report(record, event, not handle(db, event))


def finished(args: argparse.Namespace, read: int, last_seen: float | None) -> bool:
    if args.max_events is not None and read >= args.max_events:
        return True
    return args.until_idle is not None and last_seen is not None and time.monotonic() - last_seen >= args.until_idle


async def run(args: argparse.Namespace) -> int:
    db = open_state(args.state)
    consumer = AIOKafkaConsumer(
        *args.topic,
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        **security_from_environment(),
        auto_offset_reset="earliest",  # a new group starts from the first event
        enable_auto_commit=False,  # commit only what was handled
        # A short session: Tansu (Entitle's embedded broker) holds a new group's first join
        # for about half of it. Any value the cluster allows works against Apache Kafka.
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    await consumer.start()
    read, last_seen = 0, None
    try:
        while not finished(args, read, last_seen):
            batch = await consumer.getmany(timeout_ms=500, max_records=100)
            records = [r for partition_records in batch.values() for r in partition_records]
            if args.max_events is not None:
                records = records[: args.max_events - read]
            done: dict[TopicPartition, int] = {}
            for record in records:
                consume(db, record)
                done[TopicPartition(record.topic, record.partition)] = record.offset + 1
            if done:
                await consumer.commit(done)  # per partition, the next offset to read
            read += len(records)
            if records or (last_seen is None and consumer.assignment()):
                last_seen = time.monotonic()  # idle time counts from the assignment on
    finally:
        await consumer.stop()
        db.close()
    print(f"read {read} record(s)", file=sys.stderr)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--group", default="downstream-example", help="your consumer group")
    parser.add_argument("--topic", action="append", help=f"repeat for more; default {' '.join(PUBLIC_TOPICS)}")
    parser.add_argument("--state", default="downstream-example.sqlite", help="the consumer's own database")
    parser.add_argument("--max-events", type=int, help="stop after reading this many")
    parser.add_argument("--until-idle", type=float, help="stop after this many seconds without an event")
    args = parser.parse_args()
    args.topic = args.topic or PUBLIC_TOPICS
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
