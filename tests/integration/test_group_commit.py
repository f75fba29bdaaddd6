"""Concurrent writes on real storage: grouped into shared transactions on SQLite, each still all or nothing.

The semantic tests run on both engines (PostgreSQL runs each write in its own transaction); the ones about
grouping and the driver thread are SQLite's.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import random
import threading
from collections.abc import Callable

import aiosqlite
import pytest
from sqlalchemy import func, select

from core.desk import Desk
from core.errors import InvalidTransition, LimitReached, NotFound
from core.ids import TicketIdGenerator
from core.model import Actor, Link, Priority, Status, Ticket
from core.stats import Breakdown
from core.storage.database import SqlDatabase
from core.storage.tables import history, idempotency_keys, messages, outbox, tickets
from core.storage.uow import UnitOfWork
from tests.fakes.clock import TickingClock
from tests.integration.test_stats import recount

STAFF = Actor(platform="slack", user_id="U0STAFF", name="Sam", is_staff=True)
PEOPLE = [Actor(platform="discord", user_id=str(i), name=f"user{i}") for i in range(50)]


async def count(desk: Desk, table, *where) -> int:  # type: ignore[no-untyped-def]
    async with desk.db.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


def nonzero(table: dict[str, Breakdown]) -> dict[str, Breakdown]:
    return {key: b for key, b in table.items() if b.total}


def groups(desk: Desk) -> int | None:
    """Transactions run by the group commit so far (None where writes are not grouped: PostgreSQL)."""
    assert isinstance(desk.db, SqlDatabase)
    return desk.db.group_commit.groups if desk.db.group_commit else None


async def open_for(desk: Desk, who: Actor, n: int, **kw):  # type: ignore[no-untyped-def]
    return await desk.create_ticket(
        subject=f"Cannot log in {n}", message="500 error on the dashboard", requester=who, **kw
    )


async def test_fifty_concurrent_writers_all_land(desk: Desk) -> None:
    desk.consumers = ["slack", "discord"]
    desk.ids = TicketIdGenerator(random.Random(5))
    before = groups(desk)
    made = await asyncio.gather(
        *(open_for(desk, p, i, priority=list(Priority)[i % 4], category=["Technical", "Billing"][i % 2])
          for i, p in enumerate(PEOPLE))
    )  # fmt: skip
    assert len({t.id for t in made}) == 50
    assert await count(desk, tickets) == 50
    assert await count(desk, messages) == 50
    assert await count(desk, history) == 50
    assert await count(desk, outbox) == 100  # one row per event and consumer, written with the ticket
    stats, _ = await recount(desk)
    shown = await desk.stats(actor=STAFF)
    assert (shown.open, nonzero(shown.by_category), nonzero(shown.by_priority)) == (
        stats.open,
        stats.by_category,
        stats.by_priority,
    )
    page = await desk.search(query="dashboard", actor=STAFF, limit=100)
    assert {t.id for t in page.items} == {t.id for t in made}
    if before is not None:  # SQLite: they shared transactions
        assert groups(desk) - before < 50


async def test_a_failing_command_among_concurrent_ones_rolls_back_alone(desk: Desk) -> None:
    desk = dataclasses.replace(desk, clock=TickingClock())  # every reply that lands changes the row (updated_at)
    ticket = await open_for(desk, PEOPLE[0], 0)
    before = groups(desk)

    async def good(i: int) -> int:
        message = await desk.admin_reply_to_ticket(
            ticket_id=ticket.id, content=f"try this {i}", actor=STAFF, idempotency_key=f"good-{i}"
        )
        return message.id

    async def bad() -> None:
        # claims its idempotency key (a row written) before finding that the ticket does not exist
        await desk.admin_reply_to_ticket(ticket_id="TKT-ZZZZZ", content="lost", actor=STAFF, idempotency_key="bad")

    results = await asyncio.gather(*(good(i) for i in range(5)), bad(), *(good(i) for i in range(5, 10)),
                                   return_exceptions=True)  # fmt: skip
    assert isinstance(results[5], NotFound)
    assert all(isinstance(r, int) for r in results[:5] + results[6:])
    assert await count(desk, messages) == 1 + 10
    assert await count(desk, idempotency_keys) == 10
    assert await count(desk, idempotency_keys, idempotency_keys.c.key == "bad") == 0
    final = await desk.queries.ticket(ticket.id)
    assert (final.version, final.status) == (1 + 10, Status.PENDING)  # every reply that landed wrote the ticket
    if before is not None:
        assert groups(desk) - before < 11


async def test_a_failing_unit_keeps_none_of_its_rows_and_its_neighbours_commit(desk: Desk, clock) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()

    def ticket(tid: str) -> Ticket:
        return Ticket(id=tid, subject="s", category="General", priority=Priority.LOW, status=Status.OPEN,
                      requester=PEOPLE[1], created_at=now, updated_at=now)  # fmt: skip

    def insert(tid: str, fail: bool) -> Callable[[UnitOfWork], str]:
        def fn(uow: UnitOfWork) -> str:
            assert uow.tickets.insert_if_new(ticket(tid)) is not None
            uow.tickets.save_link(Link(tid, "slack", "card", "C1", None, "1.0"))
            if fail:
                raise RuntimeError(f"{tid} fails after writing")
            return tid

        return fn

    ids = [f"TKT-B{c}CDF" for c in "BCDFGHJKMN"]
    results = await asyncio.gather(
        *(desk.db.write(insert(tid, fail=n == 4)) for n, tid in enumerate(ids)), return_exceptions=True
    )
    assert isinstance(results[4], RuntimeError) and "fails after writing" in str(results[4])
    assert [r for n, r in enumerate(results) if n != 4] == [tid for n, tid in enumerate(ids) if n != 4]
    assert await count(desk, tickets) == 9
    assert await count(desk, tickets, tickets.c.id == ids[4]) == 0
    assert await desk.queries.link(ids[4], "slack", "card") is None
    assert await desk.queries.link(ids[3], "slack", "card") is not None


async def test_per_ticket_changes_stay_serial_under_concurrency(desk: Desk) -> None:
    """Replies from both sides and staff changes on a few tickets at once: every ticket's history is one
    unbroken chain and its version counts every change."""
    desk = dataclasses.replace(desk, clock=TickingClock())  # every change that lands writes the row (updated_at)
    opened = [await open_for(desk, PEOPLE[i], i) for i in range(3)]

    async def work(i: int) -> str:
        t = opened[i % 3]
        kind = ("requester", "staff", "priority")[(i // 3) % 3]
        if kind == "requester":
            await desk.add_message(ticket_id=t.id, actor=t.requester, content=f"more {i}")
        elif kind == "staff":
            await desk.admin_reply_to_ticket(ticket_id=t.id, content=f"answer {i}", actor=STAFF)
        else:
            await desk.set_priority(ticket_id=t.id, priority=list(Priority)[(i // 9) % 4], actor=STAFF)
        return t.id

    results = await asyncio.gather(*(work(i) for i in range(90)), return_exceptions=True)
    assert all(isinstance(r, str | InvalidTransition) for r in results)  # (a priority it already had)
    for t in opened:
        final = await desk.queries.ticket(t.id)
        assert final.version == 1 + results.count(t.id)  # every change that landed wrote the ticket once
        assert await count(desk, messages, messages.c.ticket_id == t.id) == 1 + 20
        changes = await desk.history(ticket_id=t.id, actor=STAFF)
        last = {"status": "Open", "priority": "Medium"}
        for c in changes[1:]:
            assert c.old == last[c.field], f"lost update in {c.field} of {t.id}"
            last[c.field] = str(c.new)
        assert (last["status"], last["priority"]) == (final.status.value, final.priority.value)
    stats, _ = await recount(desk)
    shown = await desk.stats(actor=STAFF)
    assert (shown.open, shown.pending, nonzero(shown.by_priority)) == (stats.open, stats.pending, stats.by_priority)


async def test_concurrent_opens_over_the_limit_fail_alone(desk: Desk) -> None:
    desk.max_open_per_user = 2
    results = await asyncio.gather(*(open_for(desk, PEOPLE[i % 3], i) for i in range(12)), return_exceptions=True)
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 6 and all(isinstance(r, LimitReached) for r in refused)
    for p in PEOPLE[:3]:
        assert await count(desk, tickets, tickets.c.requester_id == p.user_id) == 2


async def test_the_callers_context_reaches_its_transaction(desk: Desk) -> None:
    request = contextvars.ContextVar("request", default="none")

    async def write_as(name: str) -> str:
        request.set(name)
        return await desk.db.write(lambda uow: request.get())

    assert await asyncio.gather(*(write_as(f"r{i}") for i in range(5))) == [f"r{i}" for i in range(5)]
    request.set("reader")
    assert await desk.db.read(lambda uow: request.get()) == "reader"


# ---------------------------------------------------------------------------------------------- SQLite only
@pytest.fixture
def sqlite_desk(desk: Desk, backend: str) -> Desk:
    if backend != "sqlite":
        pytest.skip("SQLite's driver thread and group commit")
    return desk


async def test_a_write_is_one_call_on_the_driver_thread(sqlite_desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """One hop to aiosqlite's thread per transaction. This leans on ``aiosqlite.Connection._execute`` (the
    seam SQLAlchemy's adapter uses too): if aiosqlite moves it, this test says so."""
    desk = sqlite_desk
    await open_for(desk, PEOPLE[0], 0)  # connections opened
    hops: list[int] = []
    original = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        hops.append(1)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    await open_for(desk, PEOPLE[1], 1)
    assert len(hops) == 1
    hops.clear()
    await desk.get_thread(ticket_id=(await desk.list_tickets(actor=STAFF))[0].id, actor=STAFF)
    assert len(hops) == 2  # list, then the thread: one read transaction each
    loop_thread = threading.get_ident()
    driver_thread = await desk.db.write(lambda uow: threading.current_thread())
    assert driver_thread.ident != loop_thread
    assert driver_thread.daemon  # a database nobody disposed of never keeps the process from exiting


async def test_writes_that_arrive_together_share_one_commit(sqlite_desk: Desk) -> None:
    desk = sqlite_desk
    await open_for(desk, PEOPLE[0], 0)
    assert isinstance(desk.db, SqlDatabase) and desk.db.group_commit is not None
    before = (desk.db.group_commit.groups, desk.db.group_commit.units)
    await asyncio.gather(*(open_for(desk, p, i) for i, p in enumerate(PEOPLE[:40])))
    groups_run = desk.db.group_commit.groups - before[0]
    assert desk.db.group_commit.units - before[1] == 40
    assert 1 <= groups_run <= 3  # the first alone, the rest while it ran


async def test_reads_cannot_write(sqlite_desk: Desk) -> None:
    from sqlalchemy.exc import OperationalError

    ticket = await open_for(sqlite_desk, PEOPLE[0], 0)
    with pytest.raises(OperationalError, match="readonly"):
        await sqlite_desk.db.read(lambda uow: uow.tickets.save_link(Link(ticket.id, "slack", "card", "C", None)))


async def test_disposing_the_engine_closes_the_driver_connections(sqlite_desk: Desk) -> None:
    desk = sqlite_desk
    before = set(threading.enumerate())
    await open_for(desk, PEOPLE[0], 0)  # opens this database's connections (other tests' may still be alive)
    assert isinstance(desk.db, SqlDatabase)
    threads = {t for t in set(threading.enumerate()) - before if "_connection_worker_thread" in t.name}
    assert len(threads) == 3  # the writer and two readers
    await desk.db.engine.dispose()
    await asyncio.sleep(0)
    for t in threads:
        t.join(timeout=5)
    assert not [t for t in threads if t.is_alive()]
    # and the database opens them again when used after that
    assert (await open_for(desk, PEOPLE[1], 1)).id
    assert await count(desk, tickets) == 2


@pytest.mark.parametrize(
    ("url", "driver_thread"),
    [
        ("sqlite+aiosqlite:///{tmp}/in-memory-of-ann/t.db", True),  # a file, whatever its path says
        ("sqlite+aiosqlite:///{tmp}/t.db", True),
        ("sqlite+aiosqlite://", False),  # in memory: every connection would see its own database
        ("sqlite+aiosqlite:///:memory:", False),
    ],
)
async def test_only_sqlite_files_take_the_driver_thread(tmp_path, url: str, driver_thread: bool) -> None:  # type: ignore[no-untyped-def]
    from core.storage.engine import build_engine

    engine = build_engine(url.format(tmp=tmp_path))
    try:
        assert (SqlDatabase(engine).group_commit is not None) is driver_thread
    finally:
        await engine.dispose()
