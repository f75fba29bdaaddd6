"""The digest reads indexed ranges only: every statement it sends is explained, on a table with enough rows
for the planner to have a choice, and none walks the tickets or the history."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, text
from sqlalchemy.engine import Connection

from core.model import Actor, Priority, Status, Ticket
from core.storage.digest import load_digest
from core.storage.tables import history, tickets
from core.storage.tickets import ticket_values

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
TZ = ZoneInfo("Europe/Berlin")
TICKETS, SPAN_DAYS = 12_000, 240  # 50 a day: one day is 1/240 of the table
TARGETS = {Priority.LOW: 48, Priority.MEDIUM: 24, Priority.HIGH: 4, Priority.URGENT: 1}
EXPECTED_INDEXES = {
    "ix_tickets_created_at_pk",
    "ix_tickets_closed_at",
    "ix_tickets_first_response_at",
    "ix_tickets_sla_due_at",
    "ix_tickets_waiting_created_at",
    "ix_history_rating_at",
}


def many_tickets() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows shaped as the desk writes them: mostly closed and answered, some open and overdue, some rated. As in
    a real queue, tickets older than a month are all closed (a plan walking from the oldest would pay for it)."""
    rng = random.Random(7)
    rows, ratings = [], []
    for i in range(TICKETS):
        created = NOW - timedelta(days=SPAN_DAYS) + timedelta(seconds=SPAN_DAYS * 86400 * i / TICKETS)
        priority = rng.choice(list(Priority))
        status = rng.choices([Status.CLOSED, Status.OPEN, Status.PENDING], weights=[85, 10, 5])[0]
        if NOW - created > timedelta(days=30):
            status = Status.CLOSED
        requester = Actor(platform="discord", user_id=f"u{i % 500}", name=f"user{i % 500}")
        t = Ticket(f"TKT-{i:05d}", f"problem {i}", "Technical", priority, status, requester, created, created)
        if status is not Status.OPEN:
            t.first_response_at = created + timedelta(minutes=rng.randint(5, 3000))
            t.sla_breached = rng.random() < 0.1
        if status is Status.CLOSED:
            t.closed_at = created + timedelta(hours=rng.randint(1, 200))
            if rng.random() < 0.3:
                t.rating = rng.randint(1, 5)
                ratings.append({"ticket_id": t.id, "field": "rating", "old": None, "new": str(t.rating),
                                "actor_platform": "discord", "actor_id": requester.user_id, "actor_name": "",
                                "at": t.closed_at + timedelta(hours=1)})  # fmt: skip
        if status is Status.OPEN:
            t.waiting_since, t.sla_due_at = created, created + timedelta(hours=TARGETS[priority])
        rows.append(ticket_values(t))
    return rows, ratings


def explained(conn: Connection) -> list[tuple[str, Any]]:
    """Run the digest, recording each statement it sends; return each with its plan from the engine."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", record)
    try:
        load_digest(conn, now=NOW, tz=TZ)
    finally:
        event.remove(conn, "before_cursor_execute", record)
    assert len(sent) >= 10
    plans = []
    for statement, parameters in sent:
        if conn.dialect.name == "sqlite":
            plan: Any = [r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
        else:
            raw = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar_one()
            plan = json.loads(raw) if isinstance(raw, str) else raw
        plans.append((statement, plan))
    return plans


SQLITE_SEARCH = re.compile(r"^SEARCH (tickets|history) USING (?:COVERING )?INDEX (\w+) \(")
# Read from its start, in order, up to the LIMIT: an index that holds only the waiting tickets.
BOUNDED_WALKS = {"SCAN tickets USING INDEX ix_tickets_waiting_created_at": "ix_tickets_waiting_created_at"}
ALLOWED_SCANS = {"SCAN ticket_stats"}  # the dozen all-time aggregate rows


def sqlite_indexes(plans: list[tuple[str, Any]]) -> set[str]:
    """The indexes the plans read; fails on any plan step that walks a table or an index instead of a range."""
    used = set()
    for statement, lines in plans:
        for line in lines:
            if not line.startswith(("SEARCH", "SCAN")) or line in ALLOWED_SCANS:
                continue
            if line in BOUNDED_WALKS:
                used.add(BOUNDED_WALKS[line])
                continue
            match = SQLITE_SEARCH.match(line)
            assert match, f"{line!r} in\n{statement}"
            used.add(match[2])
    return used


def postgres_indexes(plans: list[tuple[str, Any]]) -> set[str]:
    used: set[str] = set()

    def walk(node: dict[str, Any], statement: str) -> None:
        relation = node.get("Relation Name")
        if relation in ("tickets", "history"):
            assert node["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan"), (node, statement)
        if node["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
            used.add(node["Index Name"])
            # a range (Index Cond), not a walk of the whole index filtered row by row
            assert "Index Cond" in node or node["Index Name"] in BOUNDED_WALKS.values(), (node, statement)
        if node["Node Type"] == "Seq Scan":
            assert relation == "ticket_stats", (node, statement)
        for child in node.get("Plans", []):
            walk(child, statement)

    for statement, plan in plans:
        walk(plan[0]["Plan"], statement)
    return used


async def test_every_digest_query_reads_an_index_range(engine) -> None:  # type: ignore[no-untyped-def]
    rows, ratings = many_tickets()
    async with engine.begin() as conn:
        for start in range(0, len(rows), 2000):
            await conn.execute(tickets.insert(), rows[start : start + 2000])
        await conn.execute(history.insert(), ratings)

    async def indexes_used() -> set[str]:
        async with engine.connect() as conn:
            plans = await conn.run_sync(explained)
            if conn.dialect.name == "sqlite":
                return sqlite_indexes(plans)
            return postgres_indexes(plans)

    if engine.dialect.name == "sqlite":  # as deployed: SQLite without statistics, then with them
        assert await indexes_used() == EXPECTED_INDEXES
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    assert await indexes_used() == EXPECTED_INDEXES


def test_the_check_would_catch_a_table_walk() -> None:
    with_walk = [("SELECT …", ["SCAN tickets", "SEARCH tickets USING INDEX ix_tickets_created_at (created_at>?)"])]
    try:
        sqlite_indexes(with_walk)
    except AssertionError:
        pass
    else:
        raise AssertionError("a full scan of tickets went unnoticed")
    walks = [
        {"Node Type": "Seq Scan", "Relation Name": "tickets"},
        {"Node Type": "Index Scan", "Relation Name": "tickets", "Index Name": "ix_tickets_created_at",
         "Filter": "((status)::text = 'Open'::text)"},
    ]  # fmt: skip
    for node in walks:
        try:
            postgres_indexes([("SELECT …", [{"Plan": node}])])
        except AssertionError:
            pass
        else:
            raise AssertionError(f"{node['Node Type']} went unnoticed")
