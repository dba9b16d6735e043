"""Alembic's entry point for every history (the kit's and each service's).

`servicekit.migrations.histories` builds the Config in code and hands over, in its
attributes, the open connection, the history (tables, version table) and the schema.
"""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.types import TypeDecorator

config = context.config
history = config.attributes["history"]


def render_item(type_: str, obj: Any, _autogen_context: AutogenContext) -> str | Literal[False]:
    """Write a column's database type (`sa.DateTime()`), not its Python wrapper
    (`UTCDateTime`): a revision must not import the models that later change under it."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


context.configure(
    connection=config.attributes["connection"],
    target_metadata=list(history.metadata),
    version_table=history.version_table,
    version_table_schema=config.attributes["schema"],
    include_name=history.owns,
    render_as_batch=True,  # SQLite alters a table by copying it; batch mode does that for us
    render_item=render_item,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
