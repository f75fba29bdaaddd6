"""Bulk import: many finished tickets with their threads, written in a few statements per batch.

The import (``ticketbot import``) runs inside one write transaction and calls ``insert`` once per batch of
tickets: each table gets one multi-row statement (tickets with ``RETURNING pk``, in order), the search
documents hold every message (public ones in the body, internal notes in the notes), the statistics get
the batch's summed contribution, and each ticket one history line saying it was imported. No outbox events:
an imported ticket is history, nobody is notified of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from core import stats
from core.model import Actor, Message, Ticket
from core.storage.aggregates import StatsStore
from core.storage.fulltext import SearchStore
from core.storage.tables import history, messages, tickets
from core.storage.tickets import ticket_values

_INSERT_TICKETS = tickets.insert().returning(tickets.c.pk, sort_by_parameter_order=True)
_INSERT_MESSAGES = messages.insert()
_INSERT_HISTORY = history.insert()
LOOKUP_CHUNK = 500  # ids per existence query (SQLite's bound-parameter limit is far above)


_EXISTING = select(tickets.c.id).where(tickets.c.id.in_(bindparam("ids", expanding=True)))


class ImportStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are taken already."""
        wanted = list(dict.fromkeys(ids))
        found: set[str] = set()
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            found.update(self.conn.execute(_EXISTING, {"ids": chunk}).scalars())
        return found

    def insert(self, batch: Sequence[tuple[Ticket, Sequence[Message]]], *, by: Actor, at: datetime) -> None:
        """Write finished tickets (ids set and free) with their messages, in order."""
        if not batch:
            return
        pks = self.conn.execute(_INSERT_TICKETS, [ticket_values(t) for t, _ in batch]).scalars().all()
        rows = [_message_values(m, t.id) for t, thread in batch for m in thread]
        if rows:
            self.conn.execute(_INSERT_MESSAGES, rows)
        self.conn.execute(
            _INSERT_HISTORY,
            [
                {
                    "ticket_id": t.id, "field": "imported", "old": None, "new": t.status.value,
                    "actor_platform": by.platform, "actor_id": by.user_id, "actor_name": by.name, "at": at,
                }
                for t, _ in batch
            ],
        )  # fmt: skip
        SearchStore(self.conn).index_tickets(
            [
                {
                    "pk": pk,
                    "subject": t.subject,
                    "body": "\n".join(m.body for m in thread if not m.internal),
                    "notes": "\n".join(m.body for m in thread if m.internal),
                }
                for pk, (t, thread) in zip(pks, batch, strict=True)
            ]
        )
        delta: dict[stats.Key, stats.Vector] = {}
        for t, _ in batch:
            for key, vec in stats.contribution(t).items():
                row = delta.setdefault(key, {})
                for name, value in vec.items():
                    row[name] = row.get(name, 0) + value
        StatsStore(self.conn).add(delta)


def _message_values(m: Message, ticket_id: str) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "author_platform": m.author.platform,
        "author_id": m.author.user_id,
        "author_name": m.author.name,
        "role": m.role.value,
        "body": m.body,
        "internal": m.internal,
        "attachments": [a.to_dict() for a in m.attachments],
        "created_at": m.created_at,
    }
