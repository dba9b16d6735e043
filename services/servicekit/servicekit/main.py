"""`python -m <service>` serves; `python -m <service> migrate` upgrades its database and exits."""

from __future__ import annotations

import argparse
import asyncio
import logging

from servicekit.logs import configure_logging, serve
from servicekit.migrations import migrate_database
from servicekit.migrations.runner import SchemaNotReady
from servicekit.runtime import ServiceRuntime, UnsafeConfiguration


def serve_or_migrate(runtime: ServiceRuntime, argv: list[str] | None = None) -> None:
    args = _parser(runtime.name).parse_args(argv)
    if args.command != "migrate":
        try:  # said in one line before anything listens, rather than as a failed start-up
            runtime.refuse_unsafe_configuration()
        except UnsafeConfiguration as refused:
            raise SystemExit(str(refused)) from None
        if runtime.app is None:  # service_app(runtime, ...) makes it
            raise SystemExit(f"{runtime.name}: the runtime has no HTTP app (servicekit.app.service_app)")
        serve(runtime.app, runtime.settings)
        return
    configure_logging(runtime.name, runtime.settings.log_level, runtime.settings.log_format)
    logging.getLogger("alembic").setLevel(logging.INFO)  # one line per revision applied
    try:
        asyncio.run(_migrate(runtime, adopt=args.adopt))
    except SchemaNotReady as refused:
        raise SystemExit(f"{runtime.name}: {refused}") from None


async def _migrate(runtime: ServiceRuntime, adopt: bool) -> None:
    try:
        await migrate_database(runtime.db, runtime.name, adopt=adopt)
        logging.getLogger("servicekit.migrations").info("the database is at the code's revisions")
    finally:
        await runtime.db.dispose()


def _parser(service: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m {service}", description=f"Without a command: run the {service} service."
    )
    migrate = parser.add_subparsers(dest="command").add_parser(
        "migrate", help="bring the database to the code's revisions, then exit"
    )
    migrate.add_argument(
        "--adopt",
        action="store_true",
        help="take over a database created before migrations: record it at the first "
        "revision, upgrade it, and roll back unless it then matches the code",
    )
    return parser
