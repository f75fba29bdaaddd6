"""Daily digest benchmark: building the digest on the 1,000,000-ticket database, and rendering its chart.

    .venv/bin/python bench/generate.py                                   # once: the SQLite database
    .venv/bin/python bench/generate.py --url postgresql+asyncpg://postgres@127.0.0.1/digest_bench
    .venv/bin/python bench/digest_bench.py [--postgres postgresql+asyncpg://postgres@127.0.0.1/digest_bench]

The digest is compared with the raw indexed count it is made of (tickets created in a range, counted on the
bare driver, no SQLAlchemy): once for the digest's day, once for its 14 days. Ratios are within one run.
The target is ≤ 200 ms for the whole digest on 1,000,000 tickets. Nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import timed  # noqa: E402
from core_bench import pct, table  # noqa: E402
from generate import NOW  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from core.chart import render_chart  # noqa: E402
from core.digest import Digest, digest_text, series_days  # noqa: E402
from core.storage.digest import build_digest  # noqa: E402
from core.storage.engine import build_engine  # noqa: E402
from core.storage.migrate import upgrade  # noqa: E402


def ms(samples: list[float]) -> tuple[str, str]:
    return f"{pct(samples, 0.5):.2f}", f"{pct(samples, 0.95):.2f}"


async def raw_count(url: str, dialect: str) -> Callable[[datetime, datetime], Awaitable[int]]:
    """``count(*)`` of tickets created in a range, on the bare driver: the floor the digest is built from."""
    if dialect == "sqlite":
        con = sqlite3.connect(url.split("///", 1)[1], check_same_thread=False)
        sql = "SELECT count(*) FROM tickets WHERE created_at >= ? AND created_at < ?"

        def stored(moment: datetime) -> str:  # how UtcDateTime keeps it on SQLite
            return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

        async def count_sqlite(start: datetime, end: datetime) -> int:
            return int(con.execute(sql, (stored(start), stored(end))).fetchone()[0])

        return count_sqlite
    import asyncpg

    pg = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))

    async def count_pg(start: datetime, end: datetime) -> int:
        return int(
            await pg.fetchval("SELECT count(*) FROM tickets WHERE created_at >= $1 AND created_at < $2", start, end)
        )

    return count_pg


async def bench_engine(url: str, now: datetime, tz: ZoneInfo, runs: int) -> Digest:
    engine = build_engine(url)
    await upgrade(engine)  # a database generated before migration 0004 gets the digest's indexes
    async with engine.connect() as conn:
        total = (await conn.execute(text("SELECT count(*) FROM tickets"))).scalar_one()
    name = "PostgreSQL" if engine.dialect.name == "postgresql" else "SQLite"
    days = series_days(now, tz)
    count = await raw_count(url, engine.dialect.name)

    digest_ms = await timed(lambda: build_digest(engine, now=now, tz=tz), runs)
    day_ms = await timed(lambda: count(days[-1].start, days[-1].end), runs)
    span_ms = await timed(lambda: count(days[0].start, days[-1].end), runs)
    digest = await build_digest(engine, now=now, tz=tz)
    assert await count(days[-1].start, days[-1].end) == digest.opened  # the same count, two ways

    # where the time goes: each statement of one digest, timed at the cursor
    spent: list[tuple[str, float]] = []

    def before(_c: Any, _cur: Any, statement: str, _p: Any, context: Any, _m: bool) -> None:
        context._bench_t0 = time.perf_counter()

    def after(_c: Any, _cur: Any, statement: str, _p: Any, context: Any, _m: bool) -> None:
        first = " ".join(statement.split())[:70]
        spent.append((first, (time.perf_counter() - context._bench_t0) * 1000))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    event.listen(engine.sync_engine, "after_cursor_execute", after)
    per_statement: dict[str, list[float]] = {}
    for _ in range(runs):
        spent.clear()
        await build_digest(engine, now=now, tz=tz)
        for i, (first, elapsed) in enumerate(spent):
            per_statement.setdefault(f"{i + 1:>2}. {first}", []).append(elapsed)
    event.remove(engine.sync_engine, "before_cursor_execute", before)
    event.remove(engine.sync_engine, "after_cursor_execute", after)

    day, span = pct(day_ms, 0.5), pct(span_ms, 0.5)
    queries = sum(not label.split(". ", 1)[1].startswith("BEGIN") for label in per_statement)

    def ratios(samples: list[float]) -> list[str]:
        return [f"{pct(samples, 0.5) / day:.1f}×", f"{pct(samples, 0.5) / span:.1f}×"]

    table(
        f"Daily digest on {name}, {total:,} tickets, day {digest.day} in {tz.key} ({runs} runs; ms)",
        ["what", "p50", "p95", "÷ raw day count", "÷ raw 14-day count"],
        [
            [f"build_digest — the whole digest, {queries} queries in one read transaction",
             *ms(digest_ms), *ratios(digest_ms)],
            ["raw count(*) created in the digest's day (bare driver)", *ms(day_ms), *ratios(day_ms)],
            ["raw count(*) created in its 14 days (bare driver)", *ms(span_ms), *ratios(span_ms)],
        ],
    )  # fmt: skip
    table(
        f"Digest statements on {name}, at the cursor ({runs} runs; ms)",
        ["statement", "p50", "p95"],
        [[label, *ms(samples)] for label, samples in per_statement.items()],
    )
    await engine.dispose()
    return digest


def bench_render(digest: Digest, runs: int) -> None:
    t0 = time.perf_counter()
    first = render_chart(digest)  # pays matplotlib's import once
    first_ms = (time.perf_counter() - t0) * 1000
    chart_ms, text_ms = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        render_chart(digest)
        chart_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        digest_text(digest)
        text_ms.append((time.perf_counter() - t0) * 1000)
    table(
        f"Rendering the digest ({runs} runs; ms)",
        ["what", "p50", "p95"],
        [
            [f"render_chart — PNG, {len(first):,} bytes", *ms(chart_ms)],
            ["render_chart, first call in the process (imports matplotlib)", f"{first_ms:.0f}", "—"],
            ["digest_text", *ms(text_ms)],
        ],
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", default="sqlite+aiosqlite:///bench/data/tickets-1m.db")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL filled by bench/generate.py")
    parser.add_argument("--timezone", default="Europe/Berlin")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    tz = ZoneInfo(args.timezone)
    now = NOW  # the generated data ends here: the digest covers its last full local day
    digest = None
    if Path(args.sqlite.split("///", 1)[1]).exists():
        digest = await bench_engine(args.sqlite, now, tz, args.runs)
    else:
        print(f"(no {args.sqlite}: run bench/generate.py first)")
    if args.postgres:
        digest = await bench_engine(args.postgres, now, tz, args.runs)
    if digest is not None:
        bench_render(digest, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
