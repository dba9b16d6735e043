"""`python -m devkit.revision <service> -m "what changes"` (or `make migration`).

Writes the next revision of one history: a scratch SQLite database is upgraded to the
current head, then Alembic compares it with the tables in the code. `servicekit` as the
service writes a revision of the kit's tables, which every service then runs.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import tempfile

from alembic import command
from alembic.script import Script, ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from servicekit.migrations.histories import KIT, History, histories
from servicekit.migrations.runner import migrate
from servicekit.store.db import Database


def main(argv: list[str] | None = None) -> None:
    revision = argparse.ArgumentParser(
        prog="python -m devkit.revision", description="write the next revision of one service's tables (or the kit's)"
    )
    revision.add_argument("service", help="identity, subscriptions, seats, notifications, billing or servicekit")
    revision.add_argument("-m", "--message", required=True, help="what the revision changes")
    revision.add_argument("--empty", action="store_true", help="no autogenerate: a blank revision (data changes)")
    args = revision.parse_args(argv)
    path = asyncio.run(write_revision(args.service, args.message, autogenerate=not args.empty))
    print(f"wrote {path}\nread it through before you commit it: autogenerate misses renames and data")


async def write_revision(service: str, message: str, autogenerate: bool = True) -> str:
    chain = histories(service, _tables_of(service))
    chain[-1].versions.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite+aiosqlite:///{scratch}/scratch.db", service, ())
        try:
            await migrate(db, chain)
            async with db.engine.begin() as conn:
                return await conn.run_sync(_revise, chain[-1], message, autogenerate)
        finally:
            await db.dispose()


def _tables_of(service: str) -> tuple[MetaData, ...]:
    return () if service == KIT else (importlib.import_module(f"{service}.app").metadata,)


def _revise(connection: Connection, history: History, message: str, autogenerate: bool) -> str:
    config = history.config(connection, None)
    script = command.revision(
        config, message=message, autogenerate=autogenerate, rev_id=_next_id(ScriptDirectory.from_config(config))
    )
    if not isinstance(script, Script):  # a list or None only with several directives or --sql, neither asked
        raise RuntimeError(f"alembic wrote no single revision ({script!r})")
    return script.path


def _next_id(scripts: ScriptDirectory) -> str:
    """Numbered revisions (0001, 0002, ...) read in order in the versions folder."""
    return f"{max((int(s.revision) for s in scripts.walk_revisions()), default=0) + 1:04d}"


if __name__ == "__main__":
    main()
