"""Three ticketbot replicas (scheduler + dispatcher each, own connection pool) against one PostgreSQL database
with 10,000 due timers: every SLA event is delivered exactly once, counted at the notifiers."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from core.desk import Desk
from core.events import SlaBreached, SlaWarning
from core.model import Actor, Priority, Status, Ticket
from core.outbox import Dispatcher
from core.scheduler import Scheduler
from core.storage.database import SqlDatabase
from core.storage.engine import build_engine
from core.storage.uow import UnitOfWork
from core.timers import Timer, TimerKind
from tests.fakes.clock import FakeClock
from tests.fakes.recorder import Recorder

TICKETS = 10_000
REPLICAS = 3


def seed(uow: UnitOfWork, now_: FakeClock) -> None:
    """Urgent tickets, waiting: the even ones 50 min (warning due, breach not yet), the odd ones 65 min
    (breach due). Written straight through the stores: 10,000 desk transactions would only slow the test."""
    now = now_.now()
    due: list[Timer] = []
    for i in range(TICKETS):
        since = now - timedelta(minutes=50 if i % 2 == 0 else 65)
        t = Ticket(
            id=f"TKT-{i:05d}", subject=f"ticket {i}", category="Technical", priority=Priority.URGENT,
            status=Status.OPEN, requester=Actor("api", f"u{i}"), created_at=since, updated_at=since,
            waiting_since=since, sla_due_at=since + timedelta(hours=1),
        )  # fmt: skip
        assert uow.tickets.insert_if_new(t) is not None
        if i % 2 == 0:
            due += [Timer(TimerKind.SLA_WARNING, t.id, since + timedelta(minutes=45), since)]
            due += [Timer(TimerKind.SLA_BREACH, t.id, since + timedelta(hours=1), since)]  # in 10 min
        else:
            due += [Timer(TimerKind.SLA_BREACH, t.id, since + timedelta(hours=1), since)]
    uow.timers.add(due, now)


async def test_three_replicas_fire_and_deliver_10000_timers_exactly_once(
    backend: str, db_url: str, clock: FakeClock
) -> None:
    if backend != "postgres":
        pytest.skip("several replicas need PostgreSQL (on SQLite one process is assumed)")
    engines = [build_engine(db_url) for _ in range(REPLICAS)]
    try:
        desks = [Desk(db=SqlDatabase(e), clock=clock, consumers=["slack"]) for e in engines]
        await desks[0].db.write(lambda uow: seed(uow, clock))
        recorders = [Recorder("slack", clock) for _ in desks]
        schedulers = [Scheduler(d, batch=100) for d in desks]
        dispatchers = [Dispatcher(d.db, [r], clock=clock, batch=100) for d, r in zip(desks, recorders, strict=True)]
        fired = [0] * REPLICAS

        async def remaining() -> tuple[int, int]:
            return await desks[0].db.read(lambda uow: (uow.timers.count_due(clock.now()), uow.outbox.pending()))

        async def replica(n: int) -> None:
            while True:
                fired[n] += await schedulers[n].tick()
                delivered = await dispatchers[n].run_once()
                if not delivered and await remaining() == (0, 0):
                    return

        await asyncio.wait_for(asyncio.gather(*(replica(n) for n in range(REPLICAS))), timeout=600)
    finally:
        for e in engines:
            await e.dispose()

    events = [e for r in recorders for e in r.events]
    assert sum(fired) == TICKETS
    assert len(events) == TICKETS and len({e.event_id for e in events}) == TICKETS
    kinds = Counter((e.ticket_id, type(e)) for e in events)
    expected = {(f"TKT-{i:05d}", SlaWarning if i % 2 == 0 else SlaBreached): 1 for i in range(TICKETS)}
    assert kinds == Counter(expected)
    assert sum(1 for r in recorders if r.events) >= 2, "the replicas shared the work"

    engine = build_engine(db_url)
    async with engine.connect() as conn:
        breached = (await conn.exec_driver_sql("SELECT count(*) FROM tickets WHERE sla_breached")).scalar_one()
        left = (await conn.exec_driver_sql("SELECT kind, count(*) FROM timers GROUP BY kind")).all()
        sla_n = (await conn.exec_driver_sql("SELECT sum(sla_n) FROM ticket_stats")).scalar_one()
    await engine.dispose()
    assert breached == TICKETS // 2 and sla_n == TICKETS // 2
    # the even tickets' breaches (in 10 min) and the odd tickets' first reminders (in 55 min) are pending
    assert dict(left) == {"sla_breach": TICKETS}
