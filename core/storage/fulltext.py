"""Full-text search behind one interface: SQLite FTS5 or PostgreSQL ``tsvector``.

One search document per ticket (key = ``tickets.pk``) with three parts: the subject, the public messages
and the internal notes; a reply appends to its part. Requesters never match on internal notes. Words are
stemmed (FTS5 ``porter``, PostgreSQL's snowball English without stop words), so ``logins`` finds ``login``.
User words reach the engine only as quoted strings or bound parameters, so no input can inject FTS syntax.

Which tickets a query returns, on both engines: those whose visible text holds every word, phrase and prefix
(each anywhere: subject, messages, or for staff the notes too) and that pass every filter. The newest
``RESULT_CAP`` of them form the window that is counted and ordered: the tickets whose subject holds more of
the query's words first, newest first among equals. Ranking every match of a common word costs seconds in a
million tickets, while walking the index newest-first costs milliseconds; for a help desk the recent tickets
are the ones that matter (older ones are reached with ``created:``). A "subject first" order needs no corpus
statistics, so it costs one more bounded index walk per word and reads the same on both engines.

The query builders below return SQLAlchemy statements and take no connection, so sync and async callers
share them; ``search_tickets`` runs them on a sync ``Connection``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from core.model import Actor, Ticket
from core.search import DateRange, SearchQuery
from core.storage.tables import tickets
from core.storage.tickets import ticket_from_row

RESULT_CAP = 2000  # matches counted and ordered per search: the newest ones
DATE_SCAN_CAP = 100_000  # a created: range holding fewer tickets bounds the index walk to their keys
PG_CONFIG = "ticketbot_english"  # text search configuration made by migration 0004 (English stems, no stop words)
_NO_KEY = 2**62  # a key bound no ticket reaches: the created: range is empty

# The index tables, described for queries only: the migration creates them (dialect-specific DDL), so
# they live outside ``tables.metadata``.
fts5_index = Table(
    "ticket_search", MetaData(),
    Column("rowid", Integer), Column("ticket_search", Text),
)  # fmt: skip
pg_index = Table(
    "ticket_search", MetaData(),
    Column("pk", BigInteger), Column("doc", Text), Column("notes", Text),
)  # fmt: skip


@dataclass(frozen=True)
class _Item:
    """One thing the text must hold: a word, a phrase or a prefix."""

    kind: str  # "word" | "phrase" | "prefix"
    text: str


def _items(query: SearchQuery) -> list[_Item]:
    return [
        *(_Item("word", t) for t in query.terms),
        *(_Item("phrase", p) for p in query.phrases),
        *(_Item("prefix", p) for p in query.prefixes),
    ]


def has_text(query: SearchQuery) -> bool:
    return bool(query.terms or query.phrases or query.prefixes)


# --- FTS5 ---------------------------------------------------------------------------------------------


def fts5_item(item: _Item) -> str:
    """An FTS5 string for one item: quoted (``""`` inside), with ``*`` after the quote for a prefix."""
    quoted = '"' + item.text.replace('"', '""') + '"'
    return quoted + " *" if item.kind == "prefix" else quoted


def fts5_expression(items: Sequence[_Item], *, staff: bool) -> str:
    """The FTS5 MATCH text: every item, in the columns the searcher may see."""
    expression = " AND ".join(fts5_item(item) for item in items)
    return expression if staff else "{subject body} : (" + expression + ")"


def _fts5_in_subject(items: Sequence[_Item], index: int, *, staff: bool) -> str:
    """Item ``index`` in the subject and the other items anywhere visible: the tickets of the window whose
    subject holds the item. The other items let FTS5 drive the walk by the query's rarest word."""
    subject = "{subject} : " + fts5_item(items[index])
    others = [item for i, item in enumerate(items) if i != index]
    return f"{subject} AND ({fts5_expression(others, staff=staff)})" if others else subject


def _fts5_match(table: Any, expression: str) -> ColumnElement[bool]:
    return table.c.ticket_search.op("MATCH")(expression)  # type: ignore[no-any-return]


# --- PostgreSQL ---------------------------------------------------------------------------------------


def _tsquery(item: _Item) -> Any:
    config: Any = literal_column(f"'{PG_CONFIG}'::regconfig")
    if item.kind == "phrase":
        return func.phraseto_tsquery(config, item.text)
    if item.kind == "prefix":  # letters and digits only (the parser checks), so no tsquery syntax gets in
        return func.to_tsquery(config, item.text + ":*")
    return func.plainto_tsquery(config, item.text)


def _pg_match(doc: Any, notes: Any, item: _Item, *, staff: bool) -> ColumnElement[bool]:
    tsq = _tsquery(item)
    return or_(doc.op("@@")(tsq), notes.op("@@")(tsq)) if staff else doc.op("@@")(tsq)


def _pg_in_subject(doc: Any, item: _Item) -> ColumnElement[bool]:
    """The subject's lexemes carry weight A (see ``index_ticket``)."""
    return func.ts_filter(doc, literal_column("'{a}'::\"char\"[]")).op("@@")(_tsquery(item))  # type: ignore[no-any-return]


# --- filters ------------------------------------------------------------------------------------------


def filters(query: SearchQuery, requester: Actor | None) -> list[ColumnElement[bool]]:
    """Conditions on ``tickets`` for the query's fields; ``requester`` (not staff) sees only their own."""
    c = tickets.c
    where: list[ColumnElement[bool]] = []
    if requester is not None:
        where += [c.requester_platform == requester.platform, c.requester_id == requester.user_id]
    if query.ids:
        where.append(_one_of(c.id, query.ids))
    if query.statuses:
        where.append(_one_of(c.status, [s.value for s in query.statuses]))
    if query.priorities:
        where.append(_one_of(c.priority, [p.value for p in query.priorities]))
    if query.categories:
        where.append(_one_of(c.category, query.categories))
    if query.requesters:
        where.append(
            or_(*(_person(c.requester_id, c.requester_name, r, email=c.requester_email) for r in query.requesters))
        )
    if query.assignees:
        where.append(
            or_(*(c.assignee_id.is_(None) if a.lower() == "none" else _person(c.assignee_id, c.assignee_name, a)
                  for a in query.assignees))
        )  # fmt: skip
    for column, rng in ((c.created_at, query.created), (c.closed_at, query.closed)):
        if rng is not None:
            if rng.start is not None:
                where.append(column >= rng.start)
            if rng.end is not None:
                where.append(column < rng.end)
    return where


def _one_of(column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    """``IN`` for several values, ``=`` for one: only ``status = 'Open'`` lets the planners use the partial
    indexes on a status (neither proves ``status IN ('Open')`` implies it)."""
    ordered = sorted(values)
    return column == ordered[0] if len(ordered) == 1 else column.in_(ordered)  # type: ignore[no-any-return]


def _few_tickets(query: SearchQuery, requester: Actor | None) -> bool:
    """Whether the filters alone narrow the search to a few tickets (a requester's own, people, ids)."""
    return bool(
        requester is not None or query.ids or query.requesters or [a for a in query.assignees if a.lower() != "none"]
    )


def _person(id_col: Any, name_col: Any, value: str, email: Any = None) -> ColumnElement[bool]:
    """Someone by id, or case-insensitively by name or email. The ``IS NOT NULL`` terms let the planner use
    the partial indexes on mostly-NULL columns (see ``tables.tickets``)."""
    lowered = value.lower()
    terms = [id_col == value, and_(name_col.is_not(None), func.lower(name_col) == lowered)]
    if email is not None:
        terms.append(and_(email.is_not(None), func.lower(email) == lowered))
    return or_(*terms)


KeyRange = tuple[int, int]  # the smallest and largest ``tickets.pk`` a search can return


def key_range_statement(created: DateRange | None) -> Any:
    """One row ``(low, high)``: the keys of the tickets created in a ``created:`` range that starts somewhere,
    or ``None`` when there is no such range.

    They bound the newest-first walk of the full-text index, which otherwise runs past the range's start
    through every older match of the words. Exact whatever the order of keys and creation times: they are the
    smallest and largest key actually in the range (one index-only range scan, given up past
    ``DATE_SCAN_CAP`` tickets: the range is then most of the table and bounds little).
    """
    if created is None or created.start is None:
        return None
    in_range = [tickets.c.created_at >= created.start]
    if created.end is not None:
        in_range.append(tickets.c.created_at < created.end)
    keys = select(tickets.c.pk).where(*in_range).limit(DATE_SCAN_CAP).subquery("created_keys")
    n = func.count()
    low = case((n == 0, literal(_NO_KEY)), (n < DATE_SCAN_CAP, func.min(keys.c.pk)), else_=literal(0))
    high = case((n == 0, literal(-1)), (n < DATE_SCAN_CAP, func.max(keys.c.pk)), else_=literal(_NO_KEY))
    return select(low.label("low"), high.label("high"))


def _within(keys: Sequence[Any], key_range: KeyRange | None) -> list[ColumnElement[bool]]:
    if key_range is None:
        return []
    low, high = key_range
    return [condition for key in keys for condition in (key >= low, key <= high)]


# --- statements ---------------------------------------------------------------------------------------


def _window(
    query: SearchQuery, requester: Actor | None, staff: bool, dialect: str, key_range: KeyRange | None
) -> tuple[Any, Any]:
    """The newest ``RESULT_CAP`` matching tickets (a CTE with ``pk``) and, over it, how many of the query's
    items each subject holds (the score)."""
    where = filters(query, requester)
    items = _items(query)
    if dialect == "postgresql":
        doc = pg_index.c.doc
        newest = select(pg_index.c.pk, doc).where(*(_pg_match(doc, pg_index.c.notes, i, staff=staff) for i in items))
        if where:
            newest = newest.join(tickets, tickets.c.pk == pg_index.c.pk).where(*where)
        # the bounds on both tables: the planner then walks either by key
        newest = newest.where(*_within([pg_index.c.pk, tickets.c.pk] if where else [pg_index.c.pk], key_range))
        win = newest.order_by(pg_index.c.pk.desc()).limit(RESULT_CAP).cte("win")
        return win, _sum([_pg_in_subject(win.c.doc, item) for item in items])
    expression = fts5_expression(items, staff=staff)
    probe = fts5_index.alias("probe")
    if _few_tickets(query, requester):
        # The filters leave a handful of tickets: test each one against the index (a rowid range lookup,
        # microseconds) rather than walk every match of the words to find them.
        def holds(match: str, pk: Any) -> ColumnElement[bool]:
            # a range, not "=": FTS5 seeks ranges in its doclists
            return exists().where(_fts5_match(probe, match), probe.c.rowid >= pk, probe.c.rowid <= pk)

        few = (
            select(tickets.c.pk.label("pk"))
            .where(*where, holds(expression, tickets.c.pk))
            .order_by(tickets.c.pk.desc())
            .limit(RESULT_CAP)
            .cte("win")
        )
        return few, _sum([holds("{subject} : " + fts5_item(item), few.c.pk) for item in items])
    key = fts5_index.c.rowid
    newest = select(key.label("pk")).where(_fts5_match(fts5_index, expression))
    if where:
        newest = newest.join(tickets, tickets.c.pk == key).where(*where)
    newest = newest.where(*_within([key], key_range))
    win = newest.order_by(key.desc()).limit(RESULT_CAP).cte("win")
    # One walk per item of the subject's doclist over the window's key range (the window is the newest
    # matches, so the range is short), instead of a lookup per ticket (~50 µs each).
    low = select(func.min(win.c.pk)).scalar_subquery()
    in_subject = [
        select(probe.c.rowid).where(_fts5_match(probe, _fts5_in_subject(items, i, staff=staff)), probe.c.rowid >= low)
        for i in range(len(items))
    ]
    return win, _sum([win.c.pk.in_(keys) for keys in in_subject])


def _sum(conditions: Sequence[ColumnElement[bool]]) -> Any:
    total: Any = literal(0)
    for condition in conditions:
        total = total + case((condition, 1), else_=0)
    return total


def page_statement(
    query: SearchQuery,
    *,
    requester: Actor | None,
    staff: bool,
    limit: int,
    offset: int,
    dialect: str,
    key_range: KeyRange | None = None,
) -> Any:
    """The page's ticket rows, in order, each with ``total`` (the matches, capped at ``RESULT_CAP``)."""
    if not has_text(query):
        where = filters(query, requester)
        capped = select(tickets.c.pk).where(*where).limit(RESULT_CAP).subquery("capped")
        total = select(func.count()).select_from(capped).scalar_subquery()
        return (
            select(tickets, total.label("total"))
            .where(*where)
            .order_by(tickets.c.created_at.desc(), tickets.c.pk.desc())
            .limit(limit)
            .offset(offset)
        )
    win, score = _window(query, requester, staff, dialect, key_range)
    ranked = (
        select(win.c.pk, score.label("score"), func.count().over().label("total"))
        .order_by(literal_column("score").desc(), win.c.pk.desc())
        .limit(limit)
        .offset(offset)
        .subquery("ranked")
    )
    return (
        select(tickets, ranked.c.total)
        .join_from(ranked, tickets, tickets.c.pk == ranked.c.pk)
        .order_by(ranked.c.score.desc(), ranked.c.pk.desc())
    )


def count_statement(
    query: SearchQuery, *, requester: Actor | None, staff: bool, dialect: str, key_range: KeyRange | None = None
) -> Any:
    """The number of matches (capped), for a page past the last match."""
    if not has_text(query):
        matched = select(tickets.c.pk).where(*filters(query, requester)).limit(RESULT_CAP).subquery("capped")
        return select(func.count()).select_from(matched)
    win, _ = _window(query, requester, staff, dialect, key_range)
    return select(func.count()).select_from(win)


def search_tickets(
    conn: Connection, query: SearchQuery, *, requester: Actor | None, staff: bool, limit: int, offset: int
) -> tuple[list[Ticket], int]:
    """Tickets matching ``query`` (for ``requester`` only their own; ``None`` for staff) and the match count
    (capped at ``RESULT_CAP``). Order: see the module docstring; without words, newest first."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        # asyncpg prepares statements; after a few runs PostgreSQL may switch to a generic plan that
        # cannot see how common the searched words are, and picks a plan ten times slower
        conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    key_range = None
    bounds = key_range_statement(query.created) if has_text(query) else None
    if bounds is not None:
        low, high = conn.execute(bounds).one()
        key_range = (int(low), int(high))
    page = page_statement(
        query, requester=requester, staff=staff, limit=limit, offset=offset, dialect=dialect, key_range=key_range
    )
    rows = list(conn.execute(page))
    if rows:
        return [ticket_from_row(r) for r in rows], int(rows[0].total)
    if offset == 0:
        return [], 0
    count = count_statement(query, requester=requester, staff=staff, dialect=dialect, key_range=key_range)
    return [], int(conn.execute(count).scalar_one())


# --- writing ------------------------------------------------------------------------------------------

_PG_INDEX = (
    "INSERT INTO ticket_search (pk, doc, notes) VALUES (:pk, "
    f"setweight(to_tsvector('{PG_CONFIG}', :subject), 'A') || to_tsvector('{PG_CONFIG}', :body), "
    f"to_tsvector('{PG_CONFIG}', :notes))"
)
_FTS5_INDEX = "INSERT INTO ticket_search (rowid, subject, body, notes) VALUES (:pk, :subject, :body, :notes)"


# Statements are built once per dialect (functools.cache): SQLAlchemy then finds their compiled form at once.
@functools.cache
def index_statement(dialect: str) -> Any:
    """Insert one ticket's document (parameters ``pk``, ``subject``, ``body``, ``notes``)."""
    return text(_PG_INDEX if dialect == "postgresql" else _FTS5_INDEX)


@functools.cache
def append_statement(dialect: str, *, internal: bool) -> Any:
    """Append a message to a document (parameters ``pk``, ``body``)."""
    if dialect == "postgresql":
        column = "notes" if internal else "doc"
        return text(f"UPDATE ticket_search SET {column} = {column} || to_tsvector('{PG_CONFIG}', :body) WHERE pk = :pk")
    column = "notes" if internal else "body"
    return text(f"UPDATE ticket_search SET {column} = {column} || char(10) || :body WHERE rowid = :pk")


class SearchStore:
    """The search index inside a unit of work (one sync ``Connection``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name

    def index_ticket(self, pk: int, subject: str, body: str, notes: str = "") -> None:
        self.conn.execute(index_statement(self.dialect), {"pk": pk, "subject": subject, "body": body, "notes": notes})

    def index_tickets(self, documents: Sequence[dict[str, Any]]) -> None:
        """Insert many documents at once (dicts with ``pk``, ``subject``, ``body``, ``notes``)."""
        if documents:
            self.conn.execute(index_statement(self.dialect), list(documents))

    def append(self, pk: int, body: str, *, internal: bool) -> None:
        self.conn.execute(append_statement(self.dialect, internal=internal), {"pk": pk, "body": body})

    def search(
        self, query: SearchQuery, *, requester: Actor | None, staff: bool, limit: int, offset: int
    ) -> tuple[list[Ticket], int, bool]:
        """The page, the match count, and whether the count reached ``RESULT_CAP`` (then it means "at
        least"). See ``search_tickets``."""
        items, total = search_tickets(self.conn, query, requester=requester, staff=staff, limit=limit, offset=offset)
        return items, total, total >= RESULT_CAP
