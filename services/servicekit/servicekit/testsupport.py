"""What the test suites of every service share: the local PostgreSQL, when one answers.

Tests run on SQLite always, and on PostgreSQL when it listens on 127.0.0.1:5432 (trust
auth, database `test`) or `DATABASE_URL` names one. Each test uses a schema of its own.
"""
from __future__ import annotations

import os
import socket
import uuid

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def postgres_answers() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 5432)) == 0


def postgres_url() -> str | None:
    """The PostgreSQL the tests may use, or None."""
    if url := os.environ.get("DATABASE_URL"):
        return url
    return POSTGRES_URL if postgres_answers() else None


def backends() -> list[str]:
    return ["sqlite"] + (["postgresql"] if postgres_answers() else [])


def fresh_schema(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"
