"""Memory benchmark: RSS of ``ticketbot run`` with Slack and Discord on the 1,000,000-ticket database.

    .venv/bin/python bench/generate.py                 # once: bench/data/tickets-1m.db
    .venv/bin/python bench/memory_bench.py [--db bench/data/tickets-1m.db] [--users 100] [--rounds 3]

The parent process runs the fake Slack and the fake Discord (as tests/e2e/test_flagship.py starts them) and
plays the people; the child is the real ``ticketbot run`` (``python -m bot run``) on a copy of the database,
Slack over signed HTTP, Discord on the fake gateway. Measured (``/proc/PID/status``): RSS at idle after
start-up; then per round a burst — N Discord users opening a ticket at once (slash command, modal submit;
each gets a private thread with a pinned card, and a card in the Slack staff channel) followed by N staff
searches (of 160 shapes) and N/10 statistics from Slack — and the RSS after it. A cache that
grows without bound shows as RSS climbing round after round; the peak (VmHWM) is printed too. Target: under
150 MiB at idle and after the bursts. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.slack.harness import ALICE, STAFF_CHANNEL, cast  # noqa: E402
from tests.fakes.discord import FakeDiscord  # noqa: E402
from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, SlackSender  # noqa: E402

WORDS = "login error dashboard invoice refund crash password reset export report slow timeout".split()
FILTERS = ["", "status:open", "priority:high", "category:billing", "created:30d", "requester:u1", "assignee:none",
           "status:open,pending priority:low", '"error dashboard"', "log*"]  # fmt: skip


def search_words(rng: random.Random) -> str:
    """A staff search of one of 160 shapes (1–4 words, two filters): SQLAlchemy compiles and caches one
    statement per shape, so varied searches are what fill its statement cache."""
    return " ".join([*rng.sample(WORDS, rng.randint(1, 4)), rng.choice(FILTERS), rng.choice(FILTERS[:4])])


LIMIT_MIB = 150


def status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) in MiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def traced_child(report: Path) -> None:
    """``ticketbot run`` under tracemalloc; on SIGUSR1 it writes what grew since the last snapshot."""
    import tracemalloc

    tracemalloc.start(8)
    last = [tracemalloc.take_snapshot()]

    def dump(*_: object) -> None:
        now = tracemalloc.take_snapshot()
        top = now.compare_to(last[0], "traceback")[:12]
        with report.open("a") as out:
            out.write(f"--- total traced {tracemalloc.get_traced_memory()[0] / 2**20:.1f} MiB\n")
            for stat in top:
                out.write(f"{stat.size_diff / 1024:+.0f} KiB in {stat.count_diff:+d} blocks\n")
                out.write("".join(f"    {line}\n" for line in stat.traceback.format()[-8:]))
        last[0] = now

    signal.signal(signal.SIGUSR1, dump)
    from bot.cli import main as cli_main

    cli_main(["run", "--no-console"])


async def main(db: Path, users: int, rounds: int, trace: Path | None) -> None:
    discord = FakeDiscord()
    people = [discord.add_user(f"user{n:03d}", f"User {n}") for n in range(users * rounds)]
    slack = FakeSlack()
    cast(slack)
    await discord.start()
    await slack.start()
    tmp = Path(tempfile.mkdtemp(prefix="memory-bench-"))
    copy = tmp / "tickets.db"
    print(f"copying {db} ({db.stat().st_size / 2**30:.1f} GiB)…", flush=True)
    shutil.copyfile(db, copy)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TICKETBOT_")},
        "TICKETBOT_DATABASE_URL": f"sqlite+aiosqlite:///{copy}",
        "TICKETBOT_LOG_LEVEL": "WARNING",
        "TICKETBOT_HTTP__PORT": str(port),
        "TICKETBOT_SLACK__BOT_TOKEN": BOT_TOKEN,
        "TICKETBOT_SLACK__SIGNING_SECRET": SIGNING_SECRET,
        "TICKETBOT_SLACK__API_URL": slack.api_url,
        "TICKETBOT_SLACK__STAFF_CHANNEL": STAFF_CHANNEL,
        "TICKETBOT_SLACK__STAFF_USERS": ALICE,
        "TICKETBOT_DISCORD__TOKEN": discord.token,
        "TICKETBOT_DISCORD__API_URL": discord.api_url,
        "TICKETBOT_DISCORD__GATEWAY_URL": discord.gateway_url,
        "TICKETBOT_DISCORD__GUILD_ID": str(discord.guild.id),
        "TICKETBOT_DISCORD__SUPPORT_CHANNEL_ID": str(discord.support.id),
        "TICKETBOT_DISCORD__STAFF_ROLE_ID": str(discord.staff_role.id),
        "TICKETBOT_DISCORD__LOG_CHANNEL_ID": str(discord.log_channel.id),
        "TICKETBOT_DISCORD__GUILD_READY_TIMEOUT": "0.2",
    }
    command = [sys.executable, "-m", "bot", "run", "--no-console"]
    if trace is not None:
        command = [sys.executable, str(Path(__file__).resolve()), "--child-trace", str(trace)]
    child = subprocess.Popen(command, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)
    rows: list[list[str]] = []
    rng = random.Random(5)
    try:
        await discord.wait_until(lambda: discord.identifies, 60, "the bot's IDENTIFY")
        await asyncio.sleep(5)
        if trace is not None:
            child.send_signal(signal.SIGUSR1)
            await asyncio.sleep(5)
        idle = status(child.pid)
        rows.append(["idle, after start-up", f"{idle['VmRSS']:.0f}", f"{idle['VmHWM']:.0f}", "—"])
        async with SlackSender(f"http://127.0.0.1:{port}/slack/events", slack) as sender:
            for n in range(rounds):
                batch = people[n * users : (n + 1) * users]
                started = time.monotonic()
                opens = await asyncio.gather(*(discord.slash(u, "ticket open") for u in batch))
                await asyncio.gather(*(ix.response(within=60) for ix in opens))  # the modals
                submits = await asyncio.gather(*(
                    discord.submit_modal(ix, {"subject": f"Burst {n} ticket {i}", "description": "memory bench"})
                    for i, ix in enumerate(opens)
                ))  # fmt: skip
                await asyncio.gather(*(ix.reply(within=120) for ix in submits))
                cards = n * users + users
                await slack.wait_for(
                    "chat.postMessage", timeout=120, channel=STAFF_CHANNEL,
                    where=lambda c, cards=cards: len(slack.calls_to("chat.postMessage", channel=STAFF_CHANNEL))
                    >= cards,
                )  # fmt: skip
                await discord.wait_until(
                    lambda cards=cards: sum(1 for t in discord.threads() if discord.pins(t)) >= cards, 120
                )
                for i in range(users):  # staff searches (each with its own words) and statistics from Slack
                    await sender.command(f"search {search_words(rng)}", user_id=ALICE)
                    if i % 10 == 0:
                        await sender.command("stats", user_id=ALICE)
                await asyncio.sleep(3)
                if trace is not None:
                    child.send_signal(signal.SIGUSR1)
                    await asyncio.sleep(5)
                after = status(child.pid)
                rows.append([f"after burst {n + 1} ({users} Discord opens, {users} searches)", f"{after['VmRSS']:.0f}",
                             f"{after['VmHWM']:.0f}", f"{time.monotonic() - started:.1f} s"])  # fmt: skip
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
        await discord.close()
        await slack.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nRSS of `ticketbot run` (Slack + Discord) on {db.name}; target < {LIMIT_MIB} MiB")
    header = ["moment", "RSS MiB", "peak MiB", "burst took"]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "data" / "tickets-1m.db")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trace", type=Path, help="run the bot under tracemalloc; write what grew to this file")
    parser.add_argument("--child-trace", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_trace:
        traced_child(args.child_trace)
    else:
        asyncio.run(main(args.db, args.users, args.rounds, args.trace))
