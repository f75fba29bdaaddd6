"""The outbox: events waiting for delivery, one row per (event, consumer).

Rows are written in the transaction that made the change, so a crash can only delay a notification.
A dispatcher claims due rows by pushing their ``available_at`` into the future (PostgreSQL: under
``FOR UPDATE SKIP LOCKED``, so replicas never take the same row); a delivered row is deleted. A row that kept
failing is kept as a dead letter (``dead_at``): never claimed, and no longer holding back its ticket's later
events, until an operator puts it back (``revive``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from core.events import Event
from core.storage.tables import LIVE, outbox

_INSERT = outbox.insert()  # built once: SQLAlchemy finds its compiled form without rebuilding it


@dataclass(frozen=True)
class OutboxRow:
    id: int
    consumer: str
    event: str
    ticket_id: str
    payload: dict[str, Any]
    attempts: int
    first_failed_at: datetime | None = None
    created_at: datetime | None = None
    available_at: datetime | None = None
    last_error: str | None = None
    dead_at: datetime | None = None


def _row(r: Any) -> OutboxRow:
    return OutboxRow(
        r.id, r.consumer, r.event, r.ticket_id, r.payload, r.attempts, r.first_failed_at, r.created_at,
        r.available_at, r.last_error, r.dead_at,
    )  # fmt: skip


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
        first_live = (  # the ticket's first undelivered live event for this consumer
            select(func.min(earlier.c.id))
            .where(
                earlier.c.consumer == outbox.c.consumer,
                earlier.c.ticket_id == outbox.c.ticket_id,
                earlier.c.dead_at.is_(None),
            )
            .scalar_subquery()
        )
        # A ticket's events go out in order: a row waits while an earlier live one is undelivered. Written as a
        # correlated min() rather than NOT EXISTS: each row then costs one probe of the live (consumer, ticket,
        # id) index whatever the planner believes — a burst into a table it has no statistics for yet made
        # PostgreSQL's anti-join scan the whole consumer for every row.
        stmt = (
            select(outbox)
            .where(outbox.c.consumer == consumer, outbox.c.available_at <= now, LIVE, outbox.c.id == first_live)
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
        return [_row(r) for r in rows]

    def done(self, row_id: int) -> None:
        self.conn.execute(delete(outbox).where(outbox.c.id == row_id))

    def release(self, row_ids: Sequence[int], at: datetime) -> None:
        """Give claimed rows back untried (their ticket's earlier event is not delivered yet)."""
        self.conn.execute(update(outbox).where(outbox.c.id.in_(list(row_ids))).values(available_at=at))

    def retry(self, row_id: int, at: datetime, error: str, *, failed_at: datetime | None = None) -> None:
        """Try the row again at ``at``. ``failed_at``: the attempt failed (not merely postponed) — the first
        failure starts the dead-letter clock."""
        values: dict[str, Any] = {"available_at": at, "attempts": outbox.c.attempts + 1, "last_error": error[:2000]}
        if failed_at is not None:
            values["first_failed_at"] = func.coalesce(outbox.c.first_failed_at, failed_at)
        self.conn.execute(update(outbox).where(outbox.c.id == row_id).values(**values))

    def bury(self, row_id: int, at: datetime, error: str) -> None:
        """Keep the row as a dead letter: no more attempts until it is revived."""
        self.conn.execute(
            update(outbox)
            .where(outbox.c.id == row_id)
            .values(dead_at=at, attempts=outbox.c.attempts + 1, last_error=error[:2000])
        )

    def revive(self, row_ids: Sequence[int] | None, at: datetime) -> list[int]:
        """Put rows back for delivery now, as new (``None``: every dead letter); returns the ids put back."""
        stmt = update(outbox).values(dead_at=None, first_failed_at=None, attempts=0, available_at=at)
        stmt = stmt.where(outbox.c.dead_at.is_not(None)) if row_ids is None else stmt.where(outbox.c.id.in_(row_ids))
        return sorted(r.id for r in self.conn.execute(stmt.returning(outbox.c.id)))

    def listing(self, *, dead: bool, limit: int, offset: int = 0) -> tuple[list[OutboxRow], int]:
        """The backlog (live rows, next due first) or the dead letters (latest first), and how many there are."""
        where: Any = outbox.c.dead_at.is_not(None) if dead else LIVE
        order: tuple[Any, ...] = (
            (outbox.c.dead_at.desc(), outbox.c.id.desc()) if dead else (outbox.c.available_at, outbox.c.id)
        )
        rows = self.conn.execute(select(outbox).where(where).order_by(*order).limit(limit).offset(offset))
        total = int(self.conn.execute(select(func.count()).select_from(outbox).where(where)).scalar_one())
        return [_row(r) for r in rows], total

    def discard(self, consumer: str) -> None:
        """Drop a consumer's undelivered rows (a console session's notifications outlive it for nobody)."""
        self.conn.execute(delete(outbox).where(outbox.c.consumer == consumer))

    def pending(self, consumer: str | None = None) -> int:
        """Rows not delivered yet, dead letters included."""
        stmt = select(func.count()).select_from(outbox)
        if consumer:
            stmt = stmt.where(outbox.c.consumer == consumer)
        return int((self.conn.execute(stmt)).scalar_one())
