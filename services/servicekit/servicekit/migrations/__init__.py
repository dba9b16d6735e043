"""Schema migrations with Alembic: two histories per service database (see `histories`).

`Database.migrate()` runs them at start-up or from `python -m <service> migrate`;
`python -m devkit.revision <service> -m "..."` writes the next revision.
"""
from servicekit.migrations.histories import History, histories
from servicekit.migrations.runner import SchemaNotReady, differences, migrate

__all__ = ["History", "SchemaNotReady", "differences", "histories", "migrate"]
