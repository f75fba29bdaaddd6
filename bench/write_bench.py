"""Write benchmark: tickets created per second, sequentially and by concurrent writers, beside raw drivers.

    .venv/bin/python bench/write_bench.py [--tickets 3000] [--writers 50]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1/writes_bench]   # an empty database of your own

Every ticket is what ``desk.create_ticket`` writes: the ticket, its description, a history line, the search
document, the statistics upsert and two outbox rows. "Before" is the same desk with every transaction sent
through SQLAlchemy's async adapter (``SqlDatabase(driver_thread=False)``, how SQLite's writes ran before the
driver thread and group commit). The raw rows write the same rows with the driver alone. Ratios are within
this run (machines are noisy); nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table  # noqa: E402

from core.desk import Desk  # noqa: E402
from core.ids import TicketIdGenerator  # noqa: E402
from core.model import Actor  # noqa: E402
from core.storage.database import SqlDatabase  # noqa: E402
from core.storage.engine import build_engine  # noqa: E402
from core.storage.migrate import upgrade  # noqa: E402

SUBJECT = "Cannot log in {i}"
BODY = "I get a 500 error on the dashboard"
CONSUMERS = ["slack", "discord"]
TABLES = "deliveries, outbox, idempotency_keys, links, history, messages, ticket_search, ticket_stats, tickets"


# ---------------------------------------------------------------------------------------------- the desk
async def desk_rate(url: str, n: int, writers: int, *, driver_thread: bool = True) -> float:
    """Tickets/s of ``desk.create_ticket``: ``writers`` tasks, each creating its share one after another."""
    engine = build_engine(url)
    db = SqlDatabase(engine, driver_thread=driver_thread)
    desk = Desk(db=db, ids=TicketIdGenerator(random.Random(1)), consumers=CONSUMERS)
    people = [Actor(platform="discord", user_id=str(i), name=f"user{i}") for i in range(200)]

    async def writer(w: int) -> None:
        for i in range(w, n, writers):
            await desk.create_ticket(subject=SUBJECT.format(i=i), message=BODY, priority="high",
                                     category="technical", requester=people[i % 200])  # fmt: skip

    await desk.create_ticket(subject="warm-up", message=BODY, requester=people[0])
    t0 = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    elapsed = time.perf_counter() - t0
    await db.dispose()
    return n / elapsed


# ---------------------------------------------------------------------------------------------- raw SQLite
def sqlite_statements(i: int, tid: str, now: str) -> list[tuple[str, Any]]:
    """One ticket's rows, as the desk writes them (the search row takes the ticket's new pk)."""
    payload = json.dumps({"ticket_id": tid, "actor": {"platform": "discord", "user_id": str(i % 200)}})
    return [
        ("INSERT INTO tickets (id, subject, category, priority, status, requester_platform, requester_id,"
         " requester_name, created_at, updated_at, waiting_since, sla_due_at, sla_breached, version)"
         " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0,1) ON CONFLICT (id) DO NOTHING",
         (tid, SUBJECT.format(i=i), "Technical", "High", "Open", "discord", str(i % 200), f"user{i}",
          now, now, now, now)),
        ("INSERT INTO ticket_search (rowid, subject, body, notes) VALUES (last_insert_rowid(),?,?,'')",
         (SUBJECT.format(i=i), BODY)),
        ("INSERT INTO messages (ticket_id, author_platform, author_id, author_name, role, body, internal,"
         " attachments, created_at) VALUES (?,?,?,?,?,?,0,'[]',?)",
         (tid, "discord", str(i % 200), f"user{i}", "requester", BODY, now)),
        ("INSERT INTO ticket_stats (category, priority, n_open) VALUES ('Technical','High',1)"
         " ON CONFLICT (category, priority) DO UPDATE SET n_open = n_open + 1", ()),
        ("INSERT INTO history (ticket_id, field, old, new, actor_platform, actor_id, actor_name, at)"
         " VALUES (?, 'status', NULL, 'Open', 'discord', ?, ?, ?)", (tid, str(i % 200), f"user{i}", now)),
        ("INSERT INTO outbox (consumer, event, ticket_id, payload, created_at, available_at, attempts)"
         " VALUES (?, 'ticket_opened', ?, ?, ?, ?, 0)", [(c, tid, payload, now, now) for c in CONSUMERS]),
    ]  # fmt: skip


def raw_sqlite3(path: Path, n: int, *, per_ticket_tx: bool) -> float:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    gen = TicketIdGenerator(random.Random(2))
    now = "2026-11-26 12:00:00.000000"
    t0 = time.perf_counter()
    if not per_ticket_tx:
        con.execute("BEGIN")
    for i in range(n):
        if per_ticket_tx:
            con.execute("BEGIN IMMEDIATE")
        for sql, params in sqlite_statements(i, gen(), now):
            (con.executemany if isinstance(params, list) else con.execute)(sql, params)
        if per_ticket_tx:
            con.execute("COMMIT")
    if not per_ticket_tx:
        con.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    con.close()
    return n / elapsed


async def raw_aiosqlite(path: Path, n: int) -> float:
    """The same statements through aiosqlite alone, a thread hop each: what per-statement hops cost."""
    import aiosqlite

    async with aiosqlite.connect(path, isolation_level=None) as con:
        await con.execute("PRAGMA journal_mode=WAL")
        await con.execute("PRAGMA synchronous=NORMAL")
        gen = TicketIdGenerator(random.Random(2))
        now = "2026-11-26 12:00:00.000000"
        t0 = time.perf_counter()
        for i in range(n):
            await con.execute("BEGIN IMMEDIATE")
            for sql, params in sqlite_statements(i, gen(), now):
                await (con.executemany if isinstance(params, list) else con.execute)(sql, params)
            await con.execute("COMMIT")
        return n / (time.perf_counter() - t0)


async def bench_sqlite(n: int, writers: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp())
    template = tmp / "template.db"
    engine = build_engine(f"sqlite+aiosqlite:///{template}")
    await upgrade(engine)
    await engine.dispose()

    def fresh(name: str) -> Path:
        path = tmp / f"{name}.db"
        shutil.copyfile(template, path)
        return path

    def url(name: str) -> str:
        return f"sqlite+aiosqlite:///{fresh(name)}"

    rates = {
        "before_seq": await desk_rate(url("before-seq"), n, 1, driver_thread=False),
        "before_conc": await desk_rate(url("before-conc"), n, writers, driver_thread=False),
        "seq": await desk_rate(url("seq"), n, 1),
        "conc": await desk_rate(url("conc"), n, writers),
        "aiosqlite": await raw_aiosqlite(fresh("aiosqlite"), n),
        "sqlite3_each": raw_sqlite3(fresh("sqlite3-each"), n, per_ticket_tx=True),
        "sqlite3_one": raw_sqlite3(fresh("sqlite3-one"), n, per_ticket_tx=False),
    }
    shutil.rmtree(tmp)
    base, before = rates["sqlite3_each"], rates["before_seq"]
    label = {
        "seq": "desk, sequential (driver thread, group commit)",
        "conc": f"desk, {writers} concurrent writers (driver thread, group commit)",
        "before_seq": "desk, sequential — before (SQLAlchemy async adapter)",
        "before_conc": f"desk, {writers} concurrent writers — before",
        "aiosqlite": "raw aiosqlite, same rows, one transaction per ticket",
        "sqlite3_each": "raw sqlite3, same rows, one transaction per ticket",
        "sqlite3_one": "raw sqlite3, same rows, all in a single transaction",
    }
    table(
        f"Ticket creation on SQLite ({n:,} tickets)",
        ["path", "tickets/s", "÷ raw sqlite3 per ticket", "÷ before, sequential"],
        [[label[k], f"{r:,.0f}", f"{r / base:.2f}×", f"{r / before:.2f}×"] for k, r in rates.items()],
    )
    return rates


# ---------------------------------------------------------------------------------------------- PostgreSQL
PG_STATEMENTS = [
    "INSERT INTO tickets (id, subject, category, priority, status, requester_platform, requester_id,"
    " requester_name, created_at, updated_at, waiting_since, sla_due_at, sla_breached, version)"
    " VALUES ($1,$2,'Technical','High','Open','discord',$3,$4,$5,$5,$5,$6,false,1)"
    " ON CONFLICT (id) DO NOTHING RETURNING pk",
    "INSERT INTO ticket_search (pk, doc, notes) VALUES ($1, setweight(to_tsvector('ticketbot_english', $2), 'A')"
    " || to_tsvector('ticketbot_english', $3), ''::tsvector)",
    "INSERT INTO messages (ticket_id, author_platform, author_id, author_name, role, body, internal, attachments,"
    " created_at) VALUES ($1,'discord',$2,$3,'requester',$4,false,'[]',$5)",
    "INSERT INTO ticket_stats (category, priority, n_open) VALUES ('Technical','High',1)"
    " ON CONFLICT (category, priority) DO UPDATE SET n_open = ticket_stats.n_open + 1",
    "INSERT INTO history (ticket_id, field, old, new, actor_platform, actor_id, actor_name, at)"
    " VALUES ($1, 'status', NULL, 'Open', 'discord', $2, $3, $4)",
    "INSERT INTO outbox (consumer, event, ticket_id, payload, created_at, available_at, attempts)"
    " VALUES ($1, 'ticket_opened', $2, $3, $4, $4, 0)",
]


async def raw_asyncpg(url: str, n: int, writers: int) -> float:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg", "postgresql")
    pool = await asyncpg.create_pool(dsn, min_size=min(writers, 15), max_size=min(writers, 15))
    gen = TicketIdGenerator(random.Random(3))
    now = datetime.now(UTC)

    async def one(i: int) -> None:
        tid, user = gen(), str(i % 200)
        payload = json.dumps({"ticket_id": tid, "actor": {"platform": "discord", "user_id": user}})
        async with pool.acquire() as con, con.transaction():
            pk = await con.fetchval(PG_STATEMENTS[0], tid, SUBJECT.format(i=i), user, f"user{i}", now,
                                    now + timedelta(hours=4))  # fmt: skip
            await con.execute(PG_STATEMENTS[1], pk, SUBJECT.format(i=i), BODY)
            await con.execute(PG_STATEMENTS[2], tid, user, f"user{i}", BODY, now)
            await con.execute(PG_STATEMENTS[3])
            await con.execute(PG_STATEMENTS[4], tid, user, f"user{i}", now)
            await con.executemany(PG_STATEMENTS[5], [(c, tid, payload, now) for c in CONSUMERS])

    async def writer(w: int) -> None:
        for i in range(w, n, writers):
            await one(i)

    t0 = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    elapsed = time.perf_counter() - t0
    await pool.close()
    return n / elapsed


async def bench_postgres(url: str, n: int, writers: int, sqlite_base: float | None) -> None:
    from sqlalchemy import text

    engine = build_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)

    async def empty() -> None:
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        async with engine.connect() as conn:
            await conn.execute(text("CHECKPOINT"))

    runs: list[tuple[str, Callable[[], Awaitable[float]]]] = [
        ("desk, sequential", lambda: desk_rate(url, n, 1)),
        (f"desk, {writers} concurrent writers", lambda: desk_rate(url, n, writers)),
        ("raw asyncpg, same rows, one transaction per ticket", lambda: raw_asyncpg(url, n, 1)),
        (f"raw asyncpg, same rows, {writers} concurrent writers (pool of 15)", lambda: raw_asyncpg(url, n, writers)),
    ]
    rates: list[tuple[str, float]] = []
    for name, run in runs:
        await empty()
        rates.append((name, await run()))
    await engine.dispose()
    seq, raw = rates[0][1], rates[2][1]
    header = ["path", "tickets/s", "÷ desk sequential", "÷ raw asyncpg per ticket"]
    rows = [[name, f"{r:,.0f}", f"{r / seq:.2f}×", f"{r / raw:.2f}×"] for name, r in rates]
    if sqlite_base:
        header.append("÷ raw sqlite3 per ticket")
        for row, (_, r) in zip(rows, rates, strict=True):
            row.append(f"{r / sqlite_base:.2f}×")
    table(f"Ticket creation on PostgreSQL ({n:,} tickets)", header, rows)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--postgres", default=None, help="an empty PostgreSQL database (its schema is rebuilt)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    rates = None if args.skip_sqlite else await bench_sqlite(args.tickets, args.writers)
    if args.postgres:
        await bench_postgres(args.postgres, args.tickets, args.writers, rates["sqlite3_each"] if rates else None)


if __name__ == "__main__":
    asyncio.run(main())
