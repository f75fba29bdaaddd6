"""Group commit: writes that arrive together share one transaction and one commit, each still all or nothing.

A small write costs little next to its transaction: BEGIN, COMMIT (SQLite: the WAL append and the write lock
handed over) and the hop to the driver's thread. Writes that arrive while a transaction is running wait for
it and then go together: one BEGIN, each unit of work inside its own SAVEPOINT, one COMMIT. A unit that
raises is rolled back to its savepoint — alone — and its caller gets the exception; the others commit. A
lone writer never waits for company: it runs at once, without a savepoint.

The semantics are those of committing one by one: the units of a group run one after another in arrival
order, each seeing the ones before it. A caller gets its result only after the COMMIT, so a success is
durable; if the COMMIT itself fails, every unit of the group gets that error (none of them committed). A
caller cancelled while its group runs is not undone: its unit commits with the others.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

MAX_GROUP = 64  # units per transaction: bounds how long one group holds the write lock


@dataclass(eq=False)
class Unit:
    """One caller's transaction body, and what came of it (set on the driver's thread)."""

    fn: Callable[[Connection], Any]
    context: contextvars.Context = field(default_factory=contextvars.copy_context)  # the caller's (logging)
    value: Any = None
    error: Exception | None = None

    def run(self, conn: Connection) -> None:
        try:
            self.value = self.context.run(self.fn, conn)
        except Exception as exc:
            self.error = exc


def run_group(conn: Connection, units: Sequence[Unit], begin: str | None) -> None:
    """Run ``units`` in one transaction on ``conn`` (sync, one call); ``begin`` is the SQL that opens it
    (``BEGIN IMMEDIATE`` on SQLite; ``None`` where the driver begins by itself)."""
    tx = conn.begin()
    try:
        if begin:
            conn.exec_driver_sql(begin)
        if len(units) == 1:
            units[0].run(conn)
            if units[0].error is not None:
                tx.rollback()
                return
        else:
            for unit in units:
                savepoint = conn.begin_nested()
                unit.run(conn)
                if unit.error is None:
                    savepoint.commit()
                else:
                    savepoint.rollback()
        tx.commit()
    except BaseException:
        if tx.is_active:
            tx.rollback()
        raise


class GroupCommit:
    """Queues units of work and runs them in groups, one group at a time.

    ``run(units)`` runs one group in one transaction (e.g. ``run_group`` on the driver's thread) and sets
    each unit's value or error. ``groups`` and ``units`` count the transactions run and the units in them.
    """

    def __init__(self, run: Callable[[list[Unit]], Awaitable[None]], *, max_group: int = MAX_GROUP) -> None:
        self._run = run
        self._max_group = max_group
        self._waiting: list[tuple[Unit, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.groups = 0
        self.units = 0

    async def submit(self, fn: Callable[[Connection], Any]) -> Any:
        """Run ``fn`` in the next group; its result once the group has committed, or its exception."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting.append((Unit(fn), future))
        if self._flusher is None or self._flusher.done() or self._flusher.get_loop() is not loop:
            self._flusher = loop.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._waiting:
            taken, self._waiting = self._waiting[: self._max_group], self._waiting[self._max_group :]
            group = [(unit, future) for unit, future in taken if not future.cancelled()]
            if not group:
                continue
            try:
                await self._run([unit for unit, _ in group])
            except asyncio.CancelledError:  # the loop is shutting down: nobody learns an outcome
                for _, future in group + self._waiting:
                    future.cancel()
                self._waiting = []
                raise
            except Exception as exc:  # the transaction failed as a whole: no unit of it committed
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.groups += 1
            self.units += len(group)
            for unit, future in group:
                if future.done():  # its caller was cancelled meanwhile
                    continue
                if unit.error is None:
                    future.set_result(unit.value)
                else:
                    future.set_exception(unit.error)
