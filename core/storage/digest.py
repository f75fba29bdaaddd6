"""The digest's queries: indexed ranges and the maintained aggregates only, never a walk over the tickets.

What each figure means is written in ``core.digest``. Every query reads one index range: ``created_at``,
``closed_at``, ``sla_due_at``, and from migration 0004 the partial indexes on first responses (covering what
the digest reads of them), on the waiting tickets' ``created_at`` and on the rating rows of ``history``. The
14 days of a figure are 14 range counts sent as one ``UNION ALL`` statement. A test checks the plans.

Sync functions over a sync ``Connection``: call ``load_digest`` inside one read transaction
(``await conn.run_sync(lambda c: load_digest(c, now=…, tz=…))``), or ``build_digest`` with an engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    select,
    text,
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


def load_digest(
    conn: Connection,
    *,
    now: datetime,
    tz: ZoneInfo,
    days: int = DAYS,
    oldest: int = OLDEST,
    breaches: int = BREACHES_SHOWN,
) -> Digest:
    """Build the digest for ``now`` in ``tz``: the last complete local day, and ``days`` days up to it."""
    empty = series_days(now, tz, days)
    opened = _count_per_day(conn, tickets.c.created_at, empty)
    closed = _count_per_day(conn, tickets.c.closed_at, empty)
    sla = _sla_per_day(conn, empty)
    series = tuple(
        DayFigures(d.day, d.start, d.end, opened.get(i, 0), closed.get(i, 0), sum(sla.get(i, {}).values(), SlaCount()))
        for i, d in enumerate(empty)
    )
    today = series[-1]
    n_first, avg_first = _average(conn, tickets.c.first_response_at, today.start, today.end)
    _, avg_resolution = _average(conn, tickets.c.closed_at, today.start, today.end)
    ratings = _ratings(conn, today.start, today.end)
    all_time = summarize(
        StatRow(r.category, r.priority, {n: int(r._mapping[n]) for n in STAT_COLUMNS})
        for r in conn.execute(select(ticket_stats))
    )
    all_time.generated_at = now
    last_day = sla.get(len(series) - 1, {})
    return Digest(
        tz=tz,
        generated_at=now,
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


def _count_per_day(conn: Connection, column: Any, days: Sequence[DayFigures]) -> dict[int, int]:
    """How many tickets have ``column`` in each day: one index range count per day, in one statement."""
    per_day = [
        select(literal(i).label("day"), func.count()).where(column >= d.start, column < d.end)
        for i, d in enumerate(days)
    ]
    return {int(i): int(n) for i, n in conn.execute(union_all(*per_day))}


def _sla_per_day(conn: Connection, days: Sequence[DayFigures]) -> dict[int, dict[Priority, SlaCount]]:
    """Per day and priority: the response targets decided (first responses given, and responses overdue now).

    The first query reads only the covering index on first responses; the second the ``sla_due_at`` range.
    """
    answered, due = tickets.c.first_response_at, tickets.c.sla_due_at
    responded = []
    for i, d in enumerate(days):
        # the same ticket also overdue that day: answered, then the requester wrote again and waits past due
        overdue_too = case((and_(due >= d.start, due < d.end), 1), else_=0).label("overdue_too")
        responded.append(
            select(literal(i).label("day"), tickets.c.priority, tickets.c.sla_breached, overdue_too, func.count())
            .where(answered >= d.start, answered < d.end)
            .group_by(tickets.c.priority, tickets.c.sla_breached, text("overdue_too"))
        )
    met: dict[tuple[int, str], int] = {}
    decided: dict[tuple[int, str], int] = {}
    for i, priority, breached, also_overdue, n in conn.execute(union_all(*responded)):
        key = (int(i), priority)
        decided[key] = decided.get(key, 0) + (0 if also_overdue else int(n))  # counted with the overdue below
        if not breached and not also_overdue:
            met[key] = met.get(key, 0) + int(n)
    overdue = [
        select(literal(i).label("day"), tickets.c.priority, func.count())
        .where(due >= d.start, due < d.end)  # still waiting (a response stops the clock) and past due
        .group_by(tickets.c.priority)
        for i, d in enumerate(days)
    ]
    for i, priority, n in conn.execute(union_all(*overdue)):
        key = (int(i), priority)
        decided[key] = decided.get(key, 0) + int(n)
    out: dict[int, dict[Priority, SlaCount]] = {}
    for (i, priority), n in decided.items():
        out.setdefault(i, {})[Priority(priority)] = SlaCount(met.get((i, priority), 0), n)
    return out


def _whole_seconds(conn: Connection, end: Any, start: Any) -> Any:
    """``int((end - start).total_seconds())`` per row, exactly (as ``core.stats.contribution`` counts)."""
    if conn.dialect.name == "postgresql":
        return cast(func.trunc(extract("epoch", end - start)), BigInteger)

    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds from strftime, microseconds from the text.
    def micros(column: Any) -> Any:
        return cast(func.strftime("%s", column), Integer) * 1_000_000 + cast(func.substr(column, 21, 6), Integer)

    return (micros(end) - micros(start)) // 1_000_000  # integer division: SQLite truncates, as int() does


def _average(conn: Connection, column: Any, start: datetime, end: datetime) -> tuple[int, timedelta | None]:
    """How many tickets have ``column`` in the range, and their average ``column - created_at``."""
    seconds = _whole_seconds(conn, column, tickets.c.created_at)
    stmt = select(func.count(), func.sum(seconds)).where(column >= start, column < end)
    n, total = conn.execute(stmt).one()
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
