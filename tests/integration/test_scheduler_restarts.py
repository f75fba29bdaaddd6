"""Timers survive restarts and fire once; the digest posts once a day at its local time, across DST changes,
restarts at the posting minute and replicas starting together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.chart import render_chart
from core.desk import Desk
from core.digest import digest_text
from core.events import DIGEST_KEY, DigestDue, SlaBreached, SlaWarning
from core.model import Actor
from core.outbox import Dispatcher
from core.scheduler import Scheduler
from core.storage.database import SqlDatabase
from core.storage.engine import build_engine
from core.timers import DigestPlan, TimerKind
from tests.fakes.clock import FakeClock
from tests.fakes.recorder import Recorder

ANN = Actor(platform="discord", user_id="1", name="Ann")
SAM = Actor(platform="slack", user_id="U1", name="Sam", is_staff=True)
BERLIN = ZoneInfo("Europe/Berlin")
CHANNELS = {"slack": "C0DIGEST", "discord": "4242"}


@dataclass
class Process:
    """One ticketbot process: its own engine, desk, scheduler, dispatcher and notifiers."""

    desk: Desk
    scheduler: Scheduler
    dispatcher: Dispatcher
    recorders: list[Recorder]

    async def tick(self) -> None:
        await self.scheduler.drain()
        await self.dispatcher.drain()


@asynccontextmanager
async def process(db_url: str, clock: FakeClock, plan: DigestPlan | None = None) -> AsyncIterator[Process]:
    engine = build_engine(db_url)
    recorders = [Recorder("slack", clock), Recorder("discord", clock)]
    desk = Desk(db=SqlDatabase(engine), clock=clock, consumers=["slack", "discord"], digest=plan)
    try:
        yield Process(desk, Scheduler(desk), Dispatcher(desk.db, recorders, clock=clock), recorders)
    finally:
        await engine.dispose()  # the process is gone: nothing of it survives but the database


def digests(*runs: Process) -> list[tuple[str, str, str]]:
    """Every digest delivered, by any process: (consumer, day, channel)."""
    out = []
    for run in runs:
        for recorder in run.recorders:
            for e in recorder.events:
                if isinstance(e, DigestDue):
                    out.append((recorder.name, e.day, str(e.channel)))
    return out


async def test_a_timer_made_before_a_restart_fires_once_after_it(db_url: str, clock: FakeClock) -> None:
    t0 = clock.now()
    async with process(db_url, clock) as first:
        ticket = await first.desk.create_ticket(subject="Outage", priority="urgent", requester=ANN)
        await first.tick()  # the opening is delivered; then the process stops
    clock.set(t0 + timedelta(minutes=50))
    async with process(db_url, clock) as second:
        await second.tick()
        await second.tick()
    clock.set(t0 + timedelta(minutes=61))
    async with process(db_url, clock) as third:
        await third.tick()
        clock.set(t0 + timedelta(minutes=70))
        await third.tick()
    alerts = [
        (r.name, type(e).__name__)
        for run in (second, third)
        for r in run.recorders
        for e in r.events
        if isinstance(e, SlaWarning | SlaBreached) and e.ticket_id == ticket.id
    ]
    assert sorted(alerts) == sorted([("slack", "SlaWarning"), ("discord", "SlaWarning"),
                                     ("slack", "SlaBreached"), ("discord", "SlaBreached")])  # fmt: skip


async def walk(run: Process, clock: FakeClock, until: datetime, step: timedelta) -> list[tuple[datetime, str]]:
    """Advance to ``until``; return when each digest arrived at Slack, with its day."""
    seen = len(run.recorders[0].got)
    while clock.now() < until:
        clock.set(min(clock.now() + step, until))
        await run.tick()
    return [(at, e.day) for at, e in run.recorders[0].got[seen:] if isinstance(e, DigestDue)]


async def test_the_digest_posts_once_a_day_at_its_local_time_across_dst_changes(db_url: str, clock: FakeClock) -> None:
    """02:30 in Berlin: on 29 March 2026 that time does not exist (02:00 → 03:00), so it posts when the clock
    jumps; on 25 October it happens twice (03:00 → 02:00), and it posts at the first."""
    plan = DigestPlan(time(2, 30), BERLIN, CHANNELS)
    step = timedelta(minutes=10)
    async with process(db_url, clock, plan) as run:
        clock.set(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
        await run.scheduler.start()
        spring = await walk(run, clock, datetime(2026, 3, 30, 6, 0, tzinfo=UTC), step)
        clock.set(datetime(2026, 10, 24, 6, 0, tzinfo=UTC))
        await run.scheduler.start()  # (a long pause: the digest missed meanwhile posts now, once)
        missed = await walk(run, clock, clock.now() + step, step)
        autumn = await walk(run, clock, datetime(2026, 10, 26, 6, 0, tzinfo=UTC), step)
    assert spring == [
        (datetime(2026, 3, 28, 1, 30, tzinfo=UTC), "2026-03-27"),  # 02:30 CET
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "2026-03-28"),  # 03:00 CEST: the clock jumped over 02:30
        (datetime(2026, 3, 30, 0, 30, tzinfo=UTC), "2026-03-29"),  # 02:30 CEST
    ]
    assert [day for _, day in missed] == ["2026-03-30"]
    assert autumn == [
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "2026-10-24"),  # the first 02:30 (CEST), not the second
        (datetime(2026, 10, 26, 1, 30, tzinfo=UTC), "2026-10-25"),  # 02:30 CET
    ]


async def test_a_restart_before_the_digest_minute_posts_it_once_after(db_url: str, clock: FakeClock) -> None:
    plan = DigestPlan(time(9, 0), UTC_ZONE, CHANNELS)
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    async with process(db_url, clock, plan) as first:
        await first.scheduler.start()
        await walk(first, clock, datetime(2026, 12, 1, 8, 59, 59, tzinfo=UTC), timedelta(minutes=1))
    clock.set(datetime(2026, 12, 1, 9, 0, 30, tzinfo=UTC))  # down across 09:00
    async with process(db_url, clock, plan) as second:
        await second.scheduler.start()
        await walk(second, clock, datetime(2026, 12, 1, 9, 10, tzinfo=UTC), timedelta(minutes=1))
    assert digests(first) == []
    assert sorted(digests(second)) == [("discord", "2026-11-30", "4242"), ("slack", "2026-11-30", "C0DIGEST")]


async def test_a_restart_in_the_digest_minute_does_not_post_it_again(db_url: str, clock: FakeClock) -> None:
    plan = DigestPlan(time(9, 0), UTC_ZONE, CHANNELS)
    clock.set(datetime(2026, 12, 1, 8, 59, tzinfo=UTC))
    async with process(db_url, clock, plan) as first:
        await first.scheduler.start()
        await walk(first, clock, datetime(2026, 12, 1, 9, 0, tzinfo=UTC), timedelta(seconds=30))
    clock.set(datetime(2026, 12, 1, 9, 0, 30, tzinfo=UTC))  # restarted within the posting minute
    async with process(db_url, clock, plan) as second:
        await second.scheduler.start()
        await walk(second, clock, datetime(2026, 12, 2, 9, 0, tzinfo=UTC), timedelta(minutes=30))
    assert digests(first) == [("slack", "2026-11-30", "C0DIGEST"), ("discord", "2026-11-30", "4242")]
    assert sorted(digests(second)) == [("discord", "2026-12-01", "4242"), ("slack", "2026-12-01", "C0DIGEST")]


async def test_replicas_starting_together_schedule_one_digest(db_url: str, clock: FakeClock) -> None:
    plan = DigestPlan(time(9, 0), UTC_ZONE, CHANNELS)
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    async with process(db_url, clock, plan) as one, process(db_url, clock, plan) as two:
        await asyncio.gather(one.scheduler.start(), two.scheduler.start(), one.scheduler.start())
        pending = await one.desk.db.read(lambda uow: uow.timers.digest_timers())
        assert [(t.kind, t.due_at) for t in pending] == [(TimerKind.DIGEST, datetime(2026, 12, 1, 9, 0, tzinfo=UTC))]
        clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
        await asyncio.gather(one.tick(), two.tick())
        assert len(digests(one, two)) == 2  # one per channel


async def test_a_changed_posting_time_replaces_the_pending_digest(db_url: str, clock: FakeClock) -> None:
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    async with process(db_url, clock, DigestPlan(time(9, 0), UTC_ZONE, CHANNELS)) as before:
        await before.scheduler.start()
    async with process(db_url, clock, DigestPlan(time(10, 30), UTC_ZONE, CHANNELS)) as after:
        await after.scheduler.start()
        pending = await after.desk.db.read(lambda uow: uow.timers.digest_timers())
    assert [t.due_at for t in pending] == [datetime(2026, 12, 1, 10, 30, tzinfo=UTC)]


async def test_digest_now_queues_one_more_digest_per_channel(db_url: str, clock: FakeClock) -> None:
    plan = DigestPlan(time(9, 0), UTC_ZONE, {"slack": "C0DIGEST"})
    clock.set(datetime(2026, 12, 1, 8, 59, tzinfo=UTC))
    async with process(db_url, clock, plan) as run:
        await run.scheduler.start()
        clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
        await run.tick()
        queued = await run.desk.queue_digest()
        await run.tick()
    scheduled, on_demand = [e for e in run.recorders[0].events if isinstance(e, DigestDue)]
    assert list(queued.values()) == [on_demand] and on_demand.on_demand and not scheduled.on_demand
    assert scheduled.day == on_demand.day == "2026-11-30"
    assert scheduled.once_key == "digest:2026-11-30" and on_demand.once_key != scheduled.once_key
    assert run.recorders[1].events == []  # no Discord digest channel: no Discord digest
    assert scheduled.ticket_id == DIGEST_KEY


async def test_the_digest_a_notifier_reads_is_the_days_it_was_due_for(desk: Desk, clock: FakeClock) -> None:
    """Delivered late (after midnight), a digest still tells the day it was due for."""
    t = await desk.create_ticket(subject="Old", requester=ANN)
    clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    due = DigestDue(DIGEST_KEY, Actor.system(), "2026-11-26", "C0DIGEST", zone="Europe/Berlin")
    digest = await desk.queries.digest(due, now=datetime(2026, 11, 28, 0, 30, tzinfo=UTC))
    assert digest.day == date(2026, 11, 26) and digest.opened == 1
    assert [o.id for o in digest.oldest_open] == [t.id]
    assert "Daily digest for Thursday 26 November 2026 (Europe/Berlin)" in digest_text(digest)
    assert render_chart(digest).startswith(b"\x89PNG\r\n\x1a\n")


UTC_ZONE = ZoneInfo("UTC")
_: Callable[..., object] = process  # (keeps the helper's name visible to readers scanning the fixtures)
