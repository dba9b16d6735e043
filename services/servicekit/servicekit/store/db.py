"""Async SQLAlchemy: one engine per service, SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from servicekit.store.tables import KIT_VERSION_TABLE, SERVICE_VERSION_TABLE, kit_metadata


class Database:
    def __init__(self, url: str, schema: str, metadatas: tuple[MetaData, ...]) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.schema = re.sub(r"[^a-z0-9_]", "_", schema.lower())
        self._metadatas = (kit_metadata, *metadatas)
        self.engine = self._create_engine()
        self._reader: AsyncEngine | None = None

    def _create_engine(self) -> AsyncEngine:
        if self.is_sqlite:
            if self.url.database and self.url.database != ":memory:":
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            # One connection per process: SQLite lets one writer in at a time anyway, and
            # writers of one process that contend for the file lock wait in SQLite's busy
            # handler, which sleeps in steps of up to 100 ms. Queuing for the one connection
            # in the event loop instead cut the wait to the time the holder needs (a profile
            # showed seats' SQLite threads spending their time in usleep). Code must not
            # hold a connection while it asks for a second one.
            engine = create_async_engine(
                self.url, connect_args={"timeout": 30}, pool_size=1, max_overflow=0, pool_timeout=60
            )
            _serialize_sqlite_writers(engine)
            return engine
        return create_async_engine(
            self.url,
            pool_size=10,
            pool_pre_ping=True,
            connect_args={"server_settings": {"search_path": self.schema}},
        )

    @property
    def service_metadata(self) -> tuple[MetaData, ...]:
        """The service's own tables (the kit's are in every database)."""
        return self._metadatas[1:]

    async def create_all(self) -> None:
        """Tables straight from the models, no version tables: what start-up did before migrations.
        Tests use it for a throwaway database, or to make one of those old databases."""
        async with self.engine.begin() as conn:
            if not self.is_sqlite:
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            for metadata in self._metadatas:
                await conn.run_sync(metadata.create_all)

    async def drop_schema(self) -> None:
        """Tests start from nothing: drop the service's schema (PostgreSQL) or its tables."""
        async with self.engine.begin() as conn:
            if self.is_sqlite:
                for metadata in self._metadatas:
                    await conn.run_sync(metadata.drop_all)
                for version_table in (KIT_VERSION_TABLE, SERVICE_VERSION_TABLE):
                    await conn.execute(text(f'DROP TABLE IF EXISTS "{version_table}"'))
            else:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    def connect(self) -> AsyncConnection:
        return self.engine.connect()

    async def connect_for_reading(self) -> AsyncConnection:
        """A connection for reads only, outside any transaction: no BEGIN, no COMMIT, no
        rollback when it goes back (on PostgreSQL, autocommit; on SQLite, connections of their
        own that never take the write lock, which in WAL mode read beside the writer). A
        query answered from it sees what was committed when it ran. For the hot reads (the
        access check), where BEGIN and its end were most of the cost."""
        if self.is_sqlite:
            if self.url.database in (None, "", ":memory:"):  # one database per connection: share it
                conn = await self.engine.connect().__aenter__()
                return conn
            if self._reader is None:
                self._reader = _sqlite_reader(self.url)
            return await self._reader.connect().__aenter__()
        conn = await self.engine.connect().__aenter__()
        return await conn.execution_options(isolation_level="AUTOCOMMIT")

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._reader is not None:
            await self._reader.dispose()


def _sqlite_reader(url: URL) -> AsyncEngine:
    # Nothing to roll back when a connection goes back: it never begins a transaction and cannot
    # write (query_only). The pool's default rollback was a worker-thread hop on every read.
    engine = create_async_engine(
        url,
        connect_args={"timeout": 30},
        pool_size=2,
        max_overflow=0,
        pool_timeout=60,
        pool_reset_on_return=None,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # no implicit BEGIN: each SELECT on its own
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA query_only=ON")  # a read connection can never write
        cursor.close()

    return engine


def _serialize_sqlite_writers(engine: AsyncEngine) -> None:
    """BEGIN IMMEDIATE: SQLite upgrades a read lock to a write lock without waiting, so two
    deferred transactions that both read then write fail with 'database is locked'. Taking
    the write lock up front makes them queue on busy_timeout instead."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
