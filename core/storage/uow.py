"""The unit of work: one connection, one transaction, the stores that work inside it."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from core.storage.aggregates import StatsStore
from core.storage.engine import READ_ONLY
from core.storage.fulltext import SearchStore
from core.storage.queue import OutboxStore
from core.storage.tickets import TicketStore


class UnitOfWork:
    """``async with UnitOfWork(engine) as uow:`` — commits on success, rolls back on any exception."""

    tickets: TicketStore
    stats: StatsStore
    search: SearchStore
    outbox: OutboxStore

    def __init__(self, engine: AsyncEngine, *, read_only: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None

    async def __aenter__(self) -> UnitOfWork:
        conn = await self._engine.connect()
        try:
            if self._read_only:
                conn = await conn.execution_options(**{READ_ONLY: True})
            self._tx = await conn.begin()
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        self.tickets = TicketStore(conn)
        self.stats = StatsStore(conn)
        self.search = SearchStore(conn)
        self.outbox = OutboxStore(conn)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._conn is not None and self._tx is not None
        try:
            if exc_type is None and not self._read_only:
                await self._tx.commit()
            else:
                await self._tx.rollback()
        finally:
            await self._conn.close()
