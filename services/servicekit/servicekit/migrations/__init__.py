"""Schema migrations with Alembic: two histories per service database (see `histories`).

`migrate_database(db, service)` runs them at start-up (`ServiceRuntime.start`) or from
`python -m <service> migrate`; `python -m devkit.revision <service> -m "..."` writes the
next revision.
"""

from servicekit.migrations.histories import History, histories
from servicekit.migrations.runner import SchemaNotReady, differences, migrate
from servicekit.store.db import Database

__all__ = ["History", "SchemaNotReady", "differences", "histories", "migrate", "migrate_database"]


async def migrate_database(db: Database, service: str, *, check_only: bool = False, adopt: bool = False) -> None:
    """The kit's revisions then the service's, to head. With `check_only`, change nothing and
    raise SchemaNotReady unless the schema is at head."""
    await migrate(db, histories(service, db.service_metadata), check_only=check_only, adopt=adopt)
