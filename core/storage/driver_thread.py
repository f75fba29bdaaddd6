"""SQLite transactions run whole on aiosqlite's thread: one hop from the event loop per transaction.

aiosqlite runs every sqlite3 call on a thread of its own and hands the result back through a future. Through
SQLAlchemy's async adapter every statement, fetch, BEGIN and COMMIT is such a hop (plus a greenlet switch).
A transaction here is a sync function over a sync SQLAlchemy ``Connection`` (see ``core.ports.Database``), so
it is shipped to the driver's thread as one call and runs there from BEGIN to COMMIT.

The sync ``Connection`` is SQLAlchemy's pysqlite dialect over the very sqlite3 connection aiosqlite opened.
One sync engine serves all the driver connections of a database: a ``SingletonThreadPool`` keeps one
connection per thread, and each driver thread has exactly one sqlite3 connection, so statements are compiled
once and reused by every connection. (That pool's caveats — it closes connections of threads beyond its size,
and it is no asyncio pool — do not apply: its size is the fixed number of driver threads, and it is only ever
used synchronously on those threads.)

``aiosqlite.Connection._execute`` (queue a callable on the connection's thread) is aiosqlite's own seam, the
one SQLAlchemy's adapter reaches into as well, and ``_thread`` its thread (made a daemon here); the pinned
aiosqlite range keeps both and a test fails loudly if they move.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import SingletonThreadPool

from core.storage.engine import QUERY_CACHE_SIZE, configure_sqlite

T = TypeVar("T")


class DriverConnection:
    """One aiosqlite connection — its thread and its sqlite3 connection — usable as a sync ``Connection``."""

    def __init__(self, aio: aiosqlite.Connection, engine: Engine) -> None:
        self._aio = aio
        self._engine = engine
        self._conn: Connection | None = None  # checked out on the driver thread at the first call, kept
        self.busy = 0  # calls queued or running on this thread

    async def run(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` on the driver's thread with a sync ``Connection``; one hop there and back."""
        self.busy += 1
        try:
            result: T = await self._aio._execute(self._call, fn)
            return result
        finally:
            self.busy -= 1

    def _call(self, fn: Callable[[Connection], T]) -> T:
        if self._conn is None:
            self._conn = self._engine.connect()
        return fn(self._conn)

    def _release(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def close(self) -> None:
        """Give SQLAlchemy's connection back on the driver thread, then close the sqlite3 connection."""
        await self._aio._execute(self._release)
        await self._aio.close()

    def stop(self) -> None:
        """Close without awaiting (from a synchronous callback): the thread closes the connection and ends."""
        self._aio.stop()


class DriverConnections:
    """A database's driver connections: one writer and a few readers sharing one sync engine."""

    def __init__(self, writer: DriverConnection, readers: list[DriverConnection]) -> None:
        self.writer = writer
        self.readers = readers

    @classmethod
    async def open(
        cls, connect_args: Sequence[Any], connect_kwargs: dict[str, Any], *, readers: int
    ) -> DriverConnections:
        """Open ``1 + readers`` connections: ``sqlite3.connect(*connect_args, **connect_kwargs)`` each.

        Readers are ``query_only``: a read transaction that tried to write would fail instead of silently
        writing nothing.
        """
        local = threading.local()  # the sqlite3 connection of the current driver thread (the pool's creator)
        engine = create_engine(
            "sqlite+pysqlite://", creator=lambda: local.conn, poolclass=SingletonThreadPool, pool_size=readers + 1,
            query_cache_size=QUERY_CACHE_SIZE,
        )  # fmt: skip

        def connector(query_only: bool) -> Callable[[], sqlite3.Connection]:
            def connect() -> sqlite3.Connection:  # runs on the new driver thread
                conn = sqlite3.connect(*connect_args, **connect_kwargs)
                configure_sqlite(conn)
                if query_only:
                    conn.execute("PRAGMA query_only=ON")
                local.conn = conn
                return conn

            return connect

        opened: list[DriverConnection] = []
        try:
            for i in range(readers + 1):
                aio = aiosqlite.Connection(connector(query_only=i > 0), iter_chunk_size=64)
                # A database someone forgot to dispose of must not keep the process from exiting (a
                # transaction cut short by the exit is rolled back by SQLite's journal, as after a crash).
                aio._thread.daemon = True
                opened.append(DriverConnection(await aio, engine))
        except BaseException:
            for conn in opened:
                await conn.close()
            raise
        return cls(opened[0], opened[1:])

    def reader(self) -> DriverConnection:
        """The least busy reader (a long search on one does not hold up a quick lookup on another)."""
        return min(self.readers, key=lambda r: r.busy)

    async def close(self) -> None:
        for conn in (self.writer, *self.readers):
            await conn.close()

    def stop(self) -> None:
        for conn in (self.writer, *self.readers):
            conn.stop()
