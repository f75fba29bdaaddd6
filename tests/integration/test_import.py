"""``ticketbot import``'s unit of work on real storage: tickets exported by ``ticket show --json`` come back
whole, count in the statistics and the search as a recount says, and a bad line leaves nothing behind."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.cli import _jsonable
from bot.cli_import import Outcome, _Rollback, import_lines
from core.desk import Desk
from core.errors import TicketError
from core.model import Actor, Priority, Status
from core.storage.tables import history, messages, outbox, ticket_stats, tickets
from tests.fakes.clock import FakeClock
from tests.integration.test_stats import recount

STAFF = Actor(platform="slack", user_id="U1", name="Sam", is_staff=True)
USERS = [Actor(platform="discord", user_id=str(i), name=f"user{i}", email=f"u{i}@example.com") for i in range(4)]
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def count(desk: Desk, table) -> int:  # type: ignore[no-untyped-def]
    async with desk.db.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def some_tickets(desk: Desk, clock: FakeClock, n: int = 40) -> list[str]:
    """Tickets worked the way people do: replies both ways, notes, priorities, closes, ratings."""
    rng = random.Random(11)
    ids: list[str] = []
    for step in range(n * 4):
        clock.advance(minutes=rng.randint(1, 200))
        who = rng.choice(USERS)
        try:
            if len(ids) < n and (not ids or rng.random() < 0.3):
                t = await desk.create_ticket(subject=f"login problem {step} word{step}", message=f"details {step}",
                                             requester=who, priority=rng.choice(list(Priority)),
                                             category=rng.choice(["Technical", "Billing", "General"]))  # fmt: skip
                ids.append(t.id)
                continue
            tid = rng.choice(ids)
            owner = (await desk.queries.ticket(tid)).requester
            op = rng.choice(["reply", "staff", "note", "close", "rate", "prio"])
            if op == "reply":
                await desk.add_message(ticket_id=tid, actor=owner, content=f"more {step}")
            elif op == "staff":
                await desk.admin_reply_to_ticket(ticket_id=tid, content=f"answer {step}", actor=STAFF)
            elif op == "note":
                await desk.add_note(ticket_id=tid, content=f"secretnote{step}", actor=STAFF)
            elif op == "close":
                await desk.close_ticket(ticket_id=tid, actor=STAFF, reason="done")
            elif op == "rate":
                await desk.rate_ticket(ticket_id=tid, rating=rng.randint(1, 5), actor=owner)
            else:
                await desk.set_priority(ticket_id=tid, priority=rng.choice(list(Priority)), actor=STAFF)
        except TicketError:
            pass
    return ids


async def exported(desk: Desk, tid: str) -> dict[str, Any]:
    """What ``ticketbot ticket show TID --json`` prints."""
    shown = await desk.get_ticket(ticket_id=tid, actor=STAFF), await desk.get_thread(ticket_id=tid, actor=STAFF)
    return _jsonable({"ticket": shown[0], "messages": list(shown[1])}, NOW)  # type: ignore[no-any-return]


async def run_import(desk: Desk, lines: list[str], *, dry_run: bool = False) -> Outcome:
    stream = [line.encode() + b"\n" for line in lines]

    def unit(uow: Any) -> Outcome:
        return import_lines(uow, stream, categories=desk.categories, new_id=desk.ids,  # type: ignore[arg-type]
                            dry_run=dry_run, now=NOW)  # fmt: skip

    try:
        result: Outcome = await desk.db.write(unit)
    except _Rollback as rolled_back:
        return rolled_back.outcome
    return result


def without_ids(doc: dict[str, Any]) -> dict[str, Any]:
    return {"ticket": {k: v for k, v in doc["ticket"].items() if k != "id"}, "messages": doc["messages"]}


async def all_ids(desk: Desk) -> list[str]:
    return [t.id for t in await desk.list_tickets(actor=STAFF, status=list(Status), limit=100)]


async def test_exported_tickets_import_whole_and_count_like_a_recount(desk: Desk, clock: FakeClock) -> None:
    await some_tickets(desk, clock)
    ids = await all_ids(desk)  # (with the follow-ups that replies to long-closed tickets opened)
    docs = [await exported(desk, tid) for tid in ids]
    assert {d["ticket"]["status"] for d in docs} >= {"Open", "Pending", "Closed"}
    outcome = await run_import(desk, [json.dumps(without_ids(d)) for d in docs])
    assert (outcome.tickets, outcome.bad_lines) == (len(ids), 0)
    assert outcome.messages == sum(len(d["messages"]) for d in docs)

    # every imported ticket is its original again: same fields and thread, a new id
    copies = [await desk.queries.ticket(tid) for tid in await all_ids(desk) if tid not in ids]
    assert len(copies) == len(ids)
    by_key = {(d["ticket"]["subject"], d["ticket"]["created_at"]): d for d in docs}
    assert len(by_key) == len(docs)
    for copy in copies:
        again = await exported(desk, copy.id)
        original = by_key[(copy.subject, copy.created_at.isoformat())]
        keep = {k: v for k, v in original["ticket"].items() if k not in ("id", "version")}
        assert {k: v for k, v in again["ticket"].items() if k not in ("id", "version")} == keep
        strip = [{k: v for k, v in m.items() if k not in ("id", "ticket_id")} for m in original["messages"]]
        assert [{k: v for k, v in m.items() if k not in ("id", "ticket_id")} for m in again["messages"]] == strip
        assert [(c.field, c.new) for c in await desk.history(ticket_id=copy.id, actor=STAFF)] == [
            ("imported", original["ticket"]["status"])
        ]

    # the statistics are a recount's (originals and copies alike), nobody is notified of the copies
    maintained = await desk.stats(actor=STAFF)
    expected, rows = await recount(desk)
    assert len(rows) == 2 * len(ids)
    for name in ("total", "open", "pending", "closed", "avg_first_response", "avg_resolution", "sla_attainment",
                 "csat_average", "csat_count", "by_category", "by_priority"):  # fmt: skip
        assert getattr(maintained, name) == getattr(expected, name), name

    # search finds each copy where it finds its original: subject, messages, and for staff only, notes
    def key(t: Any) -> tuple[str, str]:
        return t.subject, t.created_at.isoformat()

    for original in docs[:15]:
        mine = (original["ticket"]["subject"], original["ticket"]["created_at"])
        found = await desk.search(query=original["ticket"]["subject"].split()[-1], actor=STAFF)
        assert {key(t) for t in found.items} == {mine} and len(found.items) == 2
        requester = Actor(**original["ticket"]["requester"])
        for m in original["messages"]:  # each body's last word is unique to its ticket
            word = m["body"].split()[-1]
            staff_hits = (await desk.search(query=word, actor=STAFF)).items
            assert {key(t) for t in staff_hits} == {mine} and len(staff_hits) == 2, word
            own_hits = (await desk.search(query=word, actor=requester)).items
            assert len(own_hits) == (0 if m["internal"] else 2), word


async def test_a_bad_line_imports_nothing(desk: Desk, clock: FakeClock) -> None:
    await some_tickets(desk, clock, n=5)
    ids = await all_ids(desk)
    docs = [json.dumps(without_ids(await exported(desk, tid))) for tid in ids]
    before = {t.__name__ if hasattr(t, "__name__") else t.name: await count(desk, t)
              for t in (tickets, messages, history, outbox, ticket_stats)}  # fmt: skip
    stats_before = await desk.stats(actor=STAFF)
    broken = json.loads(docs[2])
    broken["messages"][0]["created_at"] = "2026-11-26 12:00"  # no timezone
    outcome = await run_import(desk, [*docs[:2], json.dumps(broken), *docs[3:], "", "[1, 2]"])
    assert outcome.bad_lines == 2
    assert outcome.errors == [
        (3, "messages[1].created_at '2026-11-26 12:00' needs a timezone (like 2026-11-01T09:30:00+00:00 or …Z)"),
        (7, "the line must be an object"),
    ]
    after = {t.name: await count(desk, t) for t in (tickets, messages, history, outbox, ticket_stats)}
    assert after == before
    assert await desk.stats(actor=STAFF) == stats_before


async def test_ids_are_kept_when_free_and_refused_when_taken(desk: Desk, clock: FakeClock) -> None:
    ids = await some_tickets(desk, clock, n=2)
    doc = await exported(desk, ids[0])
    taken = await run_import(desk, [json.dumps(doc)])
    assert taken.errors == [(1, f"ticket {ids[0]} already exists")]
    free = json.loads(json.dumps(doc))
    free["ticket"]["id"] = "tkt-bbbbb"
    twice = await run_import(desk, [json.dumps(free), json.dumps(free)])
    assert twice.errors == [(2, "ticket TKT-BBBBB is on line 1 already")]
    assert (await run_import(desk, [json.dumps(free)], dry_run=True)).tickets == 1
    assert await desk.queries.find_ticket("TKT-BBBBB") is None  # a dry run writes nothing
    assert (await run_import(desk, [json.dumps(free)])).tickets == 1
    assert (await desk.queries.ticket("TKT-BBBBB")).subject == doc["ticket"]["subject"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["ticket"].pop("subject"), "ticket.subject: the subject is required"),
        (lambda d: d["ticket"].update(priority="asap"),
         "ticket.priority: unknown priority 'asap'; choose one of Low, Medium, High, Urgent"),
        (lambda d: d["ticket"].update(category="Sales"),
         "ticket.category: unknown category 'Sales'; choose one of Technical, Billing, General"),
        (lambda d: d["ticket"].update(colour="red"), "ticket has unknown field 'colour'"),
        (lambda d: d["ticket"].update(status="Closed", closed_at=None),
         "ticket.closed_at is required for a Closed ticket"),
        (lambda d: d["ticket"].update(rating=9), "ticket.rating must be a whole number from 1 to 5"),
        (lambda d: d["ticket"]["requester"].update(email="not-an-email"),
         "ticket.requester.email: 'not-an-email' is not an email address (like ann@example.com)"),
        (lambda d: d["ticket"].update(created_at="yesterday"),
         "ticket.created_at 'yesterday' is not an ISO 8601 time (like 2026-11-01T09:30:00+00:00)"),
        (lambda d: d["messages"][0].update(role="boss"),
         "messages[1].role: unknown role 'boss'; choose one of requester, staff, system"),
        (lambda d: d["messages"][0].update(body=" "), "messages[1].body: the message is empty"),
        (lambda d: d["ticket"].update(id="ZD-1234"),
         "ticket.id: 'ZD-1234' is not a ticket id (they look like TKT-B3X9C)"),
    ],
)  # fmt: skip
async def test_each_mistake_is_named_with_its_line(desk: Desk, clock: FakeClock, change, message: str) -> None:  # type: ignore[no-untyped-def]
    ids = await some_tickets(desk, clock, n=1)
    doc = without_ids(await exported(desk, ids[0]))
    change(doc)
    outcome = await run_import(desk, ["", json.dumps(doc)])
    assert outcome.errors == [(2, message)]
    assert await count(desk, tickets) == 1
