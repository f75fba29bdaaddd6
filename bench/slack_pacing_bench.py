"""Slack posting pace: a burst of new tickets to one staff channel under Slack's per-channel limit.

    .venv/bin/python bench/slack_pacing_bench.py [--tickets 100] [--rate 1.0] [--burst 3] [--variants paced,reactive]

The fake Slack enforces the limit (``limit_channel_posts``: a token bucket of ``--burst`` posts refilled at
``--rate`` per second, 429 + ``Retry-After`` beyond it). ticketbot runs as ``bot.bootstrap`` composes it: a
SQLite database, the desk, ``build_slack`` and the outbox dispatcher on the real clock. The tickets are
opened one after another before the dispatcher starts (a flood), then the clock runs until every card is in.

Variants, one run each:
- ``paced``: the adapter as shipped — posts spaced at ``--rate`` per channel (``core.pacing``), cards in line;
- ``reactive``: no pacing, only Retry-After honoured (the channel held, the event retried by the outbox).

Reported per variant: time from the start of delivery to the last card, the limit's floor for that many posts
(``(tickets - burst) / rate``: nothing can be faster) and the ratio, the 429s Slack answered, whether the cards
came in the order the tickets were opened, and duplicates. Prints a table; asserts nothing. The issue's number
is the ``paced`` row at ``--rate 1`` with 100 tickets (about 100 s); ``--rate 10`` shows the same shape in 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STAFF_CHANNEL = "C0STAFF"
TICKET_ID = re.compile(r"TKT-[0-9A-Z]{5}")


async def run_variant(name: str, *, tickets: int, rate: float, burst: int) -> dict[str, object]:
    from adapters.slack.app import build_slack
    from bot.bootstrap import open_runtime
    from bot.settings import Settings
    from core.model import Actor
    from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack

    fake = await FakeSlack().start()
    fake.add_user("U0STAFF", "Alice")
    fake.limit_channel_posts(per_second=rate, burst=burst)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=f"sqlite+aiosqlite:///{folder}/bench.db",
            slack={
                "bot_token": BOT_TOKEN,
                "signing_secret": SIGNING_SECRET,
                "api_url": fake.api_url,
                "staff_channel": STAFF_CHANNEL,
                "staff_users": ["U0STAFF"],
            },
        )
        runtime = await open_runtime(settings)
        slack = build_slack(settings.slack, runtime.desk, posts_per_second=rate if name == "paced" else 0)
        runtime.add_notifier(slack.notifier)
        await slack.start()
        opened = []
        for i in range(tickets):
            requester = Actor("api", f"user{i}", f"User {i}")
            opened.append((await runtime.desk.create_ticket(subject=f"Outage {i}", requester=requester)).id)
        started = time.perf_counter()
        runtime.start_dispatcher()
        last_card = 0.0
        while True:
            cards = [m for m in fake.posts(STAFF_CHANNEL) if m.get("thread_ts") in (None, m["ts"])]
            if len(cards) >= tickets:
                last_card = time.perf_counter() - started
                break
            if time.perf_counter() - started > 20 * tickets / rate + 60:
                raise SystemExit(f"{name}: only {len(cards)} of {tickets} cards after the time limit")
            await asyncio.sleep(0.02)
        pending = await runtime.db.read(lambda uow: uow.outbox.pending("slack"))
        await runtime.close()
        await slack.stop()
    await fake.close()
    ids = [TICKET_ID.search(m["text"]).group(0) for m in cards]  # type: ignore[union-attr]
    floor = max(0, tickets - burst) / rate
    return {
        "variant": name,
        "last": last_card,
        "floor": floor,
        "refused": len([c for c in fake.calls_to("chat.postMessage") if c.limited]),
        "in_order": ids == opened,
        "duplicates": len(ids) - len(set(ids)),
        "left": pending,
    }


async def parent_main(args: argparse.Namespace) -> None:
    rows = []
    for name in args.variants.split(","):
        rows.append(await run_variant(name, tickets=args.tickets, rate=args.rate, burst=args.burst))
    print(
        f"\n{args.tickets} tickets opened at once, one Slack staff channel limited to {args.rate:g} post/s "
        f"(bursts of {args.burst}); one run per variant"
    )
    header = f"{'variant':<10} {'last card s':>12} {'floor s':>9} {'ratio':>7} {'429s':>6} {'in order':>9} {'dupes':>6}"
    print(header)
    print("-" * len(header))
    for r in rows:
        ratio = r["last"] / r["floor"] if r["floor"] else float("nan")  # type: ignore[operator]
        print(
            f"{r['variant']:<10} {r['last']:>12.1f} {r['floor']:>9.1f} {ratio:>7.2f} {r['refused']:>6} "
            f"{'yes' if r['in_order'] else 'no':>9} {r['duplicates']:>6}"
        )


def main() -> None:
    logging.disable(logging.WARNING)  # the reactive variant's postponed deliveries are expected, not news
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1.0, help="the channel's limit, posts per second")
    parser.add_argument("--burst", type=int, default=3, help="posts the limit lets through at once")
    parser.add_argument("--variants", default="paced,reactive")
    asyncio.run(parent_main(parser.parse_args()))


if __name__ == "__main__":
    main()
