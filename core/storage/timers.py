"""Timer rows (``core.timers``): added and cancelled with the change that causes them, claimed when due.

A row that exists is pending; firing deletes it in the transaction that writes its events, so a crash before
the commit leaves it due and a commit leaves it gone — exactly once, with no separate state to keep.

Claiming on PostgreSQL locks the *tickets* of the due timers with ``FOR UPDATE SKIP LOCKED``: the ticket row is
the lock every change of that ticket takes first (the desk's ``get(for_update)``), so a tick never fires a timer
while a change of its ticket is cancelling it, replicas never take the same ticket, and a tick never waits (a
ticket busy elsewhere is left for the next tick). ``DELETE … RETURNING`` then keeps only the timers still there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from core.model import Ticket
from core.storage.tables import tickets, timers
from core.storage.tickets import ticket_from_row, upsertable_insert
from core.timers import Reschedule, Timer, TimerKind

_TIMER_COLUMNS = [c.label(f"timer_{c.name}") for c in timers.c]  # beside a ticket's columns in one row


def _timer(row: Any, prefix: str = "") -> Timer:
    m = row._mapping
    return Timer(
        TimerKind(m[prefix + "kind"]), m[prefix + "ticket_id"], m[prefix + "due_at"], m[prefix + "since"],
        m[prefix + "repeat"], m[prefix + "id"],
    )  # fmt: skip


class TimerStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, new: Iterable[Timer], now: datetime) -> None:
        rows = [
            {"kind": t.kind.value, "ticket_id": t.ticket_id, "due_at": t.due_at, "since": t.since,
             "repeat": t.repeat, "created_at": now}
            for t in new
        ]  # fmt: skip
        if rows:
            stmt = upsertable_insert(self.conn.dialect.name, timers).on_conflict_do_nothing(
                index_elements=["ticket_id", "kind", "due_at"]
            )
            self.conn.execute(stmt, rows)

    def cancel(self, ticket_id: str, kinds: Iterable[TimerKind]) -> None:
        names = [k.value for k in kinds]
        if names:
            self.conn.execute(delete(timers).where(timers.c.ticket_id == ticket_id, timers.c.kind.in_(names)))

    def apply(self, ticket_id: str, change: Reschedule, now: datetime) -> None:
        self.cancel(ticket_id, change.cancel)
        self.add(change.add, now)

    def claim_due(self, now: datetime, limit: int) -> list[tuple[Timer, int, Ticket]]:
        """Take up to ``limit`` due ticket timers, soonest first, with their (locked) tickets; the rows are
        deleted — the caller fires them in this transaction."""
        stmt = (
            select(*_TIMER_COLUMNS, tickets)
            .join(tickets, tickets.c.id == timers.c.ticket_id)
            .where(timers.c.due_at <= now)
            .order_by(timers.c.due_at, timers.c.id)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=tickets)
        found = [(_timer(row, "timer_"), row.pk, ticket_from_row(row)) for row in self.conn.execute(stmt)]
        taken = self._take([timer.id for timer, _, _ in found if timer.id is not None])
        return [item for item in found if item[0].id in taken]

    def claim_digest(self, now: datetime) -> list[Timer]:
        """Take the due digest timers (normally one); a replica holding one makes the others skip it."""
        stmt = select(timers).where(timers.c.kind == TimerKind.DIGEST.value, timers.c.due_at <= now)
        if self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        found = [_timer(r) for r in self.conn.execute(stmt.order_by(timers.c.due_at))]
        taken = self._take([t.id for t in found if t.id is not None])
        return [t for t in found if t.id in taken]

    def _take(self, ids: Sequence[int]) -> set[int]:
        """Delete the timers; return the ids this transaction deleted (timers are never updated, only added and
        deleted, so what was read of them is still true of those)."""
        if not ids:
            return set()
        return {
            r.id for r in self.conn.execute(delete(timers).where(timers.c.id.in_(list(ids))).returning(timers.c.id))
        }

    def digest_timers(self) -> list[Timer]:
        """The pending digest timers, locked until the transaction ends (the digest is set up at start-up)."""
        stmt = select(timers).where(timers.c.kind == TimerKind.DIGEST.value).order_by(timers.c.due_at)
        if self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        return [_timer(r) for r in self.conn.execute(stmt)]

    def remove(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        if ids:
            self.conn.execute(delete(timers).where(timers.c.id.in_(ids)))

    def of_ticket(self, ticket_id: str) -> list[Timer]:
        stmt = select(timers).where(timers.c.ticket_id == ticket_id).order_by(timers.c.due_at, timers.c.id)
        return [_timer(r) for r in self.conn.execute(stmt)]

    def due_of(self, ticket_id: str, kind: TimerKind) -> datetime | None:
        """When the ticket's pending timer of ``kind`` is due (the soonest), or None."""
        stmt = select(func.min(timers.c.due_at)).where(timers.c.ticket_id == ticket_id, timers.c.kind == kind.value)
        value: datetime | None = self.conn.execute(stmt).scalar()
        return value

    def count_due(self, now: datetime) -> int:
        return int(self.conn.execute(select(func.count()).where(timers.c.due_at <= now)).scalar_one())

    def next_due(self, kind: TimerKind | None = None) -> datetime | None:
        stmt = select(func.min(timers.c.due_at))
        if kind is not None:
            stmt = stmt.where(timers.c.kind == kind.value)
        value: datetime | None = self.conn.execute(stmt).scalar()
        return value
