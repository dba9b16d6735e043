"""The tables servicekit keeps in every service's database."""
from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table, Text

from servicekit.db import UTCDateTime, kit_metadata

outbox = Table(
    "outbox", kit_metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("event_type", String(128), nullable=False),
    Column("topic", String(255), nullable=False),
    Column("key", String(255), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime, nullable=True),
)
# The relay asks "what is not yet published, oldest first" many times a second.
Index("outbox_unpublished", outbox.c.published_at, outbox.c.seq)
# Rebuilding a lost topic reads the outbox history of one topic in seq order.
Index("outbox_by_topic", outbox.c.topic, outbox.c.seq)

inbox = Table(
    "inbox", kit_metadata,
    Column("consumer_group", String(255), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("event_type", String(128), nullable=False),
    Column("processed_at", UTCDateTime, nullable=False),
)

due_jobs = Table(
    "due_jobs", kit_metadata,
    Column("job_id", String(128), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("payload", Text, nullable=False),
    Column("correlation_id", String(64), nullable=True),
    Column("done_at", UTCDateTime, nullable=True),
)
Index("due_jobs_pending", due_jobs.c.done_at, due_jobs.c.due_at)

idempotency_keys = Table(
    "idempotency_keys", kit_metadata,
    Column("scope", String(255), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
