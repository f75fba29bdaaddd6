"""Bulk import: many finished tickets with their threads, a few driver-level batch inserts per batch.

``ticketbot import`` runs inside one write transaction and calls ``insert`` once per batch of tickets. Each
table gets one ``executemany``: the statements are compiled from the tables once per dialect and fed tuples
already converted by the columns' own bind processors (the same conversion SQLAlchemy applies row by row,
without its per-row bookkeeping — at tens of thousands of rows a second that bookkeeping is most of the
cost). Ticket keys are reserved up front (SQLite: past the largest, under the write lock the transaction
holds; PostgreSQL: from the key's sequence), so the search documents need no ``RETURNING``.

What is written per ticket: the ticket as given, its messages in order, one history line saying it was
imported, its search document (public messages in the body, internal notes in the notes) and its share
of the statistics. No outbox events: an imported ticket is history, nobody is notified of it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.engine import Connection, Dialect

from core import stats
from core.model import Actor, Ticket
from core.storage.aggregates import StatsStore
from core.storage.fulltext import index_statement
from core.storage.tables import history, messages, tickets
from core.storage.tickets import ticket_values

LOOKUP_CHUNK = 500  # ids per existence query
_EXISTING = select(tickets.c.id).where(tickets.c.id.in_(bindparam("ids", expanding=True)))
_PG_KEYS = text("SELECT nextval(pg_get_serial_sequence('tickets', 'pk')) FROM generate_series(1, :n)")
_MESSAGE_COLUMNS = (
    "ticket_id", "author_platform", "author_id", "author_name", "role", "body", "internal", "attachments",
    "created_at",
)  # fmt: skip
_HISTORY_COLUMNS = ("ticket_id", "field", "old", "new", "actor_platform", "actor_id", "actor_name", "at")


class ImportedMessage(NamedTuple):
    """One message of an imported thread, in ``messages`` column order (after ``ticket_id``)."""

    author_platform: str
    author_id: str
    author_name: str
    role: str
    body: str
    internal: bool
    attachments: list[dict[str, object]]
    created_at: datetime


@dataclass(frozen=True)
class _Batch:
    """A statement compiled for one dialect, the driver's parameter order, and each parameter's converter."""

    sql: str
    order: tuple[str, ...]
    convert: tuple[Callable[[Any], Any] | None, ...]

    def rows(self, dicts: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """The driver's parameter tuples, converted column by column (``map`` runs the loop in C)."""
        columns = []
        for name, convert in zip(self.order, self.convert, strict=True):
            values = [d[name] for d in dicts]
            columns.append(values if convert is None else list(map(convert, values)))
        return list(zip(*columns, strict=True))


@functools.lru_cache(maxsize=32)
def _compiled(dialect: Dialect, what: str) -> _Batch | None:
    """``what`` (``tickets``, ``messages``, ``history``, ``search``) compiled for ``dialect``; ``None`` when the
    driver takes named parameters (then the rows go through SQLAlchemy as dicts)."""
    if what == "search":
        stmt: Any = index_statement(dialect.name)
        compiled = stmt.compile(dialect=dialect)
    else:
        table, columns = {"tickets": (tickets, _ticket_columns()), "messages": (messages, _MESSAGE_COLUMNS),
                          "history": (history, _HISTORY_COLUMNS)}[what]  # fmt: skip
        compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
    order = compiled.positiontup
    if not order:
        return None
    convert = tuple(compiled.binds[name].type.bind_processor(dialect) for name in order)
    return _Batch(str(compiled), tuple(order), convert)


@functools.cache
def _ticket_columns() -> tuple[str, ...]:
    return ("pk", *tickets.c.keys()[1:])


class ImportStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are taken already."""
        wanted = list(dict.fromkeys(ids))
        found: set[str] = set()
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            found.update(self.conn.execute(_EXISTING, {"ids": wanted[start : start + LOOKUP_CHUNK]}).scalars())
        return found

    def insert(self, batch: Sequence[tuple[Ticket, Sequence[ImportedMessage]]], *, by: Actor, at: datetime) -> None:
        """Write finished tickets (ids set and free) with their messages, in order."""
        if not batch:
            return
        pks = self._reserve_keys(len(batch))
        self._executemany("tickets", [{**ticket_values(t), "pk": pk} for pk, (t, _) in zip(pks, batch, strict=True)])
        self._executemany(
            "messages",
            [dict(zip(_MESSAGE_COLUMNS, (t.id, *m), strict=True)) for t, thread in batch for m in thread],
        )
        self._executemany(
            "history",
            [
                dict(zip(_HISTORY_COLUMNS, (t.id, "imported", None, t.status.value, by.platform, by.user_id, by.name,
                                            at), strict=True))
                for t, _ in batch
            ],
        )  # fmt: skip
        self._executemany(
            "search",
            [
                {
                    "pk": pk,
                    "subject": t.subject,
                    "body": "\n".join(m.body for m in thread if not m.internal),
                    "notes": "\n".join(m.body for m in thread if m.internal),
                }
                for pk, (t, thread) in zip(pks, batch, strict=True)
            ],
        )
        delta: dict[stats.Key, stats.Vector] = {}
        for t, _ in batch:
            for key, vec in stats.contribution(t).items():
                row = delta.setdefault(key, {})
                for name, value in vec.items():
                    row[name] = row.get(name, 0) + value
        StatsStore(self.conn).add(delta)

    def _reserve_keys(self, n: int) -> list[int]:
        if self.conn.dialect.name == "postgresql":
            return list(self.conn.execute(_PG_KEYS, {"n": n}).scalars())
        top = self.conn.execute(select(func.coalesce(func.max(tickets.c.pk), 0))).scalar_one()
        return list(range(top + 1, top + n + 1))

    def _executemany(self, what: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        batch = _compiled(self.conn.dialect, what)
        if batch is None:
            statement: Any = {"tickets": tickets.insert(), "messages": messages.insert(), "history": history.insert(),
                              "search": index_statement(self.conn.dialect.name)}[what]  # fmt: skip
            self.conn.execute(statement, rows)
        else:
            self.conn.exec_driver_sql(batch.sql, batch.rows(rows))  # type: ignore[arg-type]
