"""Fixtures every package's tests share, loaded by pytest wherever the dev kit is installed
(the `pytest11` entry point): a database on each backend, the kit's tables migrated, an
embedded broker, and PostgreSQL required or skipped as `devkit.testsupport` decides.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import MetaData

from devkit.testsupport import BACKENDS, SKIPPED_WITHOUT_POSTGRES, require_postgres
from servicekit.migrations import migrate_database
from servicekit.store.db import Database


@pytest.fixture
def postgres() -> str:
    """The URL of the local PostgreSQL: a test (or module, `usefixtures("postgres")`) that
    needs it is skipped without one, or fails where PostgreSQL is required."""
    return require_postgres()


@pytest.fixture(params=BACKENDS)
def database_target(request: pytest.FixtureRequest, tmp_path) -> tuple[str, str]:
    """(URL, schema) of an empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/kit.db", "kit"
    return require_postgres(), f"kit_{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def db(database_target: tuple[str, str]) -> AsyncIterator[Database]:
    """The kit's tables alone (outbox, inbox, due jobs, ...), migrated, on each backend."""
    url, schema = database_target
    database = Database(url, schema, (MetaData(),))
    await migrate_database(database, "servicekit")
    yield database
    await database.drop_schema()
    await database.dispose()


@pytest.fixture(scope="module")
def bootstrap() -> Iterator[str]:
    """An embedded broker (Tansu) of the module's own, in memory."""
    from devkit.devstack import embedded_broker_command, free_port, wait_for_port

    port = free_port()
    broker = subprocess.Popen(
        embedded_broker_command(port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port)
        yield f"127.0.0.1:{port}"
    finally:
        broker.terminate()
        broker.wait(10)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """A local run without PostgreSQL says, in one line, how much it did not test."""
    skipped = [
        r
        for r in terminalreporter.stats.get("skipped", [])
        if SKIPPED_WITHOUT_POSTGRES in str(getattr(r, "longrepr", ""))
    ]
    if skipped:
        terminalreporter.write_line(
            f"PostgreSQL: {len(skipped)} tests skipped, {SKIPPED_WITHOUT_POSTGRES}.", yellow=True
        )
