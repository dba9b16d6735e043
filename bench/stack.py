"""The stack under measurement, and what its processes cost (from /proc, Linux only)."""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from devkit.devstack import HTTP_PARTS, DevStack, StackConfig

TICKS = os.sysconf("SC_CLK_TCK")
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def start_stack(backend: str, var_dir: Path) -> DevStack:
    """Five services on the system clock, the embedded broker and the SMTP sink, on free ports."""
    extra = {}
    if backend == "postgresql":
        extra = {
            "database_url": os.environ.get("DATABASE_URL", PG_URL),
            "schema_prefix": f"bench{uuid.uuid4().hex[:6]}_",
        }
    # On the system clock a service refuses the public default secret and the development
    # signing key: fresh ones per run.
    env = {
        "LOG_LEVEL": "WARNING",
        "TOKEN_SECRET": secrets.token_urlsafe(48),
        "SEATS_ENTITLEMENT_KEYS": f"bench:{secrets.token_urlsafe(32)}",
        "OPERATOR_TOKEN": secrets.token_urlsafe(32),  # the licensing part registers a product client
        # Billing refuses to name its packaged demo sellers on the system clock unless told to.
        "BILLING_SELLERS_FILE": str(resources.files("billing.adapters").joinpath("demo_sellers.toml")),
    }
    config = StackConfig.isolated(var_dir, extra_env=env, **extra)
    return DevStack(config).start()


@dataclass(frozen=True)
class ProcessCost:
    cpu_seconds: float
    peak_rss_mb: float


def process_cost(pid: int) -> ProcessCost:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
    peak_kb = next(
        int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmHWM:")
    )
    return ProcessCost(cpu, peak_kb / 1024)


def costs(stack: DevStack) -> dict[str, ProcessCost]:
    """Every part of the stack, and the bench itself: it shares the same cores."""
    found = {name: process_cost(p.pid) for name, p in stack.processes.items() if p.poll() is None}
    found["load generator"] = process_cost(os.getpid())
    return found


def cpu_used(before: dict[str, ProcessCost], after: dict[str, ProcessCost]) -> dict[str, float]:
    return {name: after[name].cpu_seconds - before[name].cpu_seconds for name in after if name in before}


def drop_postgres_schemas(stack: DevStack) -> None:
    import asyncio

    from servicekit.settings import ServiceSettings
    from servicekit.store.db import Database

    config = stack.config
    if not config.database_url:
        return

    async def drop() -> None:
        for service in HTTP_PARTS:  # the portal has a schema of its own too
            url = ServiceSettings(database_url=config.database_url).resolved_database_url()
            db = Database(url, f"{config.schema_prefix}{service}", ())
            await db.drop_schema()
            await db.dispose()

    asyncio.run(drop())
