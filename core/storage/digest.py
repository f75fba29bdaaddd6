"""The digest's queries: indexed ranges and the maintained aggregates only, never a walk over the tickets.

What each figure means is written in ``core.digest``. Every query reads one index range: ``created_at``,
``closed_at``, ``sla_due_at``, and from migration 0004 the partial indexes on first responses (covering what
the digest reads of them), on the waiting tickets' ``created_at`` and on the rating rows of ``history``. The
14 days of a figure are 14 range counts sent as one ``UNION ALL`` statement. A test checks the plans.

Sync functions over a sync ``Connection``: call ``load_digest`` inside one read transaction
(``await conn.run_sync(lambda c: load_digest(c, now=…, tz=…))``), or ``build_digest`` with an engine.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    extract,
    func,
    literal_column,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from core.digest import (
    BREACHES_SHOWN,
    DAYS,
    OLDEST,
    URGENCY,
    Breach,
    DayFigures,
    Digest,
    SlaCount,
    series_days,
)
from core.model import Priority, Ticket
from core.stats import StatRow, summarize
from core.storage.engine import READ_ONLY
from core.storage.tables import RATING_ROWS, STAT_COLUMNS, WAITING, history, ticket_stats, tickets
from core.storage.tickets import ticket_from_row
from core.storage.types import UtcDateTime


def load_digest(
    conn: Connection,
    *,
    now: datetime,
    tz: ZoneInfo,
    days: int = DAYS,
    oldest: int = OLDEST,
    breaches: int = BREACHES_SHOWN,
    day: date | None = None,
) -> Digest:
    """Build the digest for ``now`` in ``tz``: the last complete local day (or ``day``, e.g. a digest posted
    late), and ``days`` days up to it; the backlog as of ``now``."""
    empty = series_days(now, tz, days, day=day)
    bounds = _bounds(empty)
    opened = _per_day(conn.execute(_count_per_day("created_at", days), bounds))
    closed = _per_day(conn.execute(_count_per_day("closed_at", days), bounds))
    sla = _sla_per_day(conn, bounds, days)
    series = tuple(
        DayFigures(d.day, d.start, d.end, opened.get(i, 0), closed.get(i, 0), sum(sla.get(i, {}).values(), SlaCount()))
        for i, d in enumerate(empty)
    )
    today = series[-1]
    n_first, avg_first = _average(conn, "first_response_at", today.start, today.end)
    _, avg_resolution = _average(conn, "closed_at", today.start, today.end)
    ratings = _ratings(conn, today.start, today.end)
    all_time = summarize(
        StatRow(r.category, r.priority, {n: int(r._mapping[n]) for n in STAT_COLUMNS})
        for r in conn.execute(select(ticket_stats))
    )
    all_time.generated_at = now.astimezone(UTC)
    last_day = sla.get(len(series) - 1, {})
    return Digest(
        tz=tz,
        generated_at=now.astimezone(UTC),
        series=series,
        first_responses=n_first,
        avg_first_response=avg_first,
        avg_resolution=avg_resolution,
        sla_by_priority={p: last_day.get(p, SlaCount()) for p in URGENCY},
        breaches=_breaches(conn, today.start, today.end, breaches),
        ratings=len(ratings),
        csat_average=sum(ratings) / len(ratings) if ratings else None,
        oldest_open=_oldest_open(conn, oldest),
        all_time=all_time,
    )


async def build_digest(engine: AsyncEngine, *, now: datetime, tz: ZoneInfo, days: int = DAYS) -> Digest:
    """``load_digest`` in one read-only transaction; on PostgreSQL one snapshot, so the figures agree."""
    async with engine.connect() as conn:
        options: dict[str, Any] = {READ_ONLY: True}
        if conn.dialect.name == "postgresql":
            options["isolation_level"] = "REPEATABLE READ"
        conn = await conn.execution_options(**options)
        async with conn.begin():
            return await conn.run_sync(lambda sync: load_digest(sync, now=now, tz=tz, days=days))


# The per-day statements are built once per number of days, with the days' bounds as parameters (s0, e0, s1…):
# SQLAlchemy then reuses their compiled form instead of rebuilding 14 sub-selects on every digest.
def _bounds(days: Sequence[DayFigures]) -> dict[str, datetime]:
    out = {}
    for i, d in enumerate(days):
        out[f"s{i}"], out[f"e{i}"] = d.start, d.end
    return out


def _in_day(column: Any, i: int) -> Any:
    return and_(column >= bindparam(f"s{i}", type_=UtcDateTime), column < bindparam(f"e{i}", type_=UtcDateTime))


def _per_day(rows: Any) -> dict[int, int]:
    return {int(i): int(n) for i, n in rows}


@functools.cache
def _count_per_day(column: str, days: int) -> Any:
    """How many tickets have ``column`` in each day: one index range count per day, in one statement."""
    return union_all(
        *(select(literal_column(str(i)), func.count()).where(_in_day(tickets.c[column], i)) for i in range(days))
    )


@functools.cache
def _responses_per_day(days: int) -> Any:
    """Per day, the first responses given: how many, how many met their target, how many of those tickets are
    overdue again the same day (answered, then the requester wrote and waits past due); per priority on the
    last day. Reads only the covering index on first responses."""
    answered, due = tickets.c.first_response_at, tickets.c.sla_due_at
    parts = []
    for i in range(days):
        overdue_too = case((_in_day(due, i), 1), else_=0)
        met = case((_in_day(due, i), 0), (tickets.c.sla_breached == true(), 0), else_=1)
        last = i == days - 1
        priority = tickets.c.priority if last else cast(null(), String)
        part = select(literal_column(str(i)), priority, func.count(), func.sum(met), func.sum(overdue_too))
        part = part.where(_in_day(answered, i))
        parts.append(part.group_by(tickets.c.priority) if last else part)
    return union_all(*parts)


@functools.cache
def _overdue_per_day(days: int) -> Any:
    """Per day, the responses that fell due and have not come (the clock stops at a response); per priority
    on the last day."""
    due = tickets.c.sla_due_at
    parts = []
    for i in range(days):
        last = i == days - 1
        priority = tickets.c.priority if last else cast(null(), String)
        part = select(literal_column(str(i)), priority, func.count()).where(_in_day(due, i))
        parts.append(part.group_by(tickets.c.priority) if last else part)
    return union_all(*parts)


def _sla_per_day(
    conn: Connection, bounds: dict[str, datetime], days: int
) -> dict[int, dict[Priority | None, SlaCount]]:
    """Per day (and per priority on the last day; ``None`` on the others): the response targets decided.

    A ticket counts once a day: answered and overdue again the same day is one miss.
    """
    met: dict[tuple[int, str | None], int] = {}
    decided: dict[tuple[int, str | None], int] = {}
    for i, priority, n, n_met, n_overdue in conn.execute(_responses_per_day(days), bounds):
        key = (int(i), priority)
        met[key] = met.get(key, 0) + int(n_met or 0)
        decided[key] = decided.get(key, 0) + int(n) - int(n_overdue or 0)  # those count with the overdue below
    for i, priority, n in conn.execute(_overdue_per_day(days), bounds):
        key = (int(i), priority)
        decided[key] = decided.get(key, 0) + int(n)
    out: dict[int, dict[Priority | None, SlaCount]] = {}
    for (i, priority), n in decided.items():
        if n:
            out.setdefault(i, {})[Priority(priority) if priority else None] = SlaCount(met.get((i, priority), 0), n)
    return out


def _whole_seconds(dialect: str, end: Any, start: Any) -> Any:
    """``int((end - start).total_seconds())`` per row, exactly (as ``core.stats.contribution`` counts)."""
    if dialect == "postgresql":
        return cast(func.trunc(extract("epoch", end - start)), BigInteger)

    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds from strftime, microseconds from the text.
    def micros(column: Any) -> Any:
        return cast(func.strftime("%s", column), Integer) * 1_000_000 + cast(func.substr(column, 21, 6), Integer)

    return (micros(end) - micros(start)) // 1_000_000  # integer division: SQLite truncates, as int() does


@functools.cache
def _average_statement(dialect: str, column: str) -> Any:
    seconds = _whole_seconds(dialect, tickets.c[column], tickets.c.created_at)
    return select(func.count(), func.sum(seconds)).where(_in_day(tickets.c[column], 0))


def _average(conn: Connection, column: str, start: datetime, end: datetime) -> tuple[int, timedelta | None]:
    """How many tickets have ``column`` in the range, and their average ``column - created_at``."""
    n, total = conn.execute(_average_statement(conn.dialect.name, column), {"s0": start, "e0": end}).one()
    return int(n), (timedelta(seconds=int(total) / int(n)) if n else None)


def _ratings(conn: Connection, start: datetime, end: datetime) -> list[int]:
    """The ratings given in the range: the last one per ticket, read from the history rows."""
    stmt = (
        select(history.c.ticket_id, history.c.new)
        .where(RATING_ROWS, history.c.at >= start, history.c.at < end)
        .order_by(history.c.id)
    )
    last: dict[str, int] = {}
    for ticket_id, value in conn.execute(stmt):
        if value is not None:
            last[ticket_id] = int(value)
    return list(last.values())


def _breaches(conn: Connection, start: datetime, end: datetime, limit: int) -> tuple[Breach, ...]:
    """The day's most urgent breaches: first responses given late, and responses overdue and still awaited."""
    urgency = case({p.value: i for i, p in enumerate(URGENCY)}, value=tickets.c.priority)
    answered, due = tickets.c.first_response_at, tickets.c.sla_due_at
    late = (
        select(tickets)
        .where(answered >= start, answered < end, tickets.c.sla_breached == true())
        .order_by(urgency, answered)
        .limit(limit)
    )
    waiting = select(tickets).where(due >= start, due < end).order_by(urgency, due).limit(limit)
    found: dict[str, Breach] = {}
    for row in conn.execute(late):
        t = ticket_from_row(row)
        found[t.id] = Breach(t, still_waiting=False)
    for row in conn.execute(waiting):
        t = ticket_from_row(row)
        found[t.id] = Breach(t, still_waiting=True)  # also answered late earlier that day: it waits now

    def order(b: Breach) -> tuple[int, datetime]:
        moment = b.ticket.sla_due_at if b.still_waiting else b.ticket.first_response_at
        assert moment is not None
        return URGENCY.index(b.ticket.priority), moment

    return tuple(sorted(found.values(), key=order)[:limit])


def _oldest_open(conn: Connection, limit: int) -> tuple[Ticket, ...]:
    """Oldest tickets still waiting (Open or Pending), by creation: the first rows of the partial index on them.

    Not ``status = … ORDER BY created_at`` per status: PostgreSQL estimates that walking ``created_at`` from the
    oldest ticket finds a waiting one soon, which is true of random data and false of a real queue, where
    every old ticket is closed.
    """
    stmt = select(tickets).where(WAITING).order_by(tickets.c.created_at).limit(limit)
    return tuple(ticket_from_row(r) for r in conn.execute(stmt))
