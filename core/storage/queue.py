"""The outbox: events waiting for delivery, one row per (event, consumer).

Rows are written in the transaction that made the change, so a crash can only delay a notification.
A dispatcher claims due rows by pushing their ``available_at`` into the future (PostgreSQL: under
``FOR UPDATE SKIP LOCKED``, so replicas never take the same row); a delivered row is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from core.events import Event
from core.storage.tables import outbox

_INSERT = outbox.insert()  # built once: SQLAlchemy finds its compiled form without rebuilding it


@dataclass(frozen=True)
class OutboxRow:
    id: int
    consumer: str
    event: str
    ticket_id: str
    payload: dict[str, Any]
    attempts: int


class OutboxStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, events: Sequence[Event], consumers: Sequence[str], at: datetime) -> None:
        rows = [
            {
                "consumer": consumer,
                "event": ev.name,
                "ticket_id": ev.ticket_id,
                "payload": ev.to_dict(),
                "created_at": at,
                "available_at": at,
                "attempts": 0,
            }
            for ev in events
            for consumer in dict.fromkeys(consumers)  # a consumer listed twice still gets each event once
        ]
        if rows:
            self.conn.execute(_INSERT, rows)

    def claim(self, consumer: str, now: datetime, lease: timedelta, limit: int) -> list[OutboxRow]:
        earlier = outbox.alias("earlier")
        blocked = (
            select(earlier.c.id)
            .where(
                earlier.c.consumer == outbox.c.consumer,
                earlier.c.ticket_id == outbox.c.ticket_id,
                earlier.c.id < outbox.c.id,
            )
            .exists()
        )
        stmt = (  # a ticket's events go out in order: a row waits while an earlier one is undelivered
            select(outbox)
            .where(outbox.c.consumer == consumer, outbox.c.available_at <= now, ~blocked)
            .order_by(outbox.c.id)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(self.conn.execute(stmt))
        if not rows:
            return []
        ids = [r.id for r in rows]
        self.conn.execute(update(outbox).where(outbox.c.id.in_(ids)).values(available_at=now + lease))
        return [OutboxRow(r.id, r.consumer, r.event, r.ticket_id, r.payload, r.attempts) for r in rows]

    def done(self, row_id: int) -> None:
        self.conn.execute(delete(outbox).where(outbox.c.id == row_id))

    def release(self, row_ids: Sequence[int], at: datetime) -> None:
        """Give claimed rows back untried (their ticket's earlier event is not delivered yet)."""
        self.conn.execute(update(outbox).where(outbox.c.id.in_(list(row_ids))).values(available_at=at))

    def retry(self, row_id: int, at: datetime, error: str) -> None:
        self.conn.execute(
            update(outbox)
            .where(outbox.c.id == row_id)
            .values(available_at=at, attempts=outbox.c.attempts + 1, last_error=error[:2000])
        )

    def discard(self, consumer: str) -> None:
        """Drop a consumer's undelivered rows (a console session's notifications outlive it for nobody)."""
        self.conn.execute(delete(outbox).where(outbox.c.consumer == consumer))

    def pending(self, consumer: str | None = None) -> int:
        stmt = select(func.count()).select_from(outbox)
        if consumer:
            stmt = stmt.where(outbox.c.consumer == consumer)
        return int((self.conn.execute(stmt)).scalar_one())
