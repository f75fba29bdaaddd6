"""Scheduler and outbox benchmarks: a tick with 1,000,000 open tickets and 100 due timers; delivery throughput.

    .venv/bin/python bench/scheduler_bench.py [--postgres postgresql+asyncpg://postgres@127.0.0.1/bench]

The first run writes bench/data/scheduler-1m.db (about 2 minutes): 1,000,000 Urgent tickets, all Open and
waiting, 2 s apart, each with its SLA warning and breach timers (2,000,000 timer rows; no messages or search
documents — a tick reads neither). With ``--postgres`` the same is loaded into that (empty, dedicated) database.
Each measured tick moves the clock 100 s: 50 warnings and 50 breaches fall due, so a tick fires 100 timers
(50 outbox rows, 50 ticket updates with their statistics and their next reminder). Baseline: the raw indexed
query for 100 due timers on the driver. Outbox throughput: 5,000 events (1,000 tickets × 5) delivered to a
no-op notifier by the dispatcher; baseline: one raw delete-and-commit per row on the same engine. One run, ratios
within it (machines are noisy); nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import pct, table  # noqa: E402
from sqlalchemy import text  # noqa: E402

from core.desk import Desk  # noqa: E402
from core.events import Event, TicketOpened  # noqa: E402
from core.model import Actor, Priority, Status, Ticket  # noqa: E402
from core.outbox import Dispatcher  # noqa: E402
from core.ports import SystemClock  # noqa: E402
from core.storage.database import SqlDatabase  # noqa: E402
from core.storage.engine import build_engine  # noqa: E402
from core.storage.migrate import upgrade  # noqa: E402
from core.storage.tables import tickets, timers  # noqa: E402
from core.storage.tickets import ticket_values  # noqa: E402

OPEN = 1_000_000
BASE = datetime(2026, 11, 1, tzinfo=UTC)
SPACING = timedelta(seconds=2)  # between tickets: each 100 s brings 50 warnings and 50 breaches due
STEP = timedelta(seconds=100)
WARN, DUE = timedelta(minutes=45), timedelta(hours=1)
RUNS = 30
EVENTS, PER_TICKET = 5_000, 5
DATA = Path(__file__).resolve().parent / "data"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


class Sink:
    name = "bench"

    async def notify(self, event: Event) -> None:
        return None


# ---------------------------------------------------------------------------------------------- the data
async def fill(url: str, total: int, batch: int = 20_000) -> None:
    """``total`` open Urgent tickets, each with its warning and breach timers."""
    engine = build_engine(url)
    await upgrade(engine)
    async with engine.begin() as conn:
        if (await conn.execute(text("SELECT count(*) FROM tickets"))).scalar_one():
            await engine.dispose()
            return
    started = time.perf_counter()
    requester = Actor("api", "bench", "Bench")
    for start in range(0, total, batch):
        rows, due = [], []
        for i in range(start, min(total, start + batch)):
            since = BASE + SPACING * i
            t = Ticket(
                id=f"TKT-{i:07d}", subject=f"open ticket {i}", category="Technical", priority=Priority.URGENT,
                status=Status.OPEN, requester=requester, created_at=since, updated_at=since, waiting_since=since,
                sla_due_at=since + DUE,
            )  # fmt: skip
            rows.append(ticket_values(t) | {"pk": i + 1})
            for kind, at in (("sla_warning", since + WARN), ("sla_breach", since + DUE)):
                due.append({"kind": kind, "ticket_id": t.id, "due_at": at, "since": since, "repeat": 0,
                            "created_at": since})  # fmt: skip
        async with engine.begin() as conn:
            await conn.execute(tickets.insert(), rows)
            await conn.execute(timers.insert(), due)
        done = min(total, start + batch)
        if done % 200_000 == 0 or done == total:
            print(f"  {done:>9,} open tickets  {time.perf_counter() - started:6.1f}s", flush=True)
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'pk'), :n)"), {"n": total})
        await conn.execute(text("ANALYZE"))
    await engine.dispose()


# ---------------------------------------------------------------------------------------------- the tick
async def bench_tick(url: str, label: str) -> None:
    engine = build_engine(url)
    dialect = engine.dialect.name
    async with engine.connect() as conn:
        first = (await conn.execute(text("SELECT min(due_at) FROM timers"))).scalar_one()
        pending = (await conn.execute(text("SELECT count(*) FROM timers"))).scalar_one()
        waiting = (await conn.execute(text("SELECT count(*) FROM tickets WHERE status = 'Open'"))).scalar_one()
    if isinstance(first, str):
        first = datetime.fromisoformat(first)
    first = first.replace(tzinfo=UTC) if first.tzinfo is None else first
    clock = Clock(first.astimezone(UTC) + DUE - WARN)  # a little past the first breach: a backlog of warnings
    desk = Desk(db=SqlDatabase(engine), clock=clock, consumers=["slack"])
    while await desk.fire_timers(1000):  # clear what is due at the start; each measured tick then finds 100
        pass
    raw = await raw_due_query(url, dialect, clock.at + STEP)

    async def claim_only() -> None:
        now = clock.at + STEP  # the 100 timers the next tick fires
        await desk.db.read(lambda uow: uow.conn.execute(_claim_select(now)).all())

    idle = [await timed(desk.fire_timers) for _ in range(RUNS)]
    claim = [await timed(claim_only) for _ in range(RUNS)]
    fired, ticks = [], []
    for _ in range(RUNS):
        clock.at += STEP
        t0 = time.perf_counter()
        fired.append(await desk.fire_timers(100))
        ticks.append((time.perf_counter() - t0) * 1000)
    await engine.dispose()
    base = statistics.median(raw)
    title = f"{label}: {waiting:,} open tickets, {pending:,} pending timers"

    def row(name: str, samples: list[float]) -> list[Any]:
        med = statistics.median(samples)
        return [name, f"{med:.2f}", f"{pct(samples, 0.95):.2f}", f"{med / base:.1f}×"]

    table(title, ["", "median ms", "p95 ms", "vs raw query"], [
        row("raw indexed query: 100 due timers (driver, no ORM)", raw),
        row("claim select: due timers joined to their tickets", claim),
        row("idle tick: nothing due (one transaction)", idle),
        row(f"tick firing {statistics.median(fired):.0f} timers (50 warnings, 50 breaches)", ticks),
        row("  … per fired timer", [t / max(f, 1) for t, f in zip(ticks, fired, strict=True)]),
    ])  # fmt: skip


def _claim_select(now: datetime) -> Any:
    """The select of ``TimerStore.claim_due`` (without its lock and delete)."""
    from sqlalchemy import select

    stmt = select(timers.c.id.label("timer_id"), tickets).join(tickets, tickets.c.id == timers.c.ticket_id)
    return stmt.where(timers.c.due_at <= now).order_by(timers.c.due_at, timers.c.id).limit(100)


async def timed(fn: Callable[[], Awaitable[Any]]) -> float:
    t0 = time.perf_counter()
    await fn()
    return (time.perf_counter() - t0) * 1000


async def raw_due_query(url: str, dialect: str, at: datetime) -> list[float]:
    """The due timers' index range, straight on the driver: the floor a tick's claim cannot go under."""
    out = []
    if dialect == "sqlite":
        conn = sqlite3.connect(url.split("///", 1)[1])
        sql = "SELECT id, ticket_id, kind, due_at FROM timers WHERE due_at <= ? ORDER BY due_at LIMIT 100"
        param = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores it
        for _ in range(RUNS + 1):
            t0 = time.perf_counter()
            conn.execute(sql, (param,)).fetchall()
            out.append((time.perf_counter() - t0) * 1000)
        conn.close()
    else:
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        sql = "SELECT id, ticket_id, kind, due_at FROM timers WHERE due_at <= $1 ORDER BY due_at LIMIT 100"
        for _ in range(RUNS + 1):
            t0 = time.perf_counter()
            await conn.fetch(sql, at)
            out.append((time.perf_counter() - t0) * 1000)
        await conn.close()
    return out[1:]


# ---------------------------------------------------------------------------------------------- the outbox
async def bench_outbox(url: str, label: str) -> list[Any]:
    engine = build_engine(url)
    await upgrade(engine)
    db = SqlDatabase(engine)
    clock = SystemClock()
    bot = Actor.system()

    async def queue() -> None:
        events = [TicketOpened(f"TKT-{i % (EVENTS // PER_TICKET):05d}", bot) for i in range(EVENTS)]
        now = clock.now()
        await db.write(lambda uow: uow.outbox.add(events, ["bench"], now))

    await queue()
    ids = [r[0] for r in await db.read(lambda uow: uow.conn.exec_driver_sql("SELECT id FROM outbox").all())]
    t0 = time.perf_counter()
    for row_id in ids:  # the floor: one delete-and-commit per delivered row
        await db.write(lambda uow, row_id=row_id: uow.outbox.done(row_id))
    raw = EVENTS / (time.perf_counter() - t0)

    await queue()
    dispatcher = Dispatcher(db, [Sink()], clock=clock, batch=100)
    t0 = time.perf_counter()
    delivered = await dispatcher.drain(rounds=10_000)
    rate = delivered / (time.perf_counter() - t0)
    await engine.dispose()
    return [label, f"{rate:,.0f}", f"{raw:,.0f}", f"{rate / raw:.2f}×"]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=None, help="an empty PostgreSQL database for this benchmark")
    parser.add_argument("--tickets", type=int, default=OPEN)
    args = parser.parse_args()
    sqlite_file = DATA / ("scheduler-1m.db" if args.tickets == OPEN else f"scheduler-{args.tickets}.db")
    sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    sqlite_url = f"sqlite+aiosqlite:///{sqlite_file}"
    print("filling (once) …", flush=True)
    await fill(sqlite_url, args.tickets)
    if args.postgres:
        await fill(args.postgres, args.tickets)
    # each run works on a copy, so every run starts from the same state
    work = Path(tempfile.mkdtemp()) / "tick.db"
    src, dst = sqlite3.connect(sqlite_file), sqlite3.connect(work)
    src.backup(dst)
    src.close()
    dst.close()
    await bench_tick(f"sqlite+aiosqlite:///{work}", "Scheduler tick, SQLite")
    work.unlink()
    if args.postgres:
        await bench_tick(args.postgres, "Scheduler tick, PostgreSQL")
    rows = [await bench_outbox(f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'outbox.db'}", "SQLite")]
    if args.postgres:
        rows.append(await bench_outbox(args.postgres, "PostgreSQL"))
    table(
        f"Outbox delivery: {EVENTS:,} events ({EVENTS // PER_TICKET:,} tickets × {PER_TICKET}) to a no-op notifier",
        ["database", "dispatcher events/s", "raw delete+commit/s", "ratio"],
        rows,
    )


if __name__ == "__main__":
    asyncio.run(main())
