"""Counts for operators (/metrics, /readyz, ``ticketbot doctor``): each one an aggregate row read or an
indexed range, so a scrape every few seconds costs little whatever the size of the tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, select, text
from sqlalchemy.engine import Connection

from core.storage.tables import history, outbox

CLOSINGS = text("field = 'status' AND new = 'Closed'")  # the condition of ix_history_closed_at, as written there


class OperationsStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def closings(self) -> int:
        """How many times a ticket was closed, all time (the history's status changes to Closed)."""
        stmt = select(func.count()).select_from(history).where(CLOSINGS)
        return int(self.conn.execute(stmt).scalar_one())

    def outbox_by_consumer(self, dead_before: datetime) -> dict[str, tuple[int, int]]:
        """``consumer → (undelivered, dead letters)``: a dead letter is an event still failing after it was
        written before ``dead_before`` (``TICKETBOT_OUTBOX__DEAD_AFTER`` ago)."""
        dead = func.sum(case((and_(outbox.c.created_at < dead_before, outbox.c.attempts > 0), 1), else_=0))
        stmt = select(outbox.c.consumer, func.count(), dead).group_by(outbox.c.consumer)
        return {row[0]: (int(row[1]), int(row[2] or 0)) for row in self.conn.execute(stmt)}

    def last_error(self, consumer: str) -> str | None:
        stmt = (
            select(outbox.c.last_error)
            .where(outbox.c.consumer == consumer, outbox.c.last_error.is_not(None))
            .order_by(outbox.c.id)
            .limit(1)
        )
        return self.conn.execute(stmt).scalar()
