"""The maintained all-time aggregates always equal a brute-force recount."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from core.desk import Desk
from core.errors import TicketError
from core.model import Actor, Priority, Status
from core.stats import StatRow, contribution, summarize
from core.storage.tables import tickets
from core.storage.tickets import ticket_from_row
from tests.fakes.clock import FakeClock

STAFF = Actor(platform="slack", user_id="U1", name="Sam", is_staff=True)
USERS = [Actor(platform="discord", user_id=str(i), name=f"user{i}") for i in range(4)]


async def recount(desk: Desk):  # type: ignore[no-untyped-def]
    """Statistics computed the slow way: every ticket row, every time."""
    async with desk.db.engine.connect() as conn:
        rows = [ticket_from_row(r) for r in await conn.execute(select(tickets))]
    cube: dict[tuple[str, str], dict[str, int]] = {}
    for t in rows:
        for key, vec in contribution(t).items():
            acc = cube.setdefault(key, {})
            for name, value in vec.items():
                acc[name] = acc.get(name, 0) + value
    return summarize(StatRow(c, p, counts) for (c, p), counts in cube.items()), rows


async def test_aggregates_match_a_recount_after_random_operations(desk: Desk, clock: FakeClock) -> None:
    rng = random.Random(20261126)
    ids: list[str] = []
    for step in range(150):
        clock.advance(minutes=rng.randint(1, 300))
        op = rng.choice(["open", "open", "reply", "staff", "close", "reopen", "prio", "cat", "rate", "status", "note"])
        who = rng.choice(USERS)
        try:
            if op == "open" or not ids:
                t = await desk.create_ticket(
                    subject=f"problem {step}", message="help", requester=who,
                    category=rng.choice(["Technical", "Billing", "General"]), priority=rng.choice(list(Priority)),
                )  # fmt: skip
                ids.append(t.id)
                continue
            tid = rng.choice(ids)
            owner = (await desk.queries.ticket(tid)).requester
            if op == "reply":
                await desk.reply_to_ticket(ticket_id=tid, content="more info", actor=owner)
            elif op == "staff":
                await desk.admin_reply_to_ticket(ticket_id=tid, content="try this", actor=STAFF)
            elif op == "close":
                await desk.close_ticket(ticket_id=tid, actor=rng.choice([STAFF, owner]))
            elif op == "reopen":
                await desk.reopen_ticket(ticket_id=tid, actor=rng.choice([STAFF, owner]))
            elif op == "prio":
                await desk.set_priority(ticket_id=tid, priority=rng.choice(list(Priority)), actor=STAFF)
            elif op == "cat":
                await desk.set_category(ticket_id=tid, category=rng.choice(["Technical", "Billing"]), actor=STAFF)
            elif op == "rate":
                await desk.rate_ticket(ticket_id=tid, rating=rng.randint(1, 5), actor=owner)
            elif op == "status":
                await desk.admin_update_ticket_status(ticket_id=tid, status=rng.choice(list(Status)), actor=STAFF)
            else:
                await desk.add_note(ticket_id=tid, content="internal", actor=STAFF)
        except TicketError:
            pass  # refused operations must leave the aggregates untouched too

    maintained = await desk.stats(actor=STAFF)
    expected, rows = await recount(desk)
    assert len(rows) > 20
    for name in ("total", "open", "pending", "closed", "avg_first_response", "avg_resolution", "sla_attainment",
                 "csat_average", "csat_count", "by_category", "by_priority"):  # fmt: skip
        assert getattr(maintained, name) == getattr(expected, name), name
    assert maintained.total == len(rows)
    assert maintained.closed == sum(t.status is Status.CLOSED for t in rows)


async def test_windowed_figures_and_oldest_open(desk: Desk, clock: FakeClock) -> None:
    old = await desk.create_ticket(subject="old", requester=USERS[0])
    clock.advance(days=3)
    recent = await desk.create_ticket(subject="recent", requester=USERS[1])
    await desk.close_ticket(ticket_id=recent.id, actor=STAFF)
    clock.advance(hours=1)
    s = await desk.stats(actor=STAFF)
    assert (s.opened_24h, s.closed_24h, s.opened_7d, s.closed_7d) == (1, 1, 2, 1)
    assert [t.id for t in s.oldest_open] == [old.id]
    assert s.avg_resolution == timedelta(0)
