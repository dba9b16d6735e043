"""The tables servicekit keeps in every service's database."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

from servicekit.store.types import UTCDateTime

kit_metadata = MetaData()
"""Tables servicekit puts in every service's database (outbox, inbox, due jobs, idempotency, ...)."""

# Alembic's records of the two migration histories in each database (servicekit.migrations).
KIT_VERSION_TABLE = "kit_alembic_version"
SERVICE_VERSION_TABLE = "alembic_version"

outbox = Table(
    "outbox",
    kit_metadata,
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
    "inbox",
    kit_metadata,
    Column("consumer_group", String(255), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("event_type", String(128), nullable=False),
    Column("processed_at", UTCDateTime, nullable=False),
)

due_jobs = Table(
    "due_jobs",
    kit_metadata,
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
    "idempotency_keys",
    kit_metadata,
    Column("scope", String(255), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Fixed-window counters of `servicekit.store.ratelimit`: one row per limit, key and window. Kept
# in the service's database, so every replica counts against the same limit.
rate_counters = Table(
    "rate_counters",
    kit_metadata,
    Column("bucket", String(255), primary_key=True),  # "<limit>:<key>"
    Column("window_start", UTCDateTime, primary_key=True),
    Column("count", Integer, nullable=False),
)
Index("rate_counters_by_window", rate_counters.c.window_start)

# Sessions identity ended (`identity.signed_out`), as every service learns of them: their
# tokens are refused here too. A row matters only until the longest token lifetime passes.
ended_sessions = Table(
    "ended_sessions",
    kit_metadata,
    Column("session_id", String(64), primary_key=True),
    Column("person_id", String(64), nullable=False),
    Column("ended_at", UTCDateTime, nullable=False),
)
Index("ended_sessions_by_time", ended_sessions.c.ended_at)
