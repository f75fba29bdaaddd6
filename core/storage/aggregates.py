"""The all-time statistics rows (see core.stats) and the indexed windowed queries."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from core.model import Status, Ticket
from core.stats import Key, StatRow, Vector
from core.storage.tables import STAT_COLUMNS, ticket_stats, tickets
from core.storage.tickets import ticket_from_row, upsertable_insert


@functools.cache
def _upsert(dialect_name: str) -> Any:
    """``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`` for every counter, built once per dialect."""
    stmt = upsertable_insert(dialect_name, ticket_stats)
    return stmt.on_conflict_do_update(
        index_elements=["category", "priority"],
        set_={name: ticket_stats.c[name] + stmt.excluded[name] for name in STAT_COLUMNS},
    )


class StatsStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, delta: dict[Key, Vector]) -> None:
        """Add ``delta`` to the aggregate rows; keys in sorted order so concurrent writers never deadlock."""
        stmt = _upsert(self.conn.dialect.name)
        for (category, priority), vec in sorted(delta.items()):
            values = {name: vec.get(name, 0) for name in STAT_COLUMNS}
            self.conn.execute(stmt, {"category": category, "priority": priority, **values})

    def rows(self) -> list[StatRow]:
        result = self.conn.execute(select(ticket_stats))
        return [StatRow(r.category, r.priority, {name: int(r._mapping[name]) for name in STAT_COLUMNS}) for r in result]

    def count_created_between(self, start: datetime, end: datetime) -> int:
        stmt = select(func.count()).where(tickets.c.created_at >= start, tickets.c.created_at < end)
        return int((self.conn.execute(stmt)).scalar_one())

    def count_closed_between(self, start: datetime, end: datetime) -> int:
        stmt = select(func.count()).where(tickets.c.closed_at >= start, tickets.c.closed_at < end)
        return int((self.conn.execute(stmt)).scalar_one())

    def oldest_open(self, limit: int) -> list[Ticket]:
        """Oldest tickets still waiting (Open or Pending), by creation: walks (status, created_at)."""
        found: list[Ticket] = []
        for status in (Status.OPEN, Status.PENDING):
            stmt = select(tickets).where(tickets.c.status == status.value).order_by(tickets.c.created_at).limit(limit)
            found += [ticket_from_row(r) for r in self.conn.execute(stmt)]
        return sorted(found, key=lambda t: t.created_at)[:limit]
