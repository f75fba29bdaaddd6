"""The REST API's cost over the desk it calls, and webhook ingestion of an alert storm.

1. Create and search, each ``--requests`` times from ``--clients`` concurrent clients: first on the ``Desk``
   directly (``desk.execute`` in this process), then through the API of a real ``ticketbot run`` in another
   process (uvicorn, FastAPI, auth, JSON) on the same kind of database. p50/p99 latency, throughput, and the
   API ÷ desk ratio of each, measured in the same run.
2. An alert storm: ``--alerts`` firing Alertmanager notifications of 10 groups, signed, posted by
   ``--clients`` concurrent senders: alerts/s and the tickets made (10 expected: one per group).

    .venv/bin/python bench/web_bench.py [--clients 50] [--requests 1000] [--alerts 1000] [--database-url URL]

Without ``--database-url`` each part runs on a fresh SQLite file (PostgreSQL: pass an empty, migrated
database; it is truncated between parts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TICKETBOT = str(Path(sys.executable).with_name("ticketbot"))
TOKEN = "bench-token"
SECRET = "bench-secret"
WORDS = "login error printer invoice refund password dashboard export timeout crash billing upload".split()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def hammer(clients: int, requests: int, call: Callable[[int], Awaitable[None]]) -> tuple[list[float], float]:
    """``requests`` calls from ``clients`` concurrent workers: (latencies in s, wall time in s)."""
    latencies: list[float] = []
    queue = iter(range(requests))

    async def worker() -> None:
        for i in queue:
            start = time.perf_counter()
            await call(i)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, time.perf_counter() - start


def subject(i: int) -> str:
    rng = random.Random(i)
    return f"{rng.choice(WORDS)} {rng.choice(WORDS)} problem #{i}"


async def fresh_database(url: str | None, folder: Path, name: str) -> str:
    from core.storage.engine import build_engine
    from core.storage.migrate import upgrade

    if url is None:
        url = f"sqlite+aiosqlite:///{folder / name}.db"
        engine = build_engine(url)
        await upgrade(engine)
    else:
        from sqlalchemy import text

        from tests.conftest import TABLES

        engine = build_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    await engine.dispose()
    return url


# ------------------------------------------------------------------------------------------------ desk
async def on_the_desk(url: str, clients: int, requests: int) -> dict[str, tuple[list[float], float]]:
    from bot.bootstrap import open_runtime
    from bot.settings import load_settings
    from core.commands import OpenTicket, Search
    from core.model import Actor

    runtime = await open_runtime(load_settings(database_url=url, max_open_per_user=1_000_000))
    staff = Actor("api", "api", "API", is_staff=True)
    try:

        async def create(i: int) -> None:
            who = Actor("api", f"u{i % 500}", f"User {i % 500}")
            await runtime.desk.execute(OpenTicket(subject(i), "body " * 20, requester=who), staff)

        async def search(i: int) -> None:
            await runtime.desk.execute(Search(f"{WORDS[i % len(WORDS)]} status:open", 20, 0), staff)

        return {
            "create": await hammer(clients, requests, create),
            "search": await hammer(clients, requests, search),
        }
    finally:
        await runtime.close()


# ------------------------------------------------------------------------------------------------ API
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def serve(url: str, extra: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBOT_")}
    env.update({
        "TICKETBOT_DATABASE_URL": url, "TICKETBOT_HTTP__PORT": str(port), "TICKETBOT_API_TOKENS": TOKEN,
        "TICKETBOT_WEBHOOK_SECRET": SECRET, "TICKETBOT_MAX_OPEN_PER_USER": "1000000", "TICKETBOT_LOG_LEVEL": "WARNING",
        **(extra or {}),
    })  # fmt: skip
    proc = subprocess.Popen([TICKETBOT, "run", "--no-console"], env=env, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"{base}/readyz") as resp:
                    if resp.status == 200:
                        return proc, base
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    proc.kill()
    raise RuntimeError("ticketbot did not become ready")


async def through_the_api(url: str, clients: int, requests: int) -> dict[str, tuple[list[float], float]]:
    proc, base = await serve(url)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    try:
        connector = aiohttp.TCPConnector(limit=clients)
        async with aiohttp.ClientSession(connector=connector, headers=headers) as http:

            async def create(i: int) -> None:
                body = {"subject": subject(i), "description": "body " * 20, "requester": {"id": f"u{i % 500}"}}
                async with http.post(f"{base}/api/v1/tickets", data=json.dumps(body)) as resp:
                    assert resp.status == 201, await resp.text()
                    await resp.read()

            async def search(i: int) -> None:
                params = {"q": f"{WORDS[i % len(WORDS)]} status:open"}
                async with http.get(f"{base}/api/v1/search", params=params) as resp:
                    assert resp.status == 200, await resp.text()
                    await resp.read()

            return {
                "create": await hammer(clients, requests, create),
                "search": await hammer(clients, requests, search),
            }
    finally:
        proc.terminate()
        proc.wait(30)


# ------------------------------------------------------------------------------------------------ storm
async def alert_storm(url: str, clients: int, alerts: int) -> tuple[float, int, int]:
    from adapters.web.auth import sign

    proc, base = await serve(url)
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as http:

            async def send(i: int) -> None:
                group = f"Storm{i % 10}"
                body = json.dumps({
                    "version": "4", "groupKey": f'{{}}:{{alertname="{group}"}}', "status": "firing",
                    "receiver": "ticketbot", "groupLabels": {"alertname": group},
                    "commonLabels": {"alertname": group, "severity": "critical"},
                    "commonAnnotations": {"summary": f"{group} is burning"}, "externalURL": "http://am:9093",
                    "truncatedAlerts": 0,
                    "alerts": [{"status": "firing", "labels": {"alertname": group, "instance": f"node-{i}",
                                "severity": "critical"}, "annotations": {"description": f"alert {i}"},
                                "startsAt": "2026-12-01T09:00:00Z", "fingerprint": f"{i:016x}"}],
                }).encode()  # fmt: skip
                stamp = int(time.time())
                headers = {"Content-Type": "application/json", "X-Ticketbot-Timestamp": str(stamp),
                           "X-Ticketbot-Signature": sign(SECRET, stamp, body)}  # fmt: skip
                async with http.post(f"{base}/hooks/alertmanager", data=body, headers=headers) as resp:
                    assert resp.status == 200, await resp.text()
                    await resp.read()

            _, wall = await hammer(clients, alerts, send)
            auth = {"Authorization": f"Bearer {TOKEN}"}
            async with http.get(f"{base}/api/v1/tickets", headers=auth, params={"limit": "100"}) as resp:
                tickets = (await resp.json())["total"]
            async with http.get(f"{base}/metrics") as resp:
                text = await resp.text()
            created = next(int(float(ln.split()[-1])) for ln in text.splitlines()
                           if ln.startswith("ticketbot_tickets_created_total"))  # fmt: skip
            return wall, tickets, created
    finally:
        proc.terminate()
        proc.wait(30)


def row(name: str, desk: tuple[list[float], float], api: tuple[list[float], float]) -> str:
    (d, dw), (a, aw) = desk, api
    dp50, dp99, ap50, ap99 = (percentile(x, q) * 1000 for x in (d, a) for q in (0.5, 0.99))
    return (
        f"| {name} | {dp50:.1f} | {dp99:.1f} | {len(d) / dw:,.0f} | {ap50:.1f} | {ap99:.1f} | {len(a) / aw:,.0f} "
        f"| {ap50 / dp50:.2f}× | {ap99 / dp99:.2f}× |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="web-bench-"))
    kind = "SQLite" if args.database_url is None else "PostgreSQL"

    desk = await on_the_desk(await fresh_database(args.database_url, folder, "desk"), args.clients, args.requests)
    api = await through_the_api(await fresh_database(args.database_url, folder, "api"), args.clients, args.requests)
    storm = await alert_storm(await fresh_database(args.database_url, folder, "storm"), args.clients, args.alerts)

    print(
        f"{kind}, {args.clients} concurrent clients, {args.requests:,} calls of each (load {os.getloadavg()[0]:.1f})\n"
    )
    print(
        "| call | desk p50 ms | desk p99 ms | desk ops/s | API p50 ms | API p99 ms | API ops/s | p50 ÷ desk | p99 ÷ desk |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in ("create", "search"):
        print(row(name, desk[name], api[name]))
    wall, tickets, created = storm
    print("\n| alert storm | alerts | groups | seconds | alerts/s | tickets made |")
    print("|---|---|---|---|---|---|")
    print(
        f"| Alertmanager v4, signed | {args.alerts:,} | 10 | {wall:.1f} | {args.alerts / wall:,.0f} | {tickets} ({created} created) |"
    )
    print(f"\nmedian desk create {statistics.median(desk['create'][0]) * 1000:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
