"""Building the async engine: SQLite pragmas and write locking, PostgreSQL as is.

Nothing here runs at import time; bootstrap builds one engine and disposes of it on shutdown.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

READ_ONLY = "ticketbot_read_only"
BUSY_TIMEOUT_MS = 30_000  # a writer waits this long for another process's write lock
# Compiled statements SQLAlchemy keeps per engine (its default is 500). A search statement compiled for one
# query shape (how many words, which filters) holds ~100 KiB, so 500 varied searches would pin ~50 MiB; the
# writes and reads of a desk are a few dozen shapes, and a rare search shape compiles again in ~1 ms.
QUERY_CACHE_SIZE = 100


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def build_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the engine for ``url``.

    On SQLite every write transaction starts with ``BEGIN IMMEDIATE``: writers queue on the database lock
    (``busy_timeout``) instead of failing half-way with "database is locked", so concurrent changes to one
    ticket are serialised. Transactions opened with the ``ticketbot_read_only`` execution option use a plain
    ``BEGIN`` and, under WAL, never wait for writers.
    """
    kwargs.setdefault("query_cache_size", QUERY_CACHE_SIZE)
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(url, **kwargs)

    engine = create_async_engine(url, **kwargs)
    in_memory = ":memory:" in url or url.rstrip("/").endswith("sqlite+aiosqlite:")

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        configure_sqlite(dbapi_connection, in_memory=in_memory)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def configure_sqlite(dbapi_connection: Any, *, in_memory: bool = False) -> None:
    """What every SQLite connection gets (the engine's pool and ``core.storage.driver_thread`` alike)."""
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    if not in_memory:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
