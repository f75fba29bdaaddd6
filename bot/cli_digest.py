"""``ticketbot digest``: when the daily digest posts and where; post it now; or preview it without posting.

``--now`` queues the digest of the last complete day for every digest channel (one ``DigestDue`` per channel in
the outbox, as the scheduler does at ``TICKETBOT_DIGEST__TIME``); the running ticketbot posts it within a
second, even when the day's digest was posted already. ``--dry-run`` posts nothing: it writes the chart as a
PNG in the current directory and prints the text.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bot.cli import JSON, Failure, _emit, _run, app
from core import render
from core.events import DIGEST_KEY, DigestDue
from core.model import Actor

if TYPE_CHECKING:
    from core.timers import DigestPlan

NO_CHANNEL = (
    "no digest channel is configured: set TICKETBOT_DIGEST__SLACK_CHANNEL (with Slack) or "
    "TICKETBOT_DIGEST__DISCORD_CHANNEL_ID (with Discord)"
)


@app.command("digest")
def digest(
    now: bool = typer.Option(False, "--now", help="Post the digest of the last complete day now."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Post nothing: write the chart here, print the text."),
    as_json: bool = JSON,
) -> None:
    """The daily digest: when and where it posts; --now posts it, --dry-run previews it."""
    if now and dry_run:
        raise Failure("give --now or --dry-run, not both", "usage", 2)
    if dry_run:
        _preview(as_json)
    elif now:
        _post_now(as_json)
    else:
        _schedule(as_json)


def _preview(as_json: bool) -> None:
    from core.chart import render_chart
    from core.digest import digest_text

    async def work(rt: Any) -> tuple[str, str, bytes]:
        plan: DigestPlan = rt.desk.digest
        moment = rt.desk.clock.now()
        due = DigestDue(DIGEST_KEY, Actor.system(), plan.day_of(moment).isoformat(), zone=plan.tz.key)
        built = await rt.desk.queries.digest(due, now=moment)
        return due.day, digest_text(built), await asyncio.to_thread(render_chart, built)

    day, text, png = _run(work)
    path = Path.cwd() / f"digest-{day}.png"
    try:
        path.write_bytes(png)
    except OSError as exc:
        raise Failure(f"cannot write the chart to {path}: {exc.strerror or exc}", "cannot_write", 1) from None
    _emit(as_json, {"day": day, "text": text, "chart": str(path)}, lambda _: f"{text}\n\nChart: {path}")


def _post_now(as_json: bool) -> None:
    async def work(rt: Any) -> dict[str, DigestDue]:
        if not rt.desk.digest.channels:
            raise Failure(NO_CHANNEL, "not_configured", 2)
        queued: dict[str, DigestDue] = await rt.desk.queue_digest()
        return queued

    queued = _run(work)
    day = next(iter(queued.values())).day
    where = ", ".join(f"{render.platform_name(consumer)} {e.channel}" for consumer, e in queued.items())
    data = {
        "day": day,
        "queued": [{"consumer": c, "channel": e.channel, "event_id": e.event_id} for c, e in queued.items()],
    }
    _emit(as_json, data, lambda _: f"Queued the digest for {day} to {where}: the running ticketbot posts it.")


def _schedule(as_json: bool) -> None:
    from core.timers import TimerKind

    async def work(rt: Any) -> tuple[DigestPlan, datetime | None]:
        pending = await rt.db.read(lambda uow: uow.timers.next_due(TimerKind.DIGEST))
        return rt.desk.digest, pending

    plan, pending = _run(work)
    if not plan.channels:
        _emit(as_json, {"channels": {}, "next_at": None}, lambda _: NO_CHANNEL[0].upper() + NO_CHANNEL[1:] + ".")
        return
    at = pending  # the scheduler's row; until a ticketbot has started, when it will be
    data = {"channels": dict(plan.channels), "time": f"{plan.at:%H:%M}", "timezone": plan.tz.key, "next_at": at}
    where = ", ".join(f"{consumer} {channel}" for consumer, channel in plan.channels.items())

    def text(now: datetime) -> str:
        when = render.when_relative(at, now, plan.tz.key) if at else "when ticketbot runs (it is not scheduled yet)"
        return f"The digest posts daily at {plan.at:%H:%M} ({plan.tz.key}) to {where}. Next: {when}."

    _emit(as_json, data, text)
