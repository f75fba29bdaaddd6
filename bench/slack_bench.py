"""Slack adapter benchmark: /ticket ack latency under a burst, against a bare Bolt app, in one run.

    .venv/bin/python bench/slack_bench.py [--requests 200,20] [--rounds 6] [--seed 7] [--gc-freeze]

Three processes: the fake Slack (Web API + response_url sink); the load generator, which plays Slack —
it signs N ``/ticket`` requests and sends them all at once over fresh connections; and the server, which
serves on the same FastAPI + uvicorn stack (``adapters.web``) both

- ticketbot's Slack app as bootstrap wires it (SQLite database, desk, outbox dispatcher, ``build_slack``), and
- a bare Bolt app whose ``/ticket`` listener only acks — the floor for this stack.

Measured per request: send → HTTP response (Slack's 3-second clock). Variants, interleaved and rotated per
round so machine noise hits all of them: ``bare`` (ack only), ``/ticket`` (ack, then views.open), ``/ticket list``
(ack, then a desk query and an ephemeral answer). One table per burst size (the first is the issue's 200;
a smaller one shows the stack's floor without queueing). Prints tables; asserts nothing.
Targets (issue 3): p99 ≤ 50 ms and ≤ 1.5× the bare app's p99, for 200 concurrent requests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_P99_MS = 50.0
TARGET_RATIO = 1.5


# ------------------------------------------------------------------------------------------ child: fake Slack
async def fake_main() -> None:
    """Slack's side, in its own process so it competes with neither the app nor the load generator."""
    from tests.fakes.slack import FakeSlack

    fake = await FakeSlack(strict_triggers=False).start()
    for i in range(50):
        fake.add_user(f"U{i:04d}", f"user {i}")
    print(f"READY {fake.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    calls = len(fake.calls)
    await fake.close()
    print(f"CALLS {calls}", flush=True)


# ------------------------------------------------------------------------------------------ child: the servers
async def child_main() -> None:
    from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.app import build_slack
    from adapters.web.app import build_web_app
    from adapters.web.server import WebServer
    from bot.bootstrap import open_runtime
    from bot.settings import load_settings

    settings = load_settings()
    runtime = await open_runtime(settings)
    slack = build_slack(settings, runtime.desk)
    runtime.add_notifier(slack.notifier)
    runtime.start_dispatcher()
    await slack.start()
    ours = await WebServer(build_web_app(slack_handler=slack.request_handler), port=0).start()

    s = settings.slack
    assert s.bot_token is not None and s.signing_secret is not None
    bare = AsyncApp(
        client=AsyncWebClient(token=s.bot_token.get_secret_value(), base_url=s.api_url),
        signing_secret=s.signing_secret.get_secret_value(),
        name="bare",
    )

    @bare.command("/ticket")
    async def only_ack(ack):  # type: ignore[no-untyped-def]
        await ack()

    floor = await WebServer(build_web_app(slack_handler=AsyncSlackRequestHandler(bare)), port=0).start()
    if os.environ.get("SLACK_BENCH_GC_FREEZE") == "1":
        import gc

        gc.collect()
        gc.freeze()  # startup objects out of the collector's way: full collections scan far fewer objects
    loop_name = type(asyncio.get_running_loop()).__module__.split(".")[0]
    http = "httptools" if _has("httptools") else "h11"
    print(f"READY {ours.port} {floor.port} {loop_name}+{http}", flush=True)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runtime.stop.set)
    await runtime.stop.wait()
    await slack.stop()
    await ours.stop()
    await floor.stop()
    await runtime.close()


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


# ------------------------------------------------------------------------------------------ parent: Slack
def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def burst(url: str, forms: list[dict[str, str]], secret: str) -> tuple[list[float], int]:
    """Send every signed form at once (one fresh connection each); latencies in ms and the error count."""
    import aiohttp
    from slack_sdk.signature import SignatureVerifier

    verifier = SignatureVerifier(secret)
    bodies = []
    for form in forms:  # signed before the clock starts
        body = urlencode(form)
        ts = str(int(time.time()))
        bodies.append(
            (
                body.encode(),
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Slack-Request-Timestamp": ts,
                    "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
                },
            )
        )
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    errors = 0
    async with aiohttp.ClientSession(connector=connector) as session:
        start = asyncio.Event()

        async def one(body: bytes, headers: dict[str, str]) -> float:
            nonlocal errors
            await start.wait()
            t0 = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    errors += 1
            return (time.perf_counter() - t0) * 1000

        tasks = [asyncio.create_task(one(b, h)) for b, h in bodies]
        await asyncio.sleep(0.05)  # every task is parked on the start line
        start.set()
        latencies = await asyncio.gather(*tasks)
    return list(latencies), errors


async def spawn(mode: str, env: dict[str, str]) -> tuple[asyncio.subprocess.Process, list[str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, mode, env=env, stdout=subprocess.PIPE, cwd=str(ROOT)
    )
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().split()
    assert line and line[0] == "READY", f"{mode} failed to start: {line}"
    return proc, line


async def parent_main(args: argparse.Namespace) -> None:
    from tests.fakes.slack import APP_ID, BOT_TOKEN, SIGNING_SECRET, TEAM_ID

    rng = random.Random(args.seed)
    fake, fake_line = await spawn("--fake", dict(os.environ))
    api_base = f"http://127.0.0.1:{fake_line[1]}"
    tmp = tempfile.mkdtemp(prefix="slack-bench-")
    env = {
        **os.environ,
        "TICKETBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
        "TICKETBOT_SLACK__BOT_TOKEN": BOT_TOKEN,
        "TICKETBOT_SLACK__SIGNING_SECRET": SIGNING_SECRET,
        "TICKETBOT_SLACK__API_URL": f"{api_base}/api/",
        "TICKETBOT_SLACK__STAFF_CHANNEL": "C0STAFF",
        "TICKETBOT_SLACK__STAFF_USERS": "U0000",
        "TICKETBOT_LOG_LEVEL": "WARNING",
    }
    if args.gc_freeze:
        env["SLACK_BENCH_GC_FREEZE"] = "1"
    child, line = await spawn("--child", env)
    ours_url = f"http://127.0.0.1:{line[1]}/slack/events"
    bare_url = f"http://127.0.0.1:{line[2]}/slack/events"
    serial = iter(range(10**9))

    def forms(text: str, n: int) -> list[dict[str, str]]:
        out = []
        for _ in range(n):
            k, user = next(serial), f"U{rng.randrange(50):04d}"
            out.append(
                {
                    "token": "unused",
                    "team_id": TEAM_ID,
                    "team_domain": "fake-team",
                    "channel_id": "C0GENERAL",
                    "channel_name": "general",
                    "user_id": user,
                    "user_name": user.lower(),
                    "command": "/ticket",
                    "text": text,
                    "api_app_id": APP_ID,
                    "is_enterprise_install": "false",
                    "response_url": f"{api_base}/response/r{k}",
                    "trigger_id": f"{k}.{rng.getrandbits(48):x}",
                }
            )
        return out

    variants = {"bare Bolt (ack only)": (bare_url, ""), "/ticket": (ours_url, ""), "/ticket list": (ours_url, "list")}
    sizes = [int(n) for n in str(args.requests).split(",")]
    results = {size: {name: [] for name in variants} for size in sizes}
    errors = {size: dict.fromkeys(variants, 0) for size in sizes}
    try:
        for url, text in variants.values():  # warm up: auth.test, imports, connection setup, caches
            await burst(url, forms(text, 20), SIGNING_SECRET)
        await asyncio.sleep(1.0)
        names = list(variants)
        for size in sizes:
            for r in range(args.rounds):
                for name in names[r % len(names) :] + names[: r % len(names)]:  # no variant always goes first
                    url, text = variants[name]
                    latencies, failed = await burst(url, forms(text, size), SIGNING_SECRET)
                    results[size][name] += latencies
                    errors[size][name] += failed
                    await asyncio.sleep(0.3 + size / 150)  # let after-ack work finish: each burst starts idle
    finally:
        child.send_signal(signal.SIGTERM)
        await asyncio.wait_for(child.wait(), 30)
        fake.send_signal(signal.SIGTERM)
        assert fake.stdout is not None
        tail = (await asyncio.wait_for(fake.stdout.read(), 30)).decode().split()
        await fake.wait()
    web_api_calls = int(tail[-1]) if tail and tail[-1].isdigit() else -1

    print(
        f"\n/ticket ack latency (send → HTTP response), FastAPI + uvicorn on 127.0.0.1, {os.cpu_count()} CPUs, "
        f"server {line[3]}{' + gc.freeze()' if args.gc_freeze else ''}, {args.rounds} rounds per burst size, seed {args.seed}"
    )
    for size in sizes:
        bare_p99 = percentile(results[size]["bare Bolt (ack only)"], 99)
        print(f"\n{size} concurrent signed requests per burst")
        header = f"{'variant':<22} {'n':>5} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6} {'p99/bare':>9}"
        print(header)
        print("-" * len(header))
        for name, values in results[size].items():
            p99 = percentile(values, 99)
            print(
                f"{name:<22} {len(values):>5} {statistics.median(values):>8.1f} {percentile(values, 90):>8.1f} "
                f"{p99:>8.1f} {max(values):>8.1f} {errors[size][name]:>6} {p99 / bare_p99:>8.2f}×"
            )
        for name in ("/ticket", "/ticket list"):
            p99 = percentile(results[size][name], 99)
            ok_abs, ok_ratio = p99 <= TARGET_P99_MS, p99 <= TARGET_RATIO * bare_p99
            print(
                f"  {name}: p99 {p99:.1f} ms — ≤ {TARGET_P99_MS:.0f} ms: {'yes' if ok_abs else 'NO'}; "
                f"≤ {TARGET_RATIO}× bare ({TARGET_RATIO * bare_p99:.1f} ms): {'yes' if ok_ratio else 'NO'}"
            )
    print(f"\nWeb API calls the fake Slack answered (warm-up included): {web_api_calls}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", default="200,20", help="burst sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--gc-freeze", action="store_true", help="call gc.freeze() in the server once started (what bootstrap could do)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fake", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _run_child(child_main)
    elif args.fake:
        asyncio.run(fake_main())
    else:
        asyncio.run(parent_main(args))


def _run_child(coro_fn) -> None:  # type: ignore[no-untyped-def]
    try:  # uvicorn picks httptools by itself when installed; the loop is ours to choose
        import uvloop

        uvloop.run(coro_fn())
    except ImportError:
        asyncio.run(coro_fn())


if __name__ == "__main__":
    main()
