"""Import benchmark: ``ticketbot import``'s unit of work against raw sqlite3 inserting the same rows.

    .venv/bin/python bench/import_bench.py [--tickets 20000] [--postgres postgresql+asyncpg://…/writes_bench]

The file is generated here (fixed seed): every ticket with a description, a staff reply, a requester answer
and every fifth an internal note; a third of them closed and rated. The import parses and checks every line
(JSON, fields, ids free) and writes tickets, messages, one history line each, the search documents and the
statistics in one transaction. The raw rows insert the same rows with sqlite3's ``executemany`` from tuples
built beforehand (no JSON, no checks) in one transaction: the floor — once as a bare connection, once with
foreign keys checked as ticketbot's connections do (``PRAGMA foreign_keys=ON``: every message and history
row looks its ticket up). Runs alternate and the best of each counts; ratios are within this run.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.cli_import import Outcome, import_lines  # noqa: E402
from core.ids import TicketIdGenerator  # noqa: E402
from core.model import DEFAULT_CATEGORIES  # noqa: E402
from core.storage.database import SqlDatabase  # noqa: E402
from core.storage.engine import build_engine  # noqa: E402
from core.storage.migrate import upgrade  # noqa: E402

START = datetime(2025, 1, 1, tzinfo=UTC)
WORDS = "login error dashboard invoice refund crash password reset export report slow timeout".split()


def make_lines(n: int) -> list[bytes]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        created = START + timedelta(minutes=7 * i)
        closed = i % 3 == 0
        who = {"platform": "email", "user_id": f"u{i % 5000}", "name": f"User {i % 5000}"}
        staff = {"platform": "slack", "user_id": "U0STAFF", "name": "Sam"}

        def said(minutes: int) -> str:
            return (created + timedelta(minutes=minutes)).isoformat()  # noqa: B023

        text = " ".join(rng.choice(WORDS) for _ in range(12))
        messages = [
            {"author": who, "role": "requester", "body": f"{text} #{i}", "created_at": said(0)},
            {"author": staff, "role": "staff", "body": "Could you try again after clearing the cache?",
             "created_at": said(30)},
            {"author": who, "role": "requester", "body": "Still broken, same error.", "created_at": said(45)},
        ]  # fmt: skip
        if i % 5 == 0:
            messages.append({"author": staff, "role": "staff", "body": "escalated to platform team",
                             "created_at": said(50), "internal": True})  # fmt: skip
        ticket: dict[str, Any] = {
            "subject": f"{rng.choice(WORDS)} {rng.choice(WORDS)} problem {i}",
            "category": DEFAULT_CATEGORIES[i % 3], "priority": ["Low", "Medium", "High", "Urgent"][i % 4],
            "status": "Closed" if closed else "Open", "requester": {**who, "email": f"u{i % 5000}@example.com"},
            "created_at": said(0), "first_response_at": said(30),
        }  # fmt: skip
        if closed:
            ticket.update(closed_at=said(60), rating=1 + i % 5, close_reason="fixed")
        out.append(json.dumps({"ticket": ticket, "messages": messages}).encode() + b"\n")
    return out


async def import_rate(url: str, lines: list[bytes]) -> tuple[float, Outcome]:
    engine = build_engine(url)
    db = SqlDatabase(engine)
    ids = TicketIdGenerator(random.Random(3))
    t0 = time.perf_counter()
    outcome: Outcome = await db.write(
        lambda uow: import_lines(
            uow, lines, categories=DEFAULT_CATEGORIES, new_id=ids, dry_run=False, now=datetime.now(UTC)
        )  # fmt: skip
    )
    elapsed = time.perf_counter() - t0
    await db.dispose()
    assert outcome.tickets == len(lines) and not outcome.bad_lines
    return len(lines) / elapsed, outcome


def raw_rows(lines: list[bytes]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows the import writes, as tuples (built outside the timing)."""
    ids = TicketIdGenerator(random.Random(3))
    rows: dict[str, list[tuple[Any, ...]]] = {"tickets": [], "messages": [], "history": [], "search": []}
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def ts(value: str | None) -> str | None:
        return None if value is None else datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S.%f")

    drawn: set[str] = set()
    for pk, line in enumerate(lines, 1):
        doc = json.loads(line)
        t, tid = doc["ticket"], ids()
        while tid in drawn:
            tid = ids()
        drawn.add(tid)
        r = t["requester"]
        rows["tickets"].append((pk, tid, t["subject"], t["category"], t["priority"], t["status"], r["platform"],
                                r["user_id"], r["name"], r["email"], ts(t["created_at"]), ts(t["created_at"]),
                                ts(t["first_response_at"]), ts(t.get("closed_at")), t.get("rating"),
                                t.get("close_reason")))  # fmt: skip
        for m in doc["messages"]:
            a = m["author"]
            rows["messages"].append((tid, a["platform"], a["user_id"], a["name"], m["role"], m["body"],
                                     int(m.get("internal", False)), "[]", ts(m["created_at"])))  # fmt: skip
        rows["history"].append((tid, "imported", None, t["status"], "cli", "operator", "operator", now))
        public = "\n".join(m["body"] for m in doc["messages"] if not m.get("internal"))
        notes = "\n".join(m["body"] for m in doc["messages"] if m.get("internal"))
        rows["search"].append((pk, t["subject"], public, notes))
    return rows


def raw_sqlite3(path: Path, rows: dict[str, list[tuple[Any, ...]]], *, foreign_keys: bool) -> float:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    t0 = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    con.executemany(
        "INSERT INTO tickets (pk, id, subject, category, priority, status, requester_platform, requester_id,"
        " requester_name, requester_email, created_at, updated_at, first_response_at, closed_at, rating,"
        " close_reason, sla_breached, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,1)",
        rows["tickets"],
    )
    con.executemany(
        "INSERT INTO messages (ticket_id, author_platform, author_id, author_name, role, body, internal,"
        " attachments, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
        rows["messages"],
    )
    con.executemany(
        "INSERT INTO history (ticket_id, field, old, new, actor_platform, actor_id, actor_name, at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        rows["history"],
    )
    con.executemany("INSERT INTO ticket_search (rowid, subject, body, notes) VALUES (?,?,?,?)", rows["search"])
    con.execute(
        "INSERT INTO ticket_stats (category, priority, n_open) VALUES ('Technical','High',1)"
        " ON CONFLICT (category, priority) DO UPDATE SET n_open = n_open + 1"
    )
    con.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    con.close()
    return len(rows["tickets"]) / elapsed  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--postgres", default=None, help="an empty PostgreSQL database (its schema is rebuilt)")
    parser.add_argument("--rounds", type=int, default=3, help="alternated runs of each; the best counts")
    args = parser.parse_args()
    lines = make_lines(args.tickets)
    per_ticket = sum(len(json.loads(line)["messages"]) for line in lines) / len(lines) + 2  # + history, search
    tmp = Path(tempfile.mkdtemp())
    template = tmp / "template.db"
    engine = build_engine(f"sqlite+aiosqlite:///{template}")
    await upgrade(engine)
    await engine.dispose()
    prepared = raw_rows(lines)
    runs: dict[str, list[float]] = {"ours": [], "raw": [], "raw_fk": []}
    for run in range(args.rounds):  # alternated, best of each: the machine is shared and noisy
        for name in runs:
            shutil.copyfile(template, tmp / f"{name}{run}.db")
        runs["ours"].append((await import_rate(f"sqlite+aiosqlite:///{tmp / f'ours{run}.db'}", lines))[0])
        runs["raw_fk"].append(raw_sqlite3(tmp / f"raw_fk{run}.db", prepared, foreign_keys=True))
        runs["raw"].append(raw_sqlite3(tmp / f"raw{run}.db", prepared, foreign_keys=False))
    ours, raw, raw_fk = (max(runs[name]) for name in ("ours", "raw", "raw_fk"))
    rows = [
        ["ticketbot import (parse, check, write; one transaction)", f"{ours:,.0f}", f"{ours * per_ticket:,.0f}",
         f"{ours / raw:.2f}×", f"{ours / raw_fk:.2f}×"],
        ["raw sqlite3 executemany, same rows, one transaction", f"{raw:,.0f}", f"{raw * per_ticket:,.0f}", "1.00×",
         f"{raw / raw_fk:.2f}×"],
        ["raw sqlite3, the same with foreign keys checked (as ticketbot's connections)", f"{raw_fk:,.0f}",
         f"{raw_fk * per_ticket:,.0f}", f"{raw_fk / raw:.2f}×", "1.00×"],
    ]  # fmt: skip
    if args.postgres:
        from sqlalchemy import text

        pg = build_engine(args.postgres)
        async with pg.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await upgrade(pg)
        await pg.dispose()
        rate, _ = await import_rate(args.postgres, lines)
        rows.append(["ticketbot import on PostgreSQL", f"{rate:,.0f}", f"{rate * per_ticket:,.0f}",
                     f"{rate / raw:.2f}×", f"{rate / raw_fk:.2f}×"])  # fmt: skip
    shutil.rmtree(tmp)
    print(
        f"\nImport of {args.tickets:,} tickets ({per_ticket:.1f} rows each: ticket, messages, history, search;"
        f" best of {args.rounds})"
    )
    header = ["path", "tickets/s", "rows/s", "÷ raw sqlite3", "÷ raw with foreign keys"]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    asyncio.run(main())
