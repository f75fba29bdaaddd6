"""``SqlDatabase``: the ``core.ports.Database`` port on SQLAlchemy — each transaction is one sync function.

``write(fn)`` runs ``fn(uow)`` inside one write transaction (``BEGIN IMMEDIATE`` on SQLite, see engine.py) and
commits when it returns; any exception rolls everything back. ``read(fn)`` runs it in a read-only transaction
(under WAL it never waits for writers); ``read(fn, snapshot=True)`` makes every statement in it see the same
snapshot on PostgreSQL too (figures read by several queries agree). Today both go through
``AsyncConnection.run_sync``; because the body never awaits, a driver can run it whole in one call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from core.storage.engine import READ_ONLY, build_engine
from core.storage.uow import UnitOfWork

T = TypeVar("T")


class SqlDatabase:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> SqlDatabase:
        return cls(build_engine(url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def write(self, fn: Callable[[UnitOfWork], T]) -> T:
        async with self.engine.connect() as conn:
            return await conn.run_sync(_in_transaction, fn, False)

    async def read(self, fn: Callable[[UnitOfWork], T], *, snapshot: bool = False) -> T:
        async with self.engine.connect() as conn:
            options: dict[str, Any] = {READ_ONLY: True}
            if snapshot and self.dialect == "postgresql":  # SQLite's read transaction is one snapshot already
                options["isolation_level"] = "REPEATABLE READ"
            conn = await conn.execution_options(**options)
            return await conn.run_sync(_in_transaction, fn, True)

    async def dispose(self) -> None:
        await self.engine.dispose()


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
