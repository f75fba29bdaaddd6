"""Full-text search behind one interface: SQLite FTS5 or PostgreSQL ``tsvector``.

One search document per ticket (key = ``tickets.pk``) with three parts: the subject, the public messages
and the internal notes; a reply appends to its part. Requesters never match on internal notes.
User words reach the engine only as quoted strings or bound parameters, so no input can inject FTS syntax.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from core.model import Ticket
from core.search import SearchQuery
from core.storage.tables import tickets
from core.storage.tickets import ticket_from_row

TOTAL_CAP = 1000  # counting every match of a common word in a big table is not worth its cost


def fts5_expression(query: SearchQuery) -> str:
    """The FTS5 MATCH text for the query's words and phrases (each one a quoted string)."""
    parts = [f'"{word.replace(chr(34), chr(34) * 2)}"' for word in (*query.terms, *query.phrases)]
    return " AND ".join(parts)


def _filters(query: SearchQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.ids:
        where.append(tickets.c.id.in_(query.ids))
    if query.statuses:
        where.append(tickets.c.status.in_(sorted(s.value for s in query.statuses)))
    if query.priorities:
        where.append(tickets.c.priority.in_(sorted(p.value for p in query.priorities)))
    if query.categories:
        where.append(tickets.c.category.in_(sorted(query.categories)))
    if query.requesters:
        where.append(
            or_(
                *(_person(tickets.c.requester_id, tickets.c.requester_name, r) for r in query.requesters),
                *(func.lower(tickets.c.requester_email) == r.lower() for r in query.requesters),
            )
        )
    if query.assignees:
        where.append(
            or_(
                *(
                    tickets.c.assignee_id.is_(None)
                    if a.lower() == "none"
                    else _person(tickets.c.assignee_id, tickets.c.assignee_name, a)
                    for a in query.assignees
                )
            )
        )
    for column, rng in ((tickets.c.created_at, query.created), (tickets.c.closed_at, query.closed)):
        if rng is not None:
            if rng.start is not None:
                where.append(column >= rng.start)
            if rng.end is not None:
                where.append(column < rng.end)
    return where


def _person(id_col: Any, name_col: Any, value: str) -> ColumnElement[bool]:
    return or_(id_col == value, func.lower(name_col) == value.lower())


class SearchStore:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    # -- writing -----------------------------------------------------------------------------------
    async def index_ticket(self, pk: int, subject: str, body: str) -> None:
        if self.postgres:
            sql = (
                "INSERT INTO ticket_search (pk, doc, notes) VALUES (:pk, "
                "setweight(to_tsvector('simple', :subject), 'A') || to_tsvector('simple', :body), "
                "''::tsvector)"
            )
        else:
            sql = "INSERT INTO ticket_search (rowid, subject, body, notes) VALUES (:pk, :subject, :body, '')"
        await self.conn.execute(text(sql), {"pk": pk, "subject": subject, "body": body})

    async def append(self, pk: int, body: str, *, internal: bool) -> None:
        if self.postgres:
            column = "notes" if internal else "doc"
            sql = f"UPDATE ticket_search SET {column} = {column} || to_tsvector('simple', :body) WHERE pk = :pk"
        else:
            column = "notes" if internal else "body"
            sql = f"UPDATE ticket_search SET {column} = {column} || char(10) || :body WHERE rowid = :pk"
        await self.conn.execute(text(sql), {"pk": pk, "body": body})

    # -- reading -----------------------------------------------------------------------------------
    async def search(
        self, query: SearchQuery, *, scope: ColumnElement[bool] | None, staff: bool, limit: int, offset: int
    ) -> tuple[list[Ticket], int]:
        """Tickets matching ``query`` (and ``scope``, e.g. "requested by me"): by relevance when there are
        words to match, else newest first. Returns one page and the match count (capped at ``TOTAL_CAP``)."""
        where = _filters(query)
        if scope is not None:
            where.append(scope)
        has_words = bool(query.terms or query.phrases)
        if not has_words:
            base = select(tickets).where(and_(*where)) if where else select(tickets)
            order = [tickets.c.created_at.desc(), tickets.c.pk.desc()]
        elif self.postgres:
            base, order = self._postgres(query, where, staff)
        else:
            base, order = self._sqlite(query, where, staff)
        page = base.order_by(*order).limit(limit).offset(offset)
        items = [ticket_from_row(r) for r in await self.conn.execute(page)]
        capped = base.with_only_columns(tickets.c.pk).limit(TOTAL_CAP).subquery()
        total = int((await self.conn.execute(select(func.count()).select_from(capped))).scalar_one())
        return items, total

    def _sqlite(self, query: SearchQuery, where: list[ColumnElement[bool]], staff: bool) -> tuple[Any, list[Any]]:
        expression = fts5_expression(query)
        if not staff:
            expression = "{subject body} : (" + expression + ")"
        fts = (
            text("SELECT rowid AS pk, rank AS rank FROM ticket_search WHERE ticket_search MATCH :q")
            .bindparams(q=expression)
            .columns(pk=tickets.c.pk.type, rank=tickets.c.pk.type)
            .subquery("fts")
        )
        base = select(tickets).join(fts, fts.c.pk == tickets.c.pk)
        if where:
            base = base.where(and_(*where))
        return base, [fts.c.rank, tickets.c.pk.desc()]

    def _postgres(self, query: SearchQuery, where: list[ColumnElement[bool]], staff: bool) -> tuple[Any, list[Any]]:
        simple: Any = literal_column("'simple'")
        parts = [func.plainto_tsquery(simple, t) for t in query.terms]
        parts += [func.phraseto_tsquery(simple, p) for p in query.phrases]
        tsq: Any = parts[0]
        for part in parts[1:]:
            tsq = tsq.op("&&")(part)
        doc: Any = literal_column("ticket_search.doc")
        notes: Any = literal_column("ticket_search.notes")
        match: Any = doc.op("@@")(tsq)
        if staff:
            match = or_(match, notes.op("@@")(tsq))
        fts = (
            select(literal_column("ticket_search.pk").label("pk"), func.ts_rank(doc, tsq).label("rank"))
            .select_from(text("ticket_search"))
            .where(match)
            .subquery("fts")
        )
        base = select(tickets).join(fts, fts.c.pk == tickets.c.pk)
        if where:
            base = base.where(and_(*where))
        return base, [fts.c.rank.desc(), tickets.c.pk.desc()]
