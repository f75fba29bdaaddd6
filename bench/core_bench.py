"""Core benchmarks: ticket creation, search, statistics and the SLA "what is due" query.

    .venv/bin/python bench/generate.py                       # once: 1,000,000 tickets on SQLite (≈ 2 min)
    .venv/bin/python bench/core_bench.py [--postgres postgresql+asyncpg://postgres@127.0.0.1/bench]

Prints tables; every comparison is a ratio measured in the same run (machines are noisy). Nothing here is
asserted by the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import pct, table, timed  # noqa: E402

from core.desk import Desk  # noqa: E402
from core.ids import TicketIdGenerator  # noqa: E402
from core.model import Actor  # noqa: E402
from core.storage.database import SqlDatabase  # noqa: E402
from core.storage.engine import build_engine  # noqa: E402
from core.storage.migrate import upgrade  # noqa: E402

STAFF = Actor(platform="bench", user_id="staff", name="Staff", is_staff=True)
QUERIES = [
    "login",
    "password reset",
    "zq01234",
    '"error dashboard"',
    "invoice status:open priority:high,urgent",
    "crash category:technical created:30d",
    "category:billing status:open",
    "refund zq00042",
    "requester:u123",
    "login requester:u123",
    "logins",
    "log*",
    "dash* created:1y",
]


# ---------------------------------------------------------------------------------------------- creation
async def bench_create(n: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    engine = build_engine(f"sqlite+aiosqlite:///{tmp / 'create.db'}")
    await upgrade(engine)
    desk = Desk(db=SqlDatabase(engine), ids=TicketIdGenerator(random.Random(1)), consumers=["slack", "discord"])
    people = [Actor(platform="discord", user_id=str(i), name=f"user{i}") for i in range(200)]
    t0 = time.perf_counter()
    for i in range(n):
        await desk.create_ticket(subject=f"Cannot log in {i}", message="I get a 500 error on the dashboard",
                                 priority="high", category="technical", requester=people[i % 200])  # fmt: skip
    desk_s = time.perf_counter() - t0
    await engine.dispose()

    # The same rows, written with the raw sqlite3 module: tickets, message, history, search document,
    # statistics upsert and two outbox rows per ticket.
    raw_db = tmp / "raw.db"
    setup_engine = build_engine(f"sqlite+aiosqlite:///{raw_db}")
    await upgrade(setup_engine)
    await setup_engine.dispose()

    now = "2026-11-26 12:00:00.000000"

    def statements(i: int, tid: str) -> list[tuple[str, Any]]:
        """One ticket's rows, as the desk writes them (the search row takes the ticket's new pk)."""
        payload = json.dumps({"ticket_id": tid, "actor": {"platform": "discord", "user_id": str(i % 200)}})
        return [
            ("INSERT INTO tickets (id, subject, category, priority, status, requester_platform, requester_id,"
             " requester_name, created_at, updated_at, waiting_since, sla_due_at, sla_breached, version)"
             " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0,1) ON CONFLICT (id) DO NOTHING",
             (tid, f"Cannot log in {i}", "Technical", "High", "Open", "discord", str(i % 200), f"user{i}",
              now, now, now, now)),
            ("INSERT INTO ticket_search (rowid, subject, body, notes) VALUES (last_insert_rowid(),?,?,'')",
             (f"Cannot log in {i}", "I get a 500 error on the dashboard")),
            ("INSERT INTO messages (ticket_id, author_platform, author_id, author_name, role, body, internal,"
             " attachments, created_at) VALUES (?,?,?,?,?,?,0,'[]',?)",
             (tid, "discord", str(i % 200), f"user{i}", "requester", "I get a 500 error on the dashboard", now)),
            ("INSERT INTO ticket_stats (category, priority, n_open) VALUES ('Technical','High',1)"
             " ON CONFLICT (category, priority) DO UPDATE SET n_open = n_open + 1", ()),
            ("INSERT INTO history (ticket_id, field, old, new, actor_platform, actor_id, actor_name, at)"
             " VALUES (?, 'status', NULL, 'Open', 'discord', ?, ?, ?)", (tid, str(i % 200), f"user{i}", now)),
            ("INSERT INTO outbox (consumer, event, ticket_id, payload, created_at, available_at, attempts)"
             " VALUES (?, 'ticket_opened', ?, ?, ?, ?, 0)",
             [(c, tid, payload, now, now) for c in ("slack", "discord")]),
        ]  # fmt: skip

    def fresh(name: str) -> Path:
        db = tmp / f"raw-{name}.db"
        shutil.copyfile(raw_db, db)
        return db

    def raw(per_ticket_tx: bool) -> float:
        con = sqlite3.connect(fresh(f"sqlite3-{per_ticket_tx}"), isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        gen = TicketIdGenerator(random.Random(2))
        t0 = time.perf_counter()
        if not per_ticket_tx:
            con.execute("BEGIN")
        for i in range(n):
            if per_ticket_tx:
                con.execute("BEGIN IMMEDIATE")
            for sql, params in statements(i, gen()):
                (con.executemany if isinstance(params, list) else con.execute)(sql, params)
            if per_ticket_tx:
                con.execute("COMMIT")
        if not per_ticket_tx:
            con.execute("COMMIT")
        elapsed = time.perf_counter() - t0
        con.close()
        return elapsed

    async def raw_aiosqlite() -> float:
        """The same statements through aiosqlite alone: what the async driver's thread hops cost."""
        import aiosqlite

        async with aiosqlite.connect(fresh("aiosqlite"), isolation_level=None) as con:
            await con.execute("PRAGMA journal_mode=WAL")
            await con.execute("PRAGMA synchronous=NORMAL")
            gen = TicketIdGenerator(random.Random(2))
            t0 = time.perf_counter()
            for i in range(n):
                await con.execute("BEGIN IMMEDIATE")
                for sql, params in statements(i, gen()):
                    await (con.executemany if isinstance(params, list) else con.execute)(sql, params)
                await con.execute("COMMIT")
            return time.perf_counter() - t0

    raw_one_tx = raw(per_ticket_tx=False)
    raw_each_tx = raw(per_ticket_tx=True)
    raw_async = await raw_aiosqlite()
    rate = n / desk_s
    table(
        f"Ticket creation on SQLite ({n:,} tickets, sequential)",
        ["path", "tickets/s", "desk ÷ this"],
        [
            ["desk.create_ticket (one transaction per ticket)", f"{rate:,.0f}", "1.00×"],
            ["raw aiosqlite, same rows, one transaction per ticket", f"{n / raw_async:,.0f}",
             f"{rate / (n / raw_async):.2f}×"],
            ["raw sqlite3, same rows, one transaction per ticket", f"{n / raw_each_tx:,.0f}",
             f"{rate / (n / raw_each_tx):.2f}×"],
            ["raw sqlite3, same rows, all in a single transaction", f"{n / raw_one_tx:,.0f}",
             f"{rate / (n / raw_one_tx):.2f}×"],
        ],
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------- reading
async def bench_reads(url: str, runs: int, *, stats: bool = True) -> None:
    engine = build_engine(url)
    desk = Desk(db=SqlDatabase(engine))
    async with engine.connect() as conn:
        from sqlalchemy import text

        count = (await conn.execute(text("SELECT count(*) FROM tickets"))).scalar_one()
    name = "PostgreSQL" if engine.dialect.name == "postgresql" else "SQLite"
    raw = await raw_search(url, engine.dialect.name)
    underneath = await statement_runner(url, engine.dialect.name)
    rows = []
    for q in QUERIES:
        ours = await timed(lambda q=q: desk.search(query=q, actor=STAFF), runs)
        base = await timed(lambda q=q: underneath(q), runs)
        words = [w.rstrip("*") for w in q.split() if ":" not in w]
        ranked = await timed(lambda words=words: raw(words), 3) if words and "*" not in q else None
        rows.append([
            q, f"{pct(ours, .5):.1f}", f"{pct(ours, .95):.1f}",
            f"{pct(base, .5):.1f}", f"{pct(base, .95):.1f}", f"{pct(ours, .5) / pct(base, .5):.2f}×",
            f"{pct(ranked, .5):.1f}" if ranked else "—",
        ])  # fmt: skip
    table(
        f"Search on {name}, {count:,} tickets ({runs} runs each; ms)",
        ["query", "desk p50", "desk p95", "its SQL p50", "its SQL p95", "desk ÷ SQL",
         "engine-ranked all matches p50"],
        rows,
    )  # fmt: skip
    if stats:
        stats_ms = await timed(lambda: desk.stats(actor=STAFF), runs)
        due_ms = await timed(lambda: desk.due_tickets(before=__import__("datetime").datetime.now(
            __import__("datetime").UTC), limit=100), runs)  # fmt: skip
        table(
            f"Statistics and SLA on {name}, {count:,} tickets ({runs} runs; ms)",
            ["query", "p50", "p95"],
            [
                ["desk.stats() — all-time + 24 h/7 d + oldest open", f"{pct(stats_ms, .5):.2f}",
                 f"{pct(stats_ms, .95):.2f}"],
                ["desk.due_tickets() — SLA 'what is due', 100 rows", f"{pct(due_ms, .5):.2f}",
                 f"{pct(due_ms, .95):.2f}"],
            ],
        )  # fmt: skip
    await engine.dispose()


async def statement_runner(url: str, dialect: str) -> Callable[[str], Awaitable[Any]]:
    """The exact SQL the store sends for a query (a created: range's keys when words meet one, then the page's
    tickets with the match count), run raw on the driver: no desk, no SQLAlchemy, no transaction."""
    from datetime import UTC, datetime

    from sqlalchemy.dialects import postgresql, sqlite

    from core.search import parse_query
    from core.storage.fulltext import has_text, key_range_statement, page_statement

    compiler = postgresql.dialect() if dialect == "postgresql" else sqlite.dialect()

    def compiled(stmt: Any) -> str:
        return str(stmt.compile(dialect=compiler, compile_kwargs={"literal_binds": True}))

    @functools.cache  # compiled once, outside the timed runs
    def bounds_sql(q: str) -> str | None:
        query = parse_query(q, now=datetime.now(UTC))
        stmt = key_range_statement(query.created) if has_text(query) else None
        return None if stmt is None else compiled(stmt)

    @functools.cache
    def page_sql(q: str, key_range: tuple[int, int] | None) -> str:
        query = parse_query(q, now=datetime.now(UTC))
        return compiled(page_statement(query, requester=None, staff=True, limit=20, offset=0, dialect=dialect,
                                       key_range=key_range))  # fmt: skip

    if dialect == "sqlite":
        con = sqlite3.connect(url.split("///", 1)[1], check_same_thread=False)

        async def run_sqlite(q: str) -> Any:
            key_range = None
            if (bounds := bounds_sql(q)) is not None:
                key_range = tuple(con.execute(bounds).fetchone())
            return con.execute(page_sql(q, key_range)).fetchall()

        return run_sqlite
    import asyncpg

    pg = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))

    async def run_pg(q: str) -> Any:
        key_range = None
        if (bounds := bounds_sql(q)) is not None:
            key_range = tuple(await pg.fetchrow(bounds))
        return await pg.fetch(page_sql(q, key_range))

    return run_pg


async def raw_search(url: str, dialect: str) -> Callable[[list[str]], Awaitable[Any]]:
    """The engine ranking every match of the words itself (bm25 / ts_rank): what ranking the whole corpus
    would cost, for reference."""
    if dialect == "sqlite":
        con = sqlite3.connect(url.split("///", 1)[1], check_same_thread=False)

        async def sqlite_raw(words: list[str]) -> Any:
            match = " AND ".join('"' + w.strip('"') + '"' for w in words)
            return con.execute(
                "SELECT rowid FROM ticket_search WHERE ticket_search MATCH ? ORDER BY rank LIMIT 20", (match,)
            ).fetchall()

        return sqlite_raw
    import asyncpg

    from core.storage.fulltext import PG_CONFIG

    pg = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))

    async def pg_raw(words: list[str]) -> Any:
        q = " ".join(w.strip('"') for w in words)
        fn = "phraseto_tsquery" if words[0].startswith('"') else "plainto_tsquery"
        return await pg.fetch(
            f"SELECT pk FROM ticket_search, {fn}('{PG_CONFIG}', $1) q WHERE doc @@ q ORDER BY ts_rank(doc, q) DESC"
            " LIMIT 20",
            q,
        )

    return pg_raw


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", default="sqlite+aiosqlite:///bench/data/tickets-1m.db")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL filled by bench/generate.py")
    parser.add_argument("--create", type=int, default=3000, help="tickets to create in the creation benchmark")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--search-only", action="store_true", help="only the search tables")
    args = parser.parse_args()
    if not args.search_only:
        await bench_create(args.create)
    if Path(args.sqlite.split("///", 1)[1]).exists():
        await bench_reads(args.sqlite, args.runs, stats=not args.search_only)
    else:
        print(f"\n(no {args.sqlite}: run bench/generate.py first for the search and statistics tables)")
    if args.postgres:
        await bench_reads(args.postgres, args.runs, stats=not args.search_only)


if __name__ == "__main__":
    asyncio.run(main())
