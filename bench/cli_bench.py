"""How quick the CLI feels: wall time of ``ticketbot --version``, ``ticket show ID --json`` and ``ticket list`` on
a 10,000-ticket SQLite database, each as a ratio to the floor of any command that reads the database —
``python -c "import sqlalchemy.ext.asyncio, aiosqlite"`` — measured in the same run, interleaved.

    .venv/bin/python bench/cli_bench.py [--tickets 10000] [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
TICKETBOT = str(Path(PYTHON).with_name("ticketbot"))


async def build(url: str, n: int) -> str:
    from bot.bootstrap import open_runtime
    from bot.settings import load_settings
    from core.ids import TicketIdGenerator
    from core.model import Actor

    runtime = await open_runtime(load_settings(database_url=url))
    runtime.desk.ids = TicketIdGenerator(random.Random(7))
    staff = Actor(platform="cli", user_id="sam", name="Sam", is_staff=True)
    first = ""
    for i in range(n):
        who = Actor(platform="api", user_id=f"u{i % 500}", name=f"User {i % 500}")
        t = await runtime.desk.create_ticket(subject=f"Ticket {i} about login", message="body " * 20, requester=who)
        if i % 3 == 0:
            await runtime.desk.admin_reply_to_ticket(ticket_id=t.id, content="on it", actor=staff)
        first = first or t.id
    await runtime.close()
    return first


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cli-bench-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    os.environ["TICKETBOT_MAX_OPEN_PER_USER"] = "1000000"
    tid = asyncio.run(build(url, args.tickets))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBOT_")} | {"TICKETBOT_DATABASE_URL": url}
    cases = {
        "floor: import sqlalchemy.ext.asyncio, aiosqlite": [PYTHON, "-c", "import sqlalchemy.ext.asyncio, aiosqlite"],
        "python -c pass": [PYTHON, "-c", "pass"],
        "ticketbot --version": [TICKETBOT, "--version"],
        f"ticketbot ticket show {tid} --json": [TICKETBOT, "ticket", "show", tid, "--json"],
        "ticketbot ticket list": [TICKETBOT, "ticket", "list"],
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for argv in cases.values():  # warm the file cache
        timed(argv, env)
    for _ in range(args.runs):  # interleaved, so load changes hit every case alike
        for name, argv in cases.items():
            samples[name].append(timed(argv, env))
    floor = statistics.median(samples["floor: import sqlalchemy.ext.asyncio, aiosqlite"])
    print(f"{args.tickets:,} tickets, {args.runs} runs each, median wall time (load {os.getloadavg()[0]:.1f})\n")
    print("| command | median ms | p90 ms | ÷ floor |")
    print("|---|---|---|---|")
    for name, values in samples.items():
        values.sort()
        med, p90 = statistics.median(values), values[int(0.9 * (len(values) - 1))]
        print(f"| `{name}` | {med * 1000:.0f} | {p90 * 1000:.0f} | {med / floor:.2f}× |")


if __name__ == "__main__":
    main()
