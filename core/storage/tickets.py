"""Tickets, their messages, history, links and idempotency keys, read and written with SQLAlchemy Core."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, select, text, update
from sqlalchemy.engine import Connection

from core.model import Actor, Attachment, Change, Link, Message, Priority, Role, Status, Ticket
from core.storage.tables import history, idempotency_keys, links, messages, tickets

IDEMPOTENCY_WINDOW = timedelta(hours=24)  # how long an idempotency key returns its first result
COUNT_CAP = 10_000  # list totals are counted up to here ("10,000+"): a count must stay an index range


def upsertable_insert(dialect_name: str, table: Any) -> Any:
    """An INSERT that can say ``ON CONFLICT …`` on either database (each dialect imported only when used)."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


@functools.cache
def _insert_ticket(dialect_name: str) -> Any:
    """Built once per dialect: statements on the hot path take their values as parameters, so SQLAlchemy
    reuses the compiled form instead of rebuilding a VALUES clause on every call."""
    return (
        upsertable_insert(dialect_name, tickets).on_conflict_do_nothing(index_elements=["id"]).returning(tickets.c.pk)
    )


_INSERT_MESSAGE = messages.insert().returning(messages.c.id)
_INSERT_HISTORY = history.insert()
_GET = select(tickets).where(tickets.c.id == bindparam("ticket_id"))
_GET_FOR_UPDATE = _GET.with_for_update()  # PostgreSQL only: SQLite's writer already holds the database lock


@functools.cache
def _update_columns(columns: tuple[str, ...]) -> Any:
    """``UPDATE tickets SET <columns>, version WHERE id AND version``, every value a parameter: built once per
    set of columns (a status change, a breach…), so SQLAlchemy reuses its compiled form."""
    values: dict[Any, Any] = {tickets.c[c]: bindparam(f"new_{c}") for c in columns}
    values[tickets.c.version] = bindparam("new_version")
    return (
        update(tickets)
        .where(tickets.c.id == bindparam("key_id"), tickets.c.version == bindparam("key_version"))
        .values(values)
    )


def _actor(platform: str | None, user_id: str | None, name: str | None, email: str | None = None) -> Actor | None:
    if platform is None or user_id is None:
        return None
    return Actor(platform=platform, user_id=user_id, name=name or "", email=email)


def ticket_from_row(row: Any) -> Ticket:
    m = row._mapping
    requester = _actor(m["requester_platform"], m["requester_id"], m["requester_name"], m["requester_email"])
    assert requester is not None
    return Ticket(
        id=m["id"],
        subject=m["subject"],
        category=m["category"],
        priority=Priority(m["priority"]),
        status=Status(m["status"]),
        requester=requester,
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        assignee=_actor(m["assignee_platform"], m["assignee_id"], m["assignee_name"]),
        first_response_at=m["first_response_at"],
        closed_at=m["closed_at"],
        reopened_at=m["reopened_at"],
        waiting_since=m["waiting_since"],
        sla_due_at=m["sla_due_at"],
        sla_breached=bool(m["sla_breached"]),
        rating=m["rating"],
        reopened_from=m["reopened_from"],
        close_reason=m["close_reason"],
        version=m["version"],
    )


def ticket_values(t: Ticket) -> dict[str, Any]:
    return {
        "id": t.id,
        "subject": t.subject,
        "category": t.category,
        "priority": t.priority.value,
        "status": t.status.value,
        "requester_platform": t.requester.platform,
        "requester_id": t.requester.user_id,
        "requester_name": t.requester.name,
        "requester_email": t.requester.email,
        "assignee_platform": t.assignee.platform if t.assignee else None,
        "assignee_id": t.assignee.user_id if t.assignee else None,
        "assignee_name": t.assignee.name if t.assignee else None,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "first_response_at": t.first_response_at,
        "closed_at": t.closed_at,
        "reopened_at": t.reopened_at,
        "waiting_since": t.waiting_since,
        "sla_due_at": t.sla_due_at,
        "sla_breached": t.sla_breached,
        "rating": t.rating,
        "reopened_from": t.reopened_from,
        "close_reason": t.close_reason,
        "version": t.version,
    }


def message_from_row(row: Any) -> Message:
    m = row._mapping
    author = _actor(m["author_platform"], m["author_id"], m["author_name"])
    assert author is not None
    return Message(
        id=m["id"],
        ticket_id=m["ticket_id"],
        author=author,
        role=Role(m["role"]),
        body=m["body"],
        created_at=m["created_at"],
        internal=bool(m["internal"]),
        attachments=tuple(Attachment.from_dict(a) for a in (m["attachments"] or [])),
    )


class TicketStore:
    """Row access for one unit of work (one connection, one transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- tickets -------------------------------------------------------------------------------
    def insert_if_new(self, ticket: Ticket) -> int | None:
        """Insert the ticket unless its id is taken; return its ``pk`` or ``None`` on an id collision."""
        result = self.conn.execute(_insert_ticket(self.conn.dialect.name), ticket_values(ticket))
        return result.scalar()

    def get(self, ticket_id: str, *, for_update: bool = False) -> tuple[int, Ticket] | None:
        stmt = _GET_FOR_UPDATE if for_update and self.conn.dialect.name == "postgresql" else _GET
        row = (self.conn.execute(stmt, {"ticket_id": ticket_id})).first()
        return (row._mapping["pk"], ticket_from_row(row)) if row else None

    def update_changed(self, changes: Sequence[tuple[Ticket, Ticket]]) -> None:
        """Write each ``(before, after)`` pair's changed columns and bump the version; tickets that did not change
        are left alone. Rows already locked by ``get(for_update)`` (or the scheduler's claim). One statement per
        set of changed columns, with its compiled form reused, so a tick changing 50 tickets sends one."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        changed: list[Ticket] = []
        for before, after in changes:
            old, new = ticket_values(before), ticket_values(after)
            columns = tuple(c for c in new if new[c] != old[c])
            if not columns:
                continue
            row = {f"new_{c}": new[c] for c in columns}
            row.update(new_version=after.version + 1, key_id=after.id, key_version=after.version)
            groups.setdefault(columns, []).append(row)
            changed.append(after)
        for columns, rows in groups.items():
            result = self.conn.execute(_update_columns(columns), rows)
            counted = len(rows) == 1 or self.conn.dialect.supports_sane_multi_rowcount
            if counted and result.rowcount != len(rows):  # cannot happen under the row lock; fail loudly
                raise RuntimeError(f"concurrent update of {', '.join(r['key_id'] for r in rows)} detected")
        for after in changed:
            after.version += 1

    def lock_requester(self, requester: Actor) -> None:
        """Serialise one requester's concurrent opens (the per-user limit). SQLite's ``BEGIN IMMEDIATE``
        already serialises every writer; PostgreSQL takes a transaction-scoped advisory lock."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": "open:" + requester.key})

    def count_open_for(self, requester: Actor) -> int:
        stmt = select(func.count()).where(
            tickets.c.requester_platform == requester.platform,
            tickets.c.requester_id == requester.user_id,
            tickets.c.status != Status.CLOSED.value,
        )
        return int((self.conn.execute(stmt)).scalar_one())

    # -- lists ---------------------------------------------------------------------------------
    def queue_page(
        self, statuses: Sequence[Status], *, assignee: Actor | None, limit: int, offset: int
    ) -> tuple[list[Ticket], int, bool]:
        """The staff queue: unassigned first, then by SLA due time (tickets without one last), then age.
        ``assignee`` narrows it to one person's tickets. Returns the page, the total and whether it was capped."""
        where: list[Any] = [tickets.c.status.in_([s.value for s in statuses])]
        if assignee is not None:
            where += [tickets.c.assignee_platform == assignee.platform, tickets.c.assignee_id == assignee.user_id]
        stmt = (
            select(tickets)
            .where(*where)
            .order_by(
                case((tickets.c.assignee_id.is_(None), 0), else_=1),
                case((tickets.c.sla_due_at.is_(None), 1), else_=0),
                tickets.c.sla_due_at,
                tickets.c.created_at,
            )
        )
        return self._page(stmt, where, limit, offset)

    def requester_page(
        self, requester: Actor, statuses: Sequence[Status], *, limit: int, offset: int
    ) -> tuple[list[Ticket], int, bool]:
        """One requester's tickets, newest first; the page, the total and whether it was capped."""
        where = [
            tickets.c.status.in_([s.value for s in statuses]),
            tickets.c.requester_platform == requester.platform,
            tickets.c.requester_id == requester.user_id,
        ]
        stmt = select(tickets).where(*where).order_by(tickets.c.created_at.desc(), tickets.c.pk.desc())
        return self._page(stmt, where, limit, offset)

    def _page(self, stmt: Any, where: Sequence[Any], limit: int, offset: int) -> tuple[list[Ticket], int, bool]:
        items = [ticket_from_row(r) for r in self.conn.execute(stmt.limit(limit).offset(offset))]
        if offset == 0 and len(items) < limit:
            return items, len(items), False
        capped = select(tickets.c.pk).where(*where).limit(COUNT_CAP + 1).subquery()
        total = int(self.conn.execute(select(func.count()).select_from(capped)).scalar_one())
        return items, min(total, COUNT_CAP), total > COUNT_CAP

    def due_before(self, before: datetime, limit: int) -> list[Ticket]:
        """Tickets whose SLA response is due before ``before``, soonest first (one indexed range scan)."""
        stmt = (
            select(tickets)
            .where(tickets.c.sla_due_at.is_not(None), tickets.c.sla_due_at <= before)
            .order_by(tickets.c.sla_due_at)
            .limit(limit)
        )
        return [ticket_from_row(r) for r in self.conn.execute(stmt)]

    # -- messages ------------------------------------------------------------------------------
    def add_message(
        self,
        *,
        ticket_id: str,
        author: Actor,
        role: Role,
        body: str,
        internal: bool,
        attachments: Sequence[Attachment],
        at: datetime,
    ) -> Message:
        values = {
            "ticket_id": ticket_id,
            "author_platform": author.platform,
            "author_id": author.user_id,
            "author_name": author.name,
            "role": role.value,
            "body": body,
            "internal": internal,
            "attachments": [a.to_dict() for a in attachments],
            "created_at": at,
        }
        message_id = (self.conn.execute(_INSERT_MESSAGE, values)).scalar_one()
        return Message(
            id=message_id,
            ticket_id=ticket_id,
            author=Actor(platform=author.platform, user_id=author.user_id, name=author.name),
            role=role,
            body=body,
            created_at=at,
            internal=internal,
            attachments=tuple(attachments),
        )

    def thread(self, ticket_id: str, *, include_internal: bool) -> list[Message]:
        stmt = select(messages).where(messages.c.ticket_id == ticket_id).order_by(messages.c.id)
        if not include_internal:
            stmt = stmt.where(messages.c.internal.is_(False))
        return [message_from_row(r) for r in self.conn.execute(stmt)]

    def message(self, message_id: int) -> Message | None:
        row = (self.conn.execute(select(messages).where(messages.c.id == message_id))).first()
        return message_from_row(row) if row else None

    # -- history -------------------------------------------------------------------------------
    def add_history(self, changes: Sequence[Change]) -> None:
        if not changes:
            return
        self.conn.execute(
            _INSERT_HISTORY,
            [
                {
                    "ticket_id": c.ticket_id,
                    "field": c.field,
                    "old": c.old,
                    "new": c.new,
                    "actor_platform": c.actor.platform,
                    "actor_id": c.actor.user_id,
                    "actor_name": c.actor.name,
                    "at": c.at,
                }
                for c in changes
            ],
        )

    def history(self, ticket_id: str) -> list[Change]:
        stmt = select(history).where(history.c.ticket_id == ticket_id).order_by(history.c.id)
        out = []
        for row in self.conn.execute(stmt):
            m = row._mapping
            actor = _actor(m["actor_platform"], m["actor_id"], m["actor_name"])
            assert actor is not None
            out.append(Change(m["ticket_id"], m["field"], m["old"], m["new"], actor, m["at"]))
        return out

    # -- links ---------------------------------------------------------------------------------
    def save_link(self, link: Link) -> None:
        stmt = upsertable_insert(self.conn.dialect.name, links).values(
            ticket_id=link.ticket_id,
            platform=link.platform,
            kind=link.kind,
            channel_id=link.channel_id,
            thread_id=link.thread_id,
            message_id=link.message_id,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["ticket_id", "platform", "kind"],
            set_={"channel_id": link.channel_id, "thread_id": link.thread_id, "message_id": link.message_id},
        )
        self.conn.execute(stmt)

    def get_link(self, ticket_id: str, platform: str, kind: str) -> Link | None:
        stmt = select(links).where(links.c.ticket_id == ticket_id, links.c.platform == platform, links.c.kind == kind)
        row = (self.conn.execute(stmt)).first()
        return _link(row) if row else None

    def find_by_link(self, platform: str, channel_id: str, thread_id: str | None, kind: str | None) -> str | None:
        stmt = select(links.c.ticket_id).where(links.c.platform == platform, links.c.channel_id == channel_id)
        stmt = stmt.where(links.c.thread_id.is_(None) if thread_id is None else links.c.thread_id == thread_id)
        if kind is not None:
            stmt = stmt.where(links.c.kind == kind)
        return (self.conn.execute(stmt.limit(1))).scalar()

    # -- idempotency ---------------------------------------------------------------------------
    def claim_key(self, key: str, at: datetime) -> tuple[bool, str | None, int | None]:
        """Record ``key``; return ``(True, None, None)`` if new (or older than 24 hours), else
        ``(False, ticket_id, message_id)``.

        Concurrent claims of one key queue on the primary key; the loser sees the winner's result.
        """
        stmt = (
            upsertable_insert(self.conn.dialect.name, idempotency_keys)
            .values(key=key, created_at=at)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        if (self.conn.execute(stmt)).rowcount == 1:
            return True, None, None
        expired = (  # a key is honoured for IDEMPOTENCY_WINDOW; after that it is new again
            update(idempotency_keys)
            .where(idempotency_keys.c.key == key, idempotency_keys.c.created_at < at - IDEMPOTENCY_WINDOW)
            .values(created_at=at, ticket_id=None, message_id=None)
        )
        if self.conn.execute(expired).rowcount == 1:
            return True, None, None
        stmt2 = select(idempotency_keys.c.ticket_id, idempotency_keys.c.message_id).where(idempotency_keys.c.key == key)
        row = (self.conn.execute(stmt2)).one()
        return False, row.ticket_id, row.message_id

    def bind_key(self, key: str, ticket_id: str, message_id: int | None = None) -> None:
        self.conn.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.key == key)
            .values(ticket_id=ticket_id, message_id=message_id)
        )


def _link(row: Any) -> Link:
    m = row._mapping
    return Link(
        ticket_id=m["ticket_id"],
        platform=m["platform"],
        kind=m["kind"],
        channel_id=m["channel_id"],
        thread_id=m["thread_id"],
        message_id=m["message_id"],
    )
