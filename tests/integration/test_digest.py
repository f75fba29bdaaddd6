"""The daily digest on real storage: its numbers equal a brute-force recount and ``desk.stats()``; its days are
local calendar days (23 h and 25 h on DST changes); its chart is a PNG, with tickets and without."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.chart import render_chart
from core.desk import Desk
from core.digest import BREACHES_SHOWN, URGENCY, Digest, SlaCount, digest_text
from core.errors import TicketError
from core.model import Actor, Priority, Status, Ticket
from core.storage.digest import build_digest, load_digest
from core.storage.tables import history, tickets
from core.storage.tickets import ticket_from_row
from tests.fakes.clock import FakeClock

STAFF = Actor(platform="slack", user_id="U1", name="Sam", is_staff=True)
USERS = [Actor(platform="discord", user_id=str(i), name=f"user{i}") for i in range(40)]
BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
# three weeks across both autumn clock changes: Berlin on 25 October 2026, New York on 1 November 2026
START = datetime(2026, 10, 14, 6, 0, tzinfo=UTC)
WEEKS = timedelta(days=21)


async def busy_weeks(desk: Desk, clock: FakeClock) -> None:
    """A few hundred tickets through the real desk: opened, answered on time and late, chased by their
    requesters, closed, reopened, re-prioritised and rated (some twice)."""
    rng = random.Random(20261014)
    clock.set(START)
    ids: list[str] = []
    ops = ["open", "staff", "reply", "close", "reopen", "rate", "prio", "status", "note"]
    weights = [40, 25, 8, 14, 2, 14, 2, 1, 1]
    while clock.now() < START + WEEKS:
        clock.advance(minutes=rng.randint(1, 90))
        op = rng.choices(ops, weights)[0]
        if op == "open" or not ids:
            t = await desk.create_ticket(
                subject=f"problem {len(ids)}", message="help", requester=rng.choice(USERS),
                category=rng.choice(["Technical", "Billing", "General"]), priority=rng.choice(list(Priority)),
            )  # fmt: skip
            ids.append(t.id)
            continue
        tid = rng.choice(ids[-40:])  # mostly recent tickets, which are mostly still open
        owner = (await desk.get_ticket(ticket_id=tid, actor=STAFF)).requester
        try:
            if op == "staff":
                await desk.admin_reply_to_ticket(ticket_id=tid, content="try this", actor=STAFF)
            elif op == "reply":
                await desk.reply_to_ticket(ticket_id=tid, content="still broken", actor=owner)
            elif op == "close":
                await desk.close_ticket(ticket_id=tid, actor=rng.choice([STAFF, owner]))
            elif op == "reopen":
                await desk.reopen_ticket(ticket_id=tid, actor=owner)
            elif op == "rate":
                await desk.rate_ticket(ticket_id=tid, rating=rng.randint(1, 5), actor=owner)
            elif op == "prio":
                await desk.set_priority(ticket_id=tid, priority=rng.choice(list(Priority)), actor=STAFF)
            elif op == "status":
                await desk.admin_update_ticket_status(ticket_id=tid, status=rng.choice(list(Status)), actor=STAFF)
            else:
                await desk.add_note(ticket_id=tid, content="internal", actor=STAFF)
        except TicketError:
            pass  # e.g. rating an open ticket: refused, changes nothing
    # A rule the random walk rarely hits: a ticket answered on time, then overdue the same day (one miss that
    # day, not a hit and a miss).
    chased = await desk.create_ticket(subject="answered, then waits", requester=USERS[0], priority="urgent")
    clock.advance(minutes=20)
    await desk.admin_reply_to_ticket(ticket_id=chased.id, content="try this", actor=STAFF)
    clock.advance(minutes=10)
    await desk.reply_to_ticket(ticket_id=chased.id, content="did not help", actor=USERS[0])
    clock.advance(days=2)


@dataclass
class Recount:
    opened: int
    closed: int
    sla: dict[Priority, SlaCount]
    first_responses: int
    avg_first_response: timedelta | None
    avg_resolution: timedelta | None
    ratings: list[int]
    breaches: list[tuple[str, bool]]  # (ticket id, still waiting), most urgent first
    breach_count: int


def recount_day(rows: list[Ticket], ratings: list[tuple[int, str, str, datetime]], day: date, tz: ZoneInfo,
                now: datetime) -> Recount:  # fmt: skip
    """A day's figures the slow way: every ticket and every rating row, each rule written out again."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)

    def inside(moment: datetime | None) -> bool:
        return moment is not None and start <= moment < end

    closed = [t for t in rows if inside(t.closed_at)]
    answered = {t.id: t for t in rows if inside(t.first_response_at)}
    overdue = {t.id: t for t in rows if inside(t.sla_due_at) and t.sla_due_at is not None and t.sla_due_at < now}
    decided = answered | overdue
    met = {i for i, t in answered.items() if not t.sla_breached and i not in overdue}
    sla = {
        p: SlaCount(sum(decided[i].priority is p for i in met), sum(t.priority is p for t in decided.values()))
        for p in URGENCY
    }
    missed = [(t, i in overdue) for i, t in decided.items() if i not in met]
    missed.sort(key=lambda m: (URGENCY.index(m[0].priority), m[0].sla_due_at if m[1] else m[0].first_response_at))

    def average(pairs: list[tuple[datetime, datetime]]) -> timedelta | None:
        seconds = [int((later - earlier).total_seconds()) for later, earlier in pairs]
        return timedelta(seconds=sum(seconds) / len(seconds)) if seconds else None

    last_rating: dict[str, int] = {}
    for _id, ticket_id, value, at in sorted(ratings):
        if inside(at):
            last_rating[ticket_id] = int(value)
    return Recount(
        opened=sum(inside(t.created_at) for t in rows),
        closed=len(closed),
        sla=sla,
        first_responses=len(answered),
        avg_first_response=average([(t.first_response_at, t.created_at) for t in answered.values()]),  # type: ignore[misc]
        avg_resolution=average([(t.closed_at, t.created_at) for t in closed]),  # type: ignore[misc]
        ratings=list(last_rating.values()),
        breaches=[(t.id, waiting) for t, waiting in missed[:BREACHES_SHOWN]],
        breach_count=len(missed),
    )


async def all_rows(engine: Any) -> tuple[list[Ticket], list[tuple[int, str, str, datetime]]]:
    async with engine.connect() as conn:
        rows = [ticket_from_row(r) for r in await conn.execute(select(tickets))]
        ratings = [
            (r.id, r.ticket_id, r.new, r.at)
            for r in await conn.execute(select(history).where(history.c.field == "rating"))
        ]
    return rows, ratings


def assert_matches_recount(digest: Digest, rows: list[Ticket], ratings: list, now: datetime) -> None:  # type: ignore[type-arg]
    for figures in digest.series:
        expected = recount_day(rows, ratings, figures.day, digest.tz, now)
        where = f"{figures.day} in {digest.tz.key}"
        assert (figures.opened, figures.closed) == (expected.opened, expected.closed), where
        assert figures.sla == sum(expected.sla.values(), SlaCount()), where
    expected = recount_day(rows, ratings, digest.day, digest.tz, now)
    assert dict(digest.sla_by_priority) == expected.sla
    assert digest.first_responses == expected.first_responses
    assert digest.avg_first_response == expected.avg_first_response
    assert digest.avg_resolution == expected.avg_resolution
    assert digest.ratings == len(expected.ratings)
    assert digest.csat_average == (sum(expected.ratings) / len(expected.ratings) if expected.ratings else None)
    assert [(b.ticket.id, b.still_waiting) for b in digest.breaches] == expected.breaches
    assert digest.breach_count == expected.breach_count
    waiting = sorted((t for t in rows if t.status is not Status.CLOSED), key=lambda t: t.created_at)
    assert [t.id for t in digest.oldest_open] == [t.id for t in waiting[:5]]


async def test_digest_numbers_equal_a_brute_force_recount_on_every_day(
    desk: Desk, clock: FakeClock, engine: Any
) -> None:
    await busy_weeks(desk, clock)
    rows, ratings = await all_rows(engine)
    # the scenario really has what the digest measures, so the comparisons below cannot pass on empty sets
    assert len(rows) >= 200
    assert sum(t.sla_breached for t in rows) >= 10  # answered late
    assert sum(not t.sla_breached and t.first_response_at is not None for t in rows) >= 10  # answered on time
    assert sum(t.sla_due_at is not None and t.sla_due_at < clock.now() for t in rows) >= 3  # overdue, unanswered
    assert len(ratings) == len({r[1] for r in ratings}) >= 10  # ratings, one per ticket (the desk allows one)
    assert any(
        t.first_response_at and t.sla_due_at and t.sla_due_at < clock.now()
        and t.first_response_at.astimezone(BERLIN).date() == t.sla_due_at.astimezone(BERLIN).date()
        for t in rows
    )  # answered, then waiting again and overdue on the same day  # fmt: skip
    assert any(t.reopened_at for t in rows) and sum(t.status is Status.CLOSED for t in rows) >= 50

    checked = 0
    for zone in (BERLIN, NEW_YORK, ZoneInfo("UTC")):
        for n in range(1, 24):
            now = datetime.combine(START.date() + timedelta(days=n), time(9), tzinfo=zone)
            digest = await build_digest(engine, now=now, tz=zone)
            assert_matches_recount(digest, rows, ratings, now)
            checked += 1
            assert digest_text(digest)  # renders for every day
    assert checked == 69

    # the figures a manager sees really vary from day to day (a digest stuck at zero would pass above)
    berlin = await build_digest(engine, now=datetime(2026, 11, 4, 9, tzinfo=BERLIN), tz=BERLIN)
    assert len({d.opened for d in berlin.series}) > 3 and any(d.sla.missed for d in berlin.series)
    assert any(d.sla.met for d in berlin.series) and any(d.closed for d in berlin.series)


async def test_digest_agrees_with_desk_stats(desk: Desk, clock: FakeClock, engine: Any) -> None:
    await busy_weeks(desk, clock)
    utc = ZoneInfo("UTC")
    digest = await build_digest(engine, now=clock.now(), tz=utc)
    clock.set(digest.end)
    stats = await desk.stats(actor=STAFF)  # its last 24 h is the digest's UTC day
    assert digest.end - digest.start == timedelta(hours=24)
    assert (digest.opened, digest.closed) == (stats.opened_24h, stats.closed_24h)
    week = digest.series[-7:]
    assert (sum(d.opened for d in week), sum(d.closed for d in week)) == (stats.opened_7d, stats.closed_7d)
    assert stats.opened_7d > 20
    everything = await desk.stats(actor=STAFF)
    for name in ("total", "open", "pending", "closed", "avg_first_response", "avg_resolution", "sla_attainment",
                 "csat_average", "csat_count", "by_category", "by_priority"):  # fmt: skip
        assert getattr(digest.all_time, name) == getattr(everything, name), name
    assert (digest.open_now, digest.pending_now) == (everything.open, everything.pending)
    assert [t.id for t in digest.oldest_open] == [t.id for t in everything.oldest_open]
    assert len(digest.oldest_open) == 5


async def test_a_ticket_counts_once_a_day(desk: Desk, clock: FakeClock, engine: Any) -> None:
    clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))  # 10:00 in Berlin
    chased = await desk.create_ticket(subject="answered, then waits", requester=USERS[0], priority="urgent")
    clock.advance(minutes=30)
    await desk.admin_reply_to_ticket(ticket_id=chased.id, content="try this", actor=STAFF)  # on time
    clock.advance(minutes=10)
    await desk.reply_to_ticket(ticket_id=chased.id, content="did not help", actor=USERS[0])  # due again 11:40 UTC
    rated = await desk.create_ticket(subject="rated", requester=USERS[1])
    await desk.close_ticket(ticket_id=rated.id, actor=STAFF)
    clock.advance(hours=1)
    await desk.rate_ticket(ticket_id=rated.id, rating=2, actor=USERS[1])
    digest = await build_digest(engine, now=datetime(2026, 11, 27, 9, tzinfo=BERLIN), tz=BERLIN)
    assert digest.first_responses == 1
    assert digest.sla_by_priority[Priority.URGENT] == SlaCount(met=0, decided=1)  # one miss, not a hit and a miss
    assert [(b.ticket.id, b.still_waiting) for b in digest.breaches] == [(chased.id, True)]
    assert (digest.ratings, digest.csat_average) == (1, 2.0)
    assert digest.all_time.csat_average == 2.0


async def test_load_digest_runs_inside_a_read_transaction(desk: Desk, clock: FakeClock) -> None:
    t = await desk.create_ticket(subject="printer on fire", requester=USERS[0], priority="urgent")
    clock.advance(hours=2)
    await desk.admin_reply_to_ticket(ticket_id=t.id, content="on it", actor=STAFF)  # an hour late
    clock.advance(days=1)
    now = clock.now()
    digest = await desk.db.read(lambda uow: load_digest(uow.conn, now=now, tz=BERLIN))  # the Database port
    assert (digest.opened, digest.first_responses, digest.breach_count) == (1, 1, 1)
    assert digest.sla_by_priority[Priority.URGENT] == SlaCount(met=0, decided=1)
    assert [(b.ticket.id, b.still_waiting) for b in digest.breaches] == [(t.id, False)]
    assert digest.avg_first_response == timedelta(hours=2)


# ------------------------------------------------------------------------------------------------- DST days
def berlin(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold).astimezone(UTC)  # type: ignore[misc]


async def open_at(desk: Desk, clock: FakeClock, when: datetime, priority: str = "low") -> Ticket:
    clock.set(when)
    return await desk.create_ticket(subject=f"opened {when:%H:%M} UTC", requester=USERS[0], priority=priority)


async def test_days_are_local_calendar_days_across_the_autumn_clock_change(
    desk: Desk, clock: FakeClock, engine: Any
) -> None:
    """Sunday 25 October 2026 has 25 hours in Berlin: 02:00-03:00 happens twice."""
    for when in (
        berlin(2026, 10, 24, 23, 30),  # Saturday
        berlin(2026, 10, 25, 0, 30),  # Sunday, still summer time (Saturday 22:30 UTC)
        berlin(2026, 10, 25, 2, 30, fold=0),  # the first 02:30 (00:30 UTC)
        berlin(2026, 10, 25, 2, 30, fold=1),  # the second 02:30 (01:30 UTC)
        berlin(2026, 10, 25, 23, 30),  # Sunday, winter time
        berlin(2026, 10, 26, 0, 30),  # Monday (Sunday 23:30 UTC)
    ):
        await open_at(desk, clock, when)
    urgent = await open_at(desk, clock, berlin(2026, 10, 25, 1, 45), priority="urgent")  # due at the first 02:45
    digest = await build_digest(engine, now=berlin(2026, 10, 26, 9, 0), tz=BERLIN)
    assert digest.day == date(2026, 10, 25)
    assert digest.start == datetime(2026, 10, 24, 22, tzinfo=UTC)
    assert digest.end == datetime(2026, 10, 25, 23, tzinfo=UTC)
    assert digest.opened == 5
    assert [(b.ticket.id, b.still_waiting) for b in digest.breaches] == [(urgent.id, True)]
    text = digest_text(digest)
    assert "Daily digest for Sunday 25 October 2026 (Europe/Berlin, a 25-hour day: clocks went back)" in text
    assert f"- `{urgent.id}` Urgent · opened 23:45 UTC — no response yet, due 02:45" in text
    later = await build_digest(engine, now=berlin(2026, 10, 27, 9, 0), tz=BERLIN)
    assert [(d.day.day, d.opened, (d.end - d.start) // timedelta(hours=1)) for d in later.series[-3:]] == [
        (24, 1, 24), (25, 5, 25), (26, 1, 24),
    ]  # fmt: skip
    in_utc = await build_digest(engine, now=datetime(2026, 10, 27, 9, tzinfo=UTC), tz=ZoneInfo("UTC"))
    assert [(d.day.day, d.opened) for d in in_utc.series[-3:]] == [(24, 3), (25, 4), (26, 0)]


async def test_the_spring_clock_change_day_has_23_hours(desk: Desk, clock: FakeClock, engine: Any) -> None:
    for when in (
        berlin(2026, 3, 28, 23, 59),
        berlin(2026, 3, 29, 0, 30),
        berlin(2026, 3, 29, 3, 30),  # 02:00-03:00 never happened
        berlin(2026, 3, 29, 23, 30),
        berlin(2026, 3, 30, 0, 10),
    ):
        await open_at(desk, clock, when)
    digest = await build_digest(engine, now=berlin(2026, 3, 30, 9, 0), tz=BERLIN)
    assert (digest.day, digest.end - digest.start, digest.opened) == (date(2026, 3, 29), timedelta(hours=23), 3)
    assert [d.opened for d in digest.series[-2:]] == [1, 3]
    assert "a 23-hour day: clocks went forward" in digest_text(digest)


# ------------------------------------------------------------------------------------------------- the chart
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


async def test_chart_is_a_png_with_tickets_and_without(desk: Desk, clock: FakeClock, engine: Any) -> None:
    empty = await build_digest(engine, now=clock.now(), tz=BERLIN)
    assert (empty.opened, empty.sla.decided, empty.oldest_open) == (0, 0, ())
    assert png_size(render_chart(empty)) == (800, 500)
    await busy_weeks(desk, clock)
    busy = await build_digest(engine, now=clock.now(), tz=NEW_YORK)
    chart = render_chart(busy)
    assert png_size(chart) == (800, 500)
    assert chart != render_chart(empty)
