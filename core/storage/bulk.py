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
from typing import Any

from sqlalchemy import JSON, bindparam, func, select, text
from sqlalchemy.engine import Connection, Dialect

from core import stats
from core.model import Actor, Ticket
from core.storage.aggregates import StatsStore
from core.storage.fulltext import index_statement
from core.storage.imported import ImportedMessage
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


@dataclass(frozen=True)
class _Batch:
    """A statement compiled for one dialect, and how to turn rows (tuples in ``columns`` order) into the
    driver's parameters: which column goes where, through which converter."""

    sql: str
    picks: tuple[int, ...]
    convert: tuple[Callable[[Any], Any] | None, ...]

    def rows(self, given: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Converted column by column: ``zip`` and ``map`` run the loops in C."""
        by_column = list(zip(*given, strict=True))
        out = [
            by_column[i] if convert is None else list(map(convert, by_column[i]))
            for i, convert in zip(self.picks, self.convert, strict=True)
        ]
        return list(zip(*out, strict=True))


_SEARCH_COLUMNS = ("pk", "subject", "body", "notes")


@functools.lru_cache(maxsize=32)
def _compiled(dialect: Dialect, what: str, columns: tuple[str, ...]) -> _Batch | None:
    """The insert into ``what`` (a table, or ``search``) of rows given as ``columns``, compiled for
    ``dialect``; ``None`` when the driver takes named parameters (the rows then go through SQLAlchemy)."""
    if what == "search":
        compiled = index_statement(dialect.name).compile(dialect=dialect)
    else:
        table = {"tickets": tickets, "messages": messages, "history": history}[what]
        compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
    order = compiled.positiontup
    if not order:
        return None
    convert = tuple(_fast(compiled.binds[name].type, dialect) for name in order)
    return _Batch(str(compiled), tuple(columns.index(name) for name in order), convert)


def _fast(kind: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column's own converter; for JSON, one that serialises an empty value once (most attachment lists)."""
    convert = kind.bind_processor(dialect)
    if convert is None or not isinstance(kind, JSON):
        return convert  # type: ignore[no-any-return]
    empty = convert([])
    return lambda value: empty if value == [] else convert(value)


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
        pairs = list(zip(pks, batch, strict=True))
        values = [ticket_values(t) for t, _ in batch]
        ticket_columns = ("pk", *values[0])
        self._executemany("tickets", ticket_columns, [(pk, *v.values()) for pk, v in zip(pks, values, strict=True)])
        self._executemany("messages", _MESSAGE_COLUMNS, [(t.id, *m) for t, thread in batch for m in thread])
        self._executemany(
            "history", _HISTORY_COLUMNS,
            [(t.id, "imported", None, t.status.value, by.platform, by.user_id, by.name, at) for t, _ in batch],
        )  # fmt: skip
        self._executemany(
            "search",
            _SEARCH_COLUMNS,
            [
                (
                    pk,
                    t.subject,
                    "\n".join(m.body for m in thread if not m.internal),
                    "\n".join(m.body for m in thread if m.internal),
                )
                for pk, (t, thread) in pairs
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

    def _executemany(self, what: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        batch = _compiled(self.conn.dialect, what, columns)
        if batch is not None:
            self.conn.exec_driver_sql(batch.sql, batch.rows(rows))  # type: ignore[arg-type]
            return
        statement: Any = {"tickets": tickets.insert(), "messages": messages.insert(), "history": history.insert(),
                          "search": index_statement(self.conn.dialect.name)}[what]  # fmt: skip
        self.conn.execute(statement, [dict(zip(columns, row, strict=True)) for row in rows])
