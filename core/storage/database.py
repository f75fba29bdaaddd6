"""``SqlDatabase``: the ``core.ports.Database`` port on SQLAlchemy — each transaction is one sync function.

``write(fn)`` runs ``fn(uow)`` inside a write transaction and commits when it returns; an exception rolls
back everything it did. ``read(fn)`` runs it in a read-only transaction (under WAL it never waits for
writers); ``read(fn, snapshot=True)`` makes every statement in it see one snapshot on PostgreSQL too
(figures read by several queries agree — a SQLite read transaction is one snapshot already).

On a SQLite file, a transaction is one call on the driver's thread (``core.storage.driver_thread``) and
concurrent writes are grouped (``core.storage.group_commit``): one ``BEGIN IMMEDIATE`` … ``COMMIT`` for all
the writes that arrived together, each in its own savepoint. Reads go to a few ``query_only`` connections of
their own. The connections are opened at the first use and closed with the engine (``engine.dispose()``) or
by ``dispose()``.

PostgreSQL (and an in-memory SQLite database, whose connections cannot be told apart) keeps one pooled
connection per transaction through ``AsyncConnection.run_sync``: concurrent transactions there run side by
side on the server, and its own WAL flush already groups their commits.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only

from core.storage.driver_thread import DriverConnections
from core.storage.engine import READ_ONLY, build_engine
from core.storage.group_commit import GroupCommit, Unit, run_group
from core.storage.uow import UnitOfWork

T = TypeVar("T")
READERS = 2  # read connections on SQLite: a long search on one leaves the other free


class SqlDatabase:
    def __init__(self, engine: AsyncEngine, *, readers: int = READERS, driver_thread: bool = True) -> None:
        """``driver_thread=False`` sends every transaction through SQLAlchemy's async adapter, as PostgreSQL's
        are (how SQLite's ran before; the benchmarks compare the two)."""
        self.engine = engine
        self._readers = readers
        self._connect_args = _sqlite_file_args(engine) if driver_thread else None
        self._connections: DriverConnections | None = None
        self._opening: asyncio.Task[DriverConnections] | None = None
        self.group_commit: GroupCommit | None = None
        if self._connect_args is not None:
            self.group_commit = GroupCommit(self._run_group)
            event.listen(engine.sync_engine, "engine_disposed", self._on_engine_disposed)

    @classmethod
    def from_url(cls, url: str) -> SqlDatabase:
        return cls(build_engine(url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def write(self, fn: Callable[[UnitOfWork], T]) -> T:
        if self.group_commit is None:
            async with self.engine.connect() as conn:
                return await conn.run_sync(_in_transaction, fn, False)
        result: T = await self.group_commit.submit(lambda conn: fn(UnitOfWork(conn)))
        return result

    async def read(self, fn: Callable[[UnitOfWork], T], *, snapshot: bool = False) -> T:
        if self._connect_args is None:
            async with self.engine.connect() as conn:
                options: dict[str, Any] = {READ_ONLY: True}
                if snapshot and self.dialect == "postgresql":
                    options["isolation_level"] = "REPEATABLE READ"
                conn = await conn.execution_options(**options)
                return await conn.run_sync(_in_transaction, fn, True)
        connections = await self._open()
        body = functools.partial(_read_on_driver, fn, contextvars.copy_context())
        return await connections.reader().run(body)

    async def dispose(self) -> None:
        if self._connections is not None:
            connections, self._connections = self._connections, None
            await connections.close()
        await self.engine.dispose()

    # -- SQLite's driver connections ------------------------------------------------------------------
    async def _run_group(self, units: list[Unit]) -> None:
        connections = await self._open()
        await connections.writer.run(functools.partial(run_group, units=units, begin="BEGIN IMMEDIATE"))

    async def _open(self) -> DriverConnections:
        if self._connections is not None:
            return self._connections
        loop = asyncio.get_running_loop()
        if self._opening is None or self._opening.get_loop() is not loop:
            self._opening = loop.create_task(self._open_connections())
        return await asyncio.shield(self._opening)

    async def _open_connections(self) -> DriverConnections:
        assert self._connect_args is not None
        try:
            args, kwargs = self._connect_args
            self._connections = await DriverConnections.open(args, kwargs, readers=self._readers)
            return self._connections
        finally:
            self._opening = None

    def _on_engine_disposed(self, _engine: Engine) -> None:
        """The engine's connections are closed: so are ours. ``AsyncEngine.dispose()`` runs this in SQLAlchemy's
        greenlet, which can await (as its aiosqlite adapter does to close its own connections); a sync
        ``dispose()`` elsewhere only asks the driver threads to close and end."""
        if self._connections is None:
            return
        connections, self._connections = self._connections, None
        closing = connections.close()
        try:
            await_only(closing)
        except MissingGreenlet:
            closing.close()
            connections.stop()


def _sqlite_file_args(engine: AsyncEngine) -> tuple[list[Any], dict[str, Any]] | None:
    """``sqlite3.connect`` arguments for a SQLite file behind ``engine``; ``None`` for anything else."""
    url = engine.url
    database = url.database or ""
    if engine.dialect.name != "sqlite" or database in ("", ":memory:") or database.startswith("file::memory:"):
        return None
    if url.query.get("mode") == "memory" or "mode=memory" in database:
        return None
    args, kwargs = engine.dialect.create_connect_args(url)
    return list(args), dict(kwargs)


def _read_on_driver(fn: Callable[[UnitOfWork], T], context: contextvars.Context, conn: Connection) -> T:
    tx = conn.begin()
    try:
        conn.exec_driver_sql("BEGIN")
        return context.run(fn, UnitOfWork(conn))
    finally:
        tx.rollback()


def _in_transaction(conn: Connection, fn: Callable[[UnitOfWork], T], read_only: bool) -> T:
    tx = conn.begin()
    try:
        result = fn(UnitOfWork(conn))
    except BaseException:
        tx.rollback()
        raise
    if read_only:
        tx.rollback()
    else:
        tx.commit()
    return result
