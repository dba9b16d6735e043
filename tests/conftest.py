"""System tests: every service its own process, the embedded broker, a real SMTP server.

The stack runs once per database backend: SQLite always, and PostgreSQL when one answers on
127.0.0.1:5432 or `DATABASE_URL` names one (required under CI: see `devkit.testsupport`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devkit.client import EntitleClient
from devkit.devstack import HTTP_PARTS, QUICK_TEST_ENV, SERVICES, DevStack, StackConfig
from devkit.testsupport import BACKENDS, require_postgres
from servicekit.clock import SharedTestClock

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items) -> None:
    """`make test` runs pytest-xdist with `--dist loadgroup`: every test of one backend goes to
    the same worker, which starts that backend's stack once, so both stacks run side by side.
    First: xdist reads the marks in its own hook of the same name, and a mark added after it
    was ignored, so each worker started both stacks."""
    for item in items:
        if (backend := _backend_of(item)) is not None:
            item.add_marker(pytest.mark.xdist_group(f"stack-{backend}"))


def _backend_of(item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("stack") if callspec is not None else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Stop a backend's stack as soon as the worker moves on to tests that do not use it,
    rather than at the end of the session: an idle stack costs about a quarter of a core
    (the broker answering long polls, each service polling), which the other worker's
    tests and stacks need on a 2-core machine. A later test of the same backend would start
    it again. Only at a module boundary: a module-scoped fixture may still hold the stack."""
    result = yield
    other_module = getattr(nextitem, "module", None) is not getattr(item, "module", None)
    moving_on = nextitem is not None and _backend_of(nextitem) is None and other_module
    if _backend_of(item) is not None and moving_on:
        # pytest's own fixture teardown, as at the end of the session (no public call
        # finishes one fixture early; this is what a change of its parameter does).
        item._fixtureinfo.name2fixturedefs["stack"][-1].finish(item._request)
    return result


@pytest.fixture(scope="session", params=BACKENDS)
def stack(request, tmp_path_factory) -> DevStack:
    var_dir: Path = tmp_path_factory.mktemp(f"stack-{request.param}")
    clock_file = var_dir / "clock.json"
    SharedTestClock(clock_file).set_frozen(START)
    extra = {}
    if request.param == "postgresql":
        extra = {"database_url": require_postgres(), "schema_prefix": f"t{uuid.uuid4().hex[:8]}_"}
    config = StackConfig.isolated(var_dir, clock_file=clock_file, extra_env=QUICK_TEST_ENV, **extra)
    stack = DevStack(config).start()
    yield stack
    stack.stop()
    if request.param == "postgresql":
        _drop_schemas(config)


def _drop_schemas(config: StackConfig) -> None:
    import asyncio

    from servicekit.settings import ServiceSettings
    from servicekit.store.db import Database

    async def drop() -> None:
        for service in HTTP_PARTS:  # the portal keeps its sessions in a schema of its own too
            settings = ServiceSettings(database_url=config.database_url)
            db = Database(settings.resolved_database_url(), f"{config.schema_prefix}{service}", ())
            await db.drop_schema()
            await db.dispose()

    asyncio.run(drop())


@pytest.fixture
def api(stack) -> EntitleClient:
    return EntitleClient({s: stack.config.url(s) for s in SERVICES})


@pytest.fixture
def customer(api) -> EntitleClient:
    return api.new_customer()
