"""Full-text search behind one interface: SQLite FTS5 or PostgreSQL ``tsvector``.

One search document per ticket (key = ``tickets.pk``) with three parts: the subject, the public messages
and the internal notes; a reply appends to its part. Requesters never match on internal notes.
User words reach the engine only as quoted strings or bound parameters, so no input can inject FTS syntax.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from core.model import Actor, Ticket
from core.search import SearchQuery
from core.storage.tables import tickets
from core.storage.tickets import ticket_from_row

RESULT_CAP = 2000  # matches considered (and counted) per search: the newest ones (see SearchStore.search)

# The index tables, described for queries only: the migration creates them (dialect-specific DDL), so
# they live outside ``tables.metadata``.
_index_metadata = MetaData()
fts5_index = Table(
    "ticket_search", _index_metadata,
    Column("rowid", Integer), Column("rank", Float), Column("ticket_search", Text),
)  # fmt: skip
pg_index = Table(
    "ticket_search", MetaData(),
    Column("pk", BigInteger), Column("doc", Text), Column("notes", Text),
)  # fmt: skip


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
        c = tickets.c
        where.append(
            or_(*(_person(c.requester_id, c.requester_name, r, email=c.requester_email) for r in query.requesters))
        )
    if query.assignees:
        c = tickets.c
        where.append(
            or_(*(c.assignee_id.is_(None) if a.lower() == "none" else _person(c.assignee_id, c.assignee_name, a)
                  for a in query.assignees))
        )  # fmt: skip
    for column, rng in ((tickets.c.created_at, query.created), (tickets.c.closed_at, query.closed)):
        if rng is not None:
            if rng.start is not None:
                where.append(column >= rng.start)
            if rng.end is not None:
                where.append(column < rng.end)
    return where


def _few_tickets(query: SearchQuery) -> bool:
    """Whether the filters alone narrow the search to a few tickets (people or ids, not "unassigned")."""
    return bool(query.ids or query.requesters or [a for a in query.assignees if a.lower() != "none"])


def _person(id_col: Any, name_col: Any, value: str, email: Any = None) -> ColumnElement[bool]:
    """Someone by id, or case-insensitively by name or email. The ``IS NOT NULL`` terms let the planner use
    the partial indexes on mostly-NULL columns (see ``tables.tickets``)."""
    lowered = value.lower()
    terms = [id_col == value, and_(name_col.is_not(None), func.lower(name_col) == lowered)]
    if email is not None:
        terms.append(and_(email.is_not(None), func.lower(email) == lowered))
    return or_(*terms)


class SearchStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    # -- writing -----------------------------------------------------------------------------------
    def index_ticket(self, pk: int, subject: str, body: str) -> None:
        if self.postgres:
            sql = (
                "INSERT INTO ticket_search (pk, doc, notes) VALUES (:pk, "
                "setweight(to_tsvector('simple', :subject), 'A') || to_tsvector('simple', :body), "
                "''::tsvector)"
            )
        else:
            sql = "INSERT INTO ticket_search (rowid, subject, body, notes) VALUES (:pk, :subject, :body, '')"
        self.conn.execute(text(sql), {"pk": pk, "subject": subject, "body": body})

    def append(self, pk: int, body: str, *, internal: bool) -> None:
        if self.postgres:
            column = "notes" if internal else "doc"
            sql = f"UPDATE ticket_search SET {column} = {column} || to_tsvector('simple', :body) WHERE pk = :pk"
        else:
            column = "notes" if internal else "body"
            sql = f"UPDATE ticket_search SET {column} = {column} || char(10) || :body WHERE rowid = :pk"
        self.conn.execute(text(sql), {"pk": pk, "body": body})

    # -- reading -----------------------------------------------------------------------------------
    def search(
        self, query: SearchQuery, *, requester: Actor | None, staff: bool, limit: int, offset: int
    ) -> tuple[list[Ticket], int, bool]:
        """Tickets matching ``query`` (only ``requester``'s own when given), the match count, and whether the
        count reached ``RESULT_CAP`` (then it means "at least").

        Without words: newest first. With words: by relevance among the newest ``RESULT_CAP`` matching
        tickets. Ranking every match of a common word in a million tickets costs seconds on either engine;
        walking the index newest-first and ranking a bounded window costs milliseconds, and for a help desk
        the recent tickets are the ones that matter (older ones are reached with ``created:`` filters).
        """
        where = _filters(query)
        if requester is not None:
            where += [tickets.c.requester_platform == requester.platform, tickets.c.requester_id == requester.user_id]
        if self.postgres:
            # asyncpg prepares statements; after a few runs PostgreSQL may switch to a generic plan that
            # cannot see how common the searched words are, and picks a plan ten times slower
            self.conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        if not (query.terms or query.phrases):
            page = (
                select(tickets)
                .where(*where)
                .order_by(tickets.c.created_at.desc(), tickets.c.pk.desc())
                .limit(limit)
                .offset(offset)
            )
            items = [ticket_from_row(r) for r in self.conn.execute(page)]
            capped = select(tickets.c.pk).where(*where).limit(RESULT_CAP).subquery()
            total = int((self.conn.execute(select(func.count()).select_from(capped))).scalar_one())
            return items, total, total >= RESULT_CAP
        # The window is small (≤ RESULT_CAP pairs of integers): fetch it whole, rank and page it here, then
        # load only the page's tickets. One bounded index walk, and no plan a row estimate can derail.
        window = list(self.conn.execute(self._window(query, where, staff)))
        better = -1 if self.postgres else 1  # ts_rank: higher is better; FTS5 bm25 rank: lower is better
        if _few_tickets(query):  # a handful of someone's tickets read best newest first, on either engine
            window.sort(key=lambda r: -r.pk)
        else:
            window.sort(key=lambda r: (better * r.rank, -r.pk))
        wanted = [r.pk for r in window[offset : offset + limit]]
        full = len(window) >= RESULT_CAP
        if not wanted:
            return [], len(window), full
        rows = {r.pk: r for r in self.conn.execute(select(tickets).where(tickets.c.pk.in_(wanted)))}
        return [ticket_from_row(rows[pk]) for pk in wanted if pk in rows], len(window), full

    def _window(self, query: SearchQuery, where: list[ColumnElement[bool]], staff: bool) -> Any:
        """The newest ``RESULT_CAP`` tickets matching the words and filters, with their relevance."""
        if self.postgres:
            simple: Any = literal_column("'simple'")
            parts = [func.plainto_tsquery(simple, t) for t in query.terms]
            parts += [func.phraseto_tsquery(simple, p) for p in query.phrases]
            tsq: Any = parts[0]
            for part in parts[1:]:
                tsq = tsq.op("&&")(part)
            match: Any = pg_index.c.doc.op("@@")(tsq)
            if staff:
                match = or_(match, pg_index.c.notes.op("@@")(tsq))
            newest = select(pg_index.c.pk).where(match)
            if where:
                newest = newest.join(tickets, tickets.c.pk == pg_index.c.pk).where(*where)
            newest_sq = newest.order_by(pg_index.c.pk.desc()).limit(RESULT_CAP).subquery("newest")
            # rank only the window: ts_rank reads each document, so computing it before the LIMIT would
            # read every match of a common word
            ranked = pg_index.alias("ranked")
            return select(newest_sq.c.pk, func.ts_rank(ranked.c.doc, tsq).label("rank")).join(
                ranked, ranked.c.pk == newest_sq.c.pk
            )
        expression = fts5_expression(query)
        if not staff:
            expression = "{subject body} : (" + expression + ")"
        if _few_tickets(query):
            # A filter that names people or ids leaves a handful of tickets: test each one against the index
            # (a rowid range lookup, microseconds) rather than walk every match of the words to find them.
            # They are listed newest first: bm25 needs corpus-wide counts of each word, ~30 ms per ticket for a
            # common word, which a handful of tickets does not need.
            probe = fts5_index.alias("probe")
            found = (
                select(probe.c.rowid)
                .where(
                    probe.c.ticket_search.op("MATCH")(expression),
                    probe.c.rowid >= tickets.c.pk,  # a range, not "=": FTS5 seeks ranges in its doclists
                    probe.c.rowid <= tickets.c.pk,
                )
                .exists()
            )
            return (
                select(tickets.c.pk.label("pk"), literal_column("0").label("rank"))
                .where(*where, found)
                .order_by(tickets.c.pk.desc())
                .limit(RESULT_CAP)
            )
        key = fts5_index.c.rowid
        stmt = select(key.label("pk"), fts5_index.c.rank.label("rank")).where(
            fts5_index.c.ticket_search.op("MATCH")(expression)
        )
        if where:
            stmt = stmt.join(tickets, tickets.c.pk == key).where(*where)
        return stmt.order_by(key.desc()).limit(RESULT_CAP)
