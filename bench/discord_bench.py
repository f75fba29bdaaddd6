"""Discord adapter benchmark: the real bot in its own process against the fake Discord (global limit on).

    .venv/bin/python bench/discord_bench.py [--tickets 100] [--limit 50]

The parent process runs the fake Discord (REST + gateway, 50 requests/s global limit, interaction
callbacks and interaction webhooks exempt, as on Discord) and plays the users; the child process is the
bot as bootstrap builds it (SQLite database, desk, outbox dispatcher, discord.py bot). Measured:

- time from spawning the bot process to the gateway IDENTIFY, and the bot's idle RSS;
- initial-response latency (dispatch → callback received) of N ``/ticket open`` and N modal submits
  arriving at once — the first response must not wait for database work;
- REST calls per opened ticket besides the interaction callback (rate-limited ones, and the exempt
  follow-up answer), and the time until all N threads are ready (created, card posted and pinned by the
  outbox dispatcher, each step under a delivery claim) and until all N requesters have their answer.

Prints a table; asserts nothing (timing belongs here, not in the test suite).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import pct  # noqa: E402

CALLBACK = "POST /interactions/{interaction_id}/{token}/callback"
TARGETS = {
    "start → IDENTIFY": "≤ 1.2 s",
    "idle RSS": "≤ 100 MiB",
    "open p99": "≤ 100 ms",
    "submit p99": "≤ 100 ms",
    "rate-limited calls / ticket": "≤ 3",
    "all threads ready": "≤ 7 s",
}


# ------------------------------------------------------------------------------------------ child: the bot
async def child_main() -> None:
    """The bot process: what bootstrap does for Discord, plus a READY line (with phase times) for the parent."""
    from adapters.discord.client import build_discord
    from bot.bootstrap import open_runtime
    from bot.settings import load_settings

    phases = {"imported": time.time()}
    settings = load_settings()
    runtime = await open_runtime(settings)
    phases["database ready"] = time.time()
    bot, notifier = build_discord(settings.discord, runtime.desk)
    runtime.add_notifier(notifier)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runtime.stop.set)
    token = settings.discord.token.get_secret_value()  # type: ignore[union-attr]
    bot_task = asyncio.create_task(bot.start(token))
    await asyncio.create_task(bot.wait_until_ready())  # scheduled after start(), which initialises the client
    runtime.start_dispatcher()
    print("READY " + json.dumps(phases), flush=True)
    await runtime.stop.wait()
    await runtime.close()
    await bot.close()
    await asyncio.gather(bot_task, return_exceptions=True)


# ------------------------------------------------------------------------------------------ parent
def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def parent_main(tickets: int, limit: int) -> dict[str, Any]:
    from tests.fakes.discord import FakeDiscord

    fake = FakeDiscord(global_limit=limit)
    users = [fake.add_user(f"user{n:03d}", f"User {n}") for n in range(tickets)]
    await fake.start()
    tmp = Path(tempfile.mkdtemp(prefix="discord-bench-"))
    env = {
        **os.environ,
        "TICKETBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
        "TICKETBOT_LOG_LEVEL": "WARNING",
        "TICKETBOT_DISCORD__TOKEN": fake.token,
        "TICKETBOT_DISCORD__API_URL": fake.api_url,
        "TICKETBOT_DISCORD__GATEWAY_URL": fake.gateway_url,
        "TICKETBOT_DISCORD__GUILD_ID": str(fake.guild.id),
        "TICKETBOT_DISCORD__SUPPORT_CHANNEL_ID": str(fake.support.id),
        "TICKETBOT_DISCORD__STAFF_ROLE_ID": str(fake.staff_role.id),
        "TICKETBOT_DISCORD__LOG_CHANNEL_ID": str(fake.log_channel.id),
        "TICKETBOT_DISCORD__GUILD_READY_TIMEOUT": "0.2",
    }
    spawned = time.time()
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).resolve()), "--child", env=env, cwd=tmp, stdout=subprocess.PIPE
    )
    results: dict[str, Any] = {}
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 30)
        if not line.startswith(b"READY "):
            raise SystemExit(f"the bot process did not start: {line!r}")
        phases = json.loads(line[len(b"READY ") :])
        results["start → IDENTIFY"] = f"{fake.identifies[0].at - spawned:.2f} s"
        results["  … imports done"] = f"{phases['imported'] - spawned:.2f} s"
        results["  … database migrated"] = f"{phases['database ready'] - spawned:.2f} s"
        await asyncio.sleep(2)
        results["idle RSS"] = f"{rss_mib(child.pid):.0f} MiB"

        # 1. N /ticket open at once → N modals
        opens = await asyncio.gather(*(fake.slash(u, "ticket open") for u in users))
        await asyncio.gather(*(ix.response(within=30) for ix in opens))
        open_ms = [ix.latency * 1000 for ix in opens]  # type: ignore[operator]
        results["open p50"] = f"{statistics.median(open_ms):.1f} ms"
        results["open p99"] = f"{pct(open_ms, 0.99):.1f} ms"

        # 2. N modal submits at once → N tickets, threads, cards
        before = len(fake.calls)
        started = time.monotonic()
        submits = await asyncio.gather(
            *(
                fake.submit_modal(ix, {"subject": f"Bench ticket {n}", "description": "load test"})
                for n, ix in enumerate(opens)
            )
        )
        await asyncio.gather(*(ix.response(within=30) for ix in submits))
        submit_ms = [ix.latency * 1000 for ix in submits]  # type: ignore[operator]
        results["submit p50"] = f"{statistics.median(submit_ms):.1f} ms"
        results["submit p99"] = f"{pct(submit_ms, 0.99):.1f} ms"

        def ready_threads() -> int:
            return sum(1 for t in fake.threads() if fake.pins(t))

        await fake.wait_until(lambda: ready_threads() >= tickets, 120, "all threads ready")
        results["all threads ready"] = f"{time.monotonic() - started:.2f} s"
        answers = await asyncio.gather(*(ix.reply(within=60) for ix in submits))
        results["all answers sent"] = f"{time.monotonic() - started:.2f} s"
        opened = sum("is open" in a.content for a in answers)
        results["answers with the thread"] = f"{sum('<#' in a.content for a in answers)}/{tickets}"
        await asyncio.sleep(1.5)  # nothing else is expected: the threads are made once
        made = fake.calls[before:]
        limited = [c for c in made if not c.exempt]
        ok = [c for c in limited if 200 <= c.status < 300]
        followups = [c for c in made if c.exempt and c.key != CALLBACK]
        results["tickets opened"] = f"{opened}/{tickets}"
        results["rate-limited calls / ticket"] = f"{len(ok) / tickets:.2f}"
        results["  … answered 429 (retried)"] = f"{sum(c.status == 429 for c in limited)}"
        results["exempt follow-ups / ticket"] = f"{len(followups) / tickets:.2f}"
        results["RSS after load"] = f"{rss_mib(child.pid):.0f} MiB"
        results["fake problems"] = ", ".join(fake.problems()) or "none"
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(child.wait(), 15)
            except TimeoutError:
                child.kill()
        await fake.close()
    return results


def print_table(results: dict[str, Any], tickets: int, limit: int) -> None:
    print(f"\nDiscord adapter — {tickets} users at once, fake Discord with a {limit} req/s global limit\n")
    width = max(len(k) for k in results) + 2
    print(f"{'measure':<{width}}{'value':>14}   target")
    print("-" * (width + 30))
    for key, value in results.items():
        print(f"{key:<{width}}{value:>14}   {TARGETS.get(key, '')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--limit", type=int, default=50, help="global REST requests per second")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args()
    if args.child:
        asyncio.run(child_main())
        return
    results = asyncio.run(parent_main(args.tickets, args.limit))
    print_table(results, args.tickets, args.limit)
    if args.json:
        print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
