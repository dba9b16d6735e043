"""The two Alembic histories of a service's database: the kit's tables and the service's own.

Each has its own version table and compares only its own tables, so the kit's revisions
are written once and every service runs them, and a service's revisions never touch the
outbox or the inbox.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection

from servicekit.store.tables import KIT_VERSION_TABLE, SERVICE_VERSION_TABLE, kit_metadata

HERE = Path(__file__).parent
KIT = "servicekit"


@dataclass(frozen=True)
class History:
    """One line of revisions: where its files are, which tables it owns, where it is recorded."""

    name: str
    versions: Path
    metadata: tuple[MetaData, ...]
    version_table: str

    @property
    def table_names(self) -> set[str]:
        return {name for metadata in self.metadata for name in metadata.tables}

    def owns(self, name: str | None, type_: str, _parent_names: dict) -> bool:
        """Autogenerate's filter: a table of the other history is not missing from this one."""
        return type_ != "table" or name in self.table_names

    def config(self, connection: Connection | None, schema: str | None) -> Config:
        config = Config()
        for option, value in (
            ("script_location", str(HERE)),
            ("version_locations", str(self.versions)),
            ("path_separator", "os"),
            ("file_template", "%%(rev)s_%%(slug)s"),
        ):
            config.set_main_option(option, value)
        config.attributes.update(connection=connection, history=self, schema=schema)
        return config

    def heads(self) -> set[str]:
        return set(ScriptDirectory.from_config(self.config(None, None)).get_heads())

    def first_revision(self) -> str:
        base = ScriptDirectory.from_config(self.config(None, None)).get_base()
        if base is None:  # every history starts with the revision that creates its tables
            raise LookupError(f"the {self.name} migrations have no revision in {self.versions}")
        return base

    def current(self, connection: Connection, schema: str | None) -> set[str]:
        options = {"version_table": self.version_table, "version_table_schema": schema}
        return set(MigrationContext.configure(connection, opts=options).get_current_heads())

    def tables_present(self, connection: Connection) -> set[str]:
        return self.table_names & set(inspect(connection).get_table_names())


def kit_history() -> History:
    return History(KIT, HERE / "versions", (kit_metadata,), KIT_VERSION_TABLE)


def service_history(service: str, metadata: tuple[MetaData, ...]) -> History:
    package = Path(next(iter(importlib.import_module(service).__path__)))
    return History(service, package / "migrations" / "versions", metadata, SERVICE_VERSION_TABLE)


def histories(service: str, metadata: tuple[MetaData, ...]) -> tuple[History, ...]:
    """The kit's first: a service's revisions may rely on the kit's tables, never the reverse."""
    if service == KIT:
        return (kit_history(),)
    return kit_history(), service_history(service, metadata)
