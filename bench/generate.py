"""Generate a large, reproducible ticket database for benchmarks (fixed seed).

    .venv/bin/python bench/generate.py --tickets 1000000 --url sqlite+aiosqlite:///bench/data/1m.db
    .venv/bin/python bench/generate.py --tickets 1000000 --url postgresql+asyncpg://postgres@127.0.0.1/test

Rows are written in bulk (not through the desk, which would take hours for a million tickets), but with the
same shapes the desk writes: tickets, one opening message each, the full-text document, the history row of
each rating (an hour after closing; the digest reads ratings from there) and the maintained statistics rows
(computed with ``core.stats.contribution``, so ``desk.stats()`` reads true numbers).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from core.ids import ALPHABET  # noqa: E402
from core.model import Actor, Priority, Status, Ticket  # noqa: E402
from core.stats import contribution  # noqa: E402
from core.storage.engine import build_engine  # noqa: E402
from core.storage.migrate import upgrade  # noqa: E402
from core.storage.tables import STAT_COLUMNS, history, messages, ticket_stats, tickets  # noqa: E402
from core.storage.tickets import ticket_values  # noqa: E402

SEED = 20261126
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CATEGORIES = ("Technical", "Billing", "General")
WORDS = (
    "login error dashboard password reset invoice refund payment card subscription upgrade cancel account "
    "email notification export import report chart api token webhook integration slack discord mobile app "
    "crash slow timeout sync calendar upload download file image pdf csv billing plan trial discount tax vat "
    "address phone security twofactor sso saml ldap permission role admin user team invite delete archive "
    "search filter sort page loading blank screen button broken link redirect cookie browser chrome firefox "
    "safari windows mac linux android ios update version release bug feature request question help urgent"
).split()
RARE = [f"zq{n:05d}" for n in range(20000)]  # rare words: each in about 50 of a million tickets


def ids(rng: random.Random) -> Iterator[str]:
    seen: set[str] = set()
    while True:
        tid = "TKT-" + "".join(rng.choice(ALPHABET) for _ in range(5))
        if tid not in seen:
            seen.add(tid)
            yield tid


def sentence(rng: random.Random, n: int) -> str:
    # a Zipf-like pick: early words are common, later ones rarer
    words = [WORDS[min(int(rng.paretovariate(1.2)) - 1, len(WORDS) - 1)] for _ in range(n)]
    words[rng.randrange(n)] = rng.choice(WORDS)
    if rng.random() < 0.5:
        words.append(rng.choice(RARE))
    return " ".join(words)


def make_ticket(rng: random.Random, tid: str, i: int, total: int) -> tuple[Ticket, str]:
    created = NOW - timedelta(days=365) + timedelta(seconds=365 * 86400 * i / total)
    priority = rng.choice(list(Priority))
    status = rng.choices([Status.CLOSED, Status.OPEN, Status.PENDING], weights=[85, 10, 5])[0]
    requester = Actor(platform=rng.choice(["discord", "slack", "api"]), user_id=f"u{rng.randrange(50000)}",
                      name=f"user{rng.randrange(50000)}")  # fmt: skip
    t = Ticket(
        id=tid, subject=sentence(rng, rng.randint(3, 8))[:150].capitalize(), category=rng.choice(CATEGORIES),
        priority=priority, status=status, requester=requester, created_at=created, updated_at=created,
    )  # fmt: skip
    if status is not Status.OPEN or rng.random() < 0.3:
        t.first_response_at = created + timedelta(minutes=rng.randint(5, 3000))
        t.sla_breached = rng.random() < 0.1
    if status is Status.CLOSED:
        t.closed_at = created + timedelta(hours=rng.randint(1, 200))
        t.rating = rng.randint(1, 5) if rng.random() < 0.3 else None
    if status is Status.OPEN:
        t.waiting_since = created
        t.sla_due_at = created + {"Low": timedelta(hours=48), "Medium": timedelta(hours=24),
                                  "High": timedelta(hours=4), "Urgent": timedelta(hours=1)}[priority.value]  # fmt: skip
    return t, sentence(rng, rng.randint(8, 30))


async def generate(url: str, total: int, batch: int = 10000) -> None:
    engine = build_engine(url)
    await upgrade(engine)
    postgres = engine.dialect.name == "postgresql"
    async with engine.begin() as conn:
        existing = (await conn.execute(text("SELECT count(*) FROM tickets"))).scalar_one()
        if existing:
            print(f"{url}: already holds {existing} tickets; delete it to regenerate")
            await engine.dispose()
            return
    rng = random.Random(SEED)
    next_id = ids(rng)
    cube: dict[tuple[str, str], dict[str, int]] = {}
    started = time.perf_counter()
    for start in range(0, total, batch):
        rows, msgs, docs, ratings = [], [], [], []
        for i in range(start, min(total, start + batch)):
            t, body = make_ticket(rng, next(next_id), i, total)
            values = ticket_values(t)
            values["pk"] = i + 1
            rows.append(values)
            msgs.append({"ticket_id": t.id, "author_platform": t.requester.platform, "author_id": t.requester.user_id,
                         "author_name": t.requester.name, "role": "requester", "body": body, "internal": False,
                         "attachments": [], "created_at": t.created_at})  # fmt: skip
            docs.append({"pk": i + 1, "subject": t.subject, "body": body})
            if t.rating is not None and t.closed_at is not None:
                ratings.append({"ticket_id": t.id, "field": "rating", "old": None, "new": str(t.rating),
                                "actor_platform": t.requester.platform, "actor_id": t.requester.user_id,
                                "actor_name": t.requester.name, "at": t.closed_at + timedelta(hours=1)})  # fmt: skip
            for key, vec in contribution(t).items():
                acc = cube.setdefault(key, {})
                for name, value in vec.items():
                    acc[name] = acc.get(name, 0) + value
        async with engine.begin() as conn:
            await conn.execute(tickets.insert(), rows)
            await conn.execute(messages.insert(), msgs)
            if ratings:
                await conn.execute(history.insert(), ratings)
            if postgres:
                sql = ("INSERT INTO ticket_search (pk, doc, notes) VALUES (:pk, setweight(to_tsvector('simple', "
                       ":subject), 'A') || to_tsvector('simple', :body), ''::tsvector)")  # fmt: skip
            else:
                sql = "INSERT INTO ticket_search (rowid, subject, body, notes) VALUES (:pk, :subject, :body, '')"
            await conn.execute(text(sql), docs)
        done = min(total, start + batch)
        if done % (batch * 10) == 0 or done == total:
            print(f"  {done:>9,} tickets  {time.perf_counter() - started:6.1f}s", flush=True)
    async with engine.begin() as conn:
        await conn.execute(
            ticket_stats.insert(),
            [{"category": c, "priority": p, **{n: v.get(n, 0) for n in STAT_COLUMNS}} for (c, p), v in cube.items()],
        )
        if postgres:
            await conn.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'pk'), :n)"), {"n": total})
            await conn.execute(text("ANALYZE"))
        else:
            await conn.execute(text("ANALYZE"))
    await engine.dispose()
    print(f"generated {total:,} tickets in {time.perf_counter() - started:.1f}s into {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--url", default="sqlite+aiosqlite:///bench/data/tickets-1m.db")
    args = parser.parse_args()
    if args.url.startswith("sqlite"):
        Path(args.url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(generate(args.url, args.tickets))


if __name__ == "__main__":
    main()
