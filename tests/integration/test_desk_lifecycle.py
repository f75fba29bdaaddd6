"""The service API end to end on real storage (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
import random
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.desk import Desk
from core.errors import InvalidInput, InvalidTransition, LimitReached, NotFound, NotPermitted
from core.ids import ALPHABET, TicketIdGenerator
from core.model import Actor, Attachment, Priority, Role, Status
from core.storage.database import SqlDatabase
from core.storage.tables import history, messages, outbox, tickets
from tests.fakes.clock import FakeClock

ANN = Actor(platform="discord", user_id="111", name="Ann", email="ann@example.com")
BOB = Actor(platform="discord", user_id="222", name="Bob")
STAFF = Actor(platform="slack", user_id="U0STAFF", name="Sam", is_staff=True)
ID_RE = re.compile(rf"^TKT-[{ALPHABET}]{{5}}$")


async def count(desk: Desk, table) -> int:  # type: ignore[no-untyped-def]
    async with desk.db.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def open_ticket(desk: Desk, who: Actor = ANN, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("subject", "Cannot access dashboard")
    kw.setdefault("message", "I'm getting a 500 error when trying to log in.")
    return await desk.create_ticket(requester=who, **kw)


async def test_create_ticket_with_the_seed_api(desk: Desk) -> None:
    ticket = await desk.create_ticket(
        user_id="user-1",
        email="u1@example.com",
        subject="  Cannot   access dashboard ",
        category="Technical",
        priority="high",
        message="I'm getting a 500 error when trying to log in.",
    )
    assert ID_RE.match(ticket.id)
    assert ticket.subject == "Cannot access dashboard"
    assert (ticket.category, ticket.priority, ticket.status) == ("Technical", Priority.HIGH, Status.OPEN)
    assert ticket.requester == Actor(platform="api", user_id="user-1", email="u1@example.com")
    thread = await desk.get_thread(ticket_id=ticket.id, actor=STAFF)
    assert [(m.role, m.body) for m in thread] == [(Role.REQUESTER, "I'm getting a 500 error when trying to log in.")]
    assert ticket.sla_due_at == ticket.created_at + timedelta(hours=4)


@pytest.mark.parametrize("spelling", ["high", "HIGH", "High", " hIgH "])
async def test_priority_is_case_insensitive(desk: Desk, spelling: str) -> None:
    assert (await open_ticket(desk, priority=spelling)).priority is Priority.HIGH


@pytest.mark.parametrize("category", ["billing", "BILLING", "Billing"])
async def test_category_is_case_insensitive(desk: Desk, category: str) -> None:
    assert (await open_ticket(desk, category=category)).category == "Billing"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"subject": "   "}, "the subject is required"),
        ({"subject": "x" * 151}, "at most 150"),
        ({"priority": "critical"}, "unknown priority 'critical'; choose one of Low, Medium, High, Urgent"),
        ({"category": "Sales"}, "unknown category 'Sales'; choose one of Technical, Billing, General"),
    ],
)
async def test_bad_input_is_a_clear_error_and_changes_nothing(desk: Desk, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        await open_ticket(desk, **kwargs)
    assert await count(desk, tickets) == 0
    assert await count(desk, outbox) == 0


async def test_subject_of_exactly_150_characters_is_accepted(desk: Desk) -> None:
    assert len((await open_ticket(desk, subject="y" * 150)).subject) == 150


async def test_id_collisions_draw_again(engine, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    # Two generators with the same seed propose the same sequence: the second desk collides on every
    # id the first one took and must keep drawing until it finds a free one.
    first = Desk(db=SqlDatabase(engine), clock=clock, ids=TicketIdGenerator(random.Random(7)))
    second = Desk(db=SqlDatabase(engine), clock=clock, ids=TicketIdGenerator(random.Random(7)))
    taken = [(await open_ticket(first)).id for _ in range(5)]
    again = await open_ticket(second)
    assert again.id not in taken
    assert len(set(taken)) == 5
    assert await count(first, tickets) == 6


async def test_staff_reply_sets_pending_and_requester_reply_reopens(desk: Desk, clock: FakeClock) -> None:
    ticket = await open_ticket(desk, priority="urgent")
    clock.advance(minutes=30)
    await desk.admin_reply_to_ticket(ticket_id=ticket.id, content="I've reset your password.", actor=STAFF)
    t = await desk.get_ticket(ticket_id=ticket.id, actor=ANN)
    assert t.status is Status.PENDING
    assert t.first_response_at == clock.now() and not t.sla_breached
    assert t.sla_due_at is None, "the SLA clock pauses while Pending"
    clock.advance(hours=3)
    await desk.reply_to_ticket(ticket_id=ticket.id, content="Still broken", actor=ANN)
    t = await desk.get_ticket(ticket_id=ticket.id, actor=ANN)
    assert t.status is Status.OPEN
    assert t.sla_due_at == clock.now() + timedelta(hours=1), "the next-response clock starts again"
    assert [(c.field, c.old, c.new) for c in await desk.history(ticket_id=t.id, actor=STAFF)] == [
        ("status", None, "Open"),
        ("status", "Open", "Pending"),
        ("status", "Pending", "Open"),
    ]


async def test_late_first_response_is_a_breach(desk: Desk, clock: FakeClock) -> None:
    ticket = await open_ticket(desk, priority="urgent")
    clock.advance(hours=2)
    await desk.admin_reply_to_ticket(ticket_id=ticket.id, content="Sorry for the wait", actor=STAFF)
    assert (await desk.queries.ticket(ticket.id)).sla_breached


async def test_priority_change_moves_the_running_due_time(desk: Desk, clock: FakeClock) -> None:
    ticket = await open_ticket(desk, priority="low")
    clock.advance(hours=1)
    t = await desk.set_priority(ticket_id=ticket.id, priority="URGENT", actor=STAFF)
    assert t.sla_due_at == ticket.created_at + timedelta(hours=1)


async def test_internal_notes_change_nothing_and_stay_hidden(desk: Desk) -> None:
    ticket = await open_ticket(desk)
    await desk.add_note(ticket_id=ticket.id, content="customer is on the legacy plan", actor=STAFF)
    t = await desk.get_ticket(ticket_id=ticket.id, actor=STAFF)
    assert (t.status, t.sla_due_at, t.first_response_at) == (Status.OPEN, ticket.sla_due_at, None)
    assert [m.internal for m in await desk.get_thread(ticket_id=ticket.id, actor=STAFF)] == [False, True]
    assert [m.internal for m in await desk.get_thread(ticket_id=ticket.id, actor=ANN)] == [False]
    with pytest.raises(NotPermitted):
        await desk.add_note(ticket_id=ticket.id, content="sneaky", actor=ANN)


async def test_close_and_reopen_by_requester_and_staff(desk: Desk, clock: FakeClock) -> None:
    ticket = await open_ticket(desk)
    closed = await desk.close_ticket(ticket_id=ticket.id, actor=ANN, reason="works now")
    assert closed.status is Status.CLOSED and closed.closed_at == clock.now()
    with pytest.raises(InvalidTransition, match="already closed"):
        await desk.close_ticket(ticket_id=ticket.id, actor=STAFF)
    assert closed.close_reason == "works now"
    reopened = await desk.reopen_ticket(ticket_id=ticket.id, actor=STAFF)
    assert reopened.status is Status.OPEN and reopened.reopened_at == clock.now() and reopened.closed_at is None
    assert reopened.close_reason is None


async def test_requester_message_reopens_within_window_else_opens_follow_up(desk: Desk, clock: FakeClock) -> None:
    ticket = await open_ticket(desk)
    await desk.close_ticket(ticket_id=ticket.id, actor=STAFF)
    clock.advance(days=6)
    await desk.add_message(ticket_id=ticket.id, actor=ANN, content="it broke again")
    assert (await desk.queries.ticket(ticket.id)).status is Status.OPEN
    await desk.close_ticket(ticket_id=ticket.id, actor=STAFF)
    clock.advance(days=8)
    with pytest.raises(InvalidTransition, match="open a new ticket"):
        await desk.reopen_ticket(ticket_id=ticket.id, actor=ANN)
    message = await desk.add_message(ticket_id=ticket.id, actor=ANN, content="and again, a week later")
    assert message.ticket_id != ticket.id
    follow_up = await desk.queries.ticket(message.ticket_id)
    assert follow_up.reopened_from == ticket.id and follow_up.status is Status.OPEN
    assert (await desk.queries.ticket(ticket.id)).status is Status.CLOSED


async def test_requester_sees_and_touches_only_own_tickets(desk: Desk) -> None:
    ticket = await open_ticket(desk, who=ANN)
    before = await count(desk, history)
    for call in (
        desk.get_ticket(ticket_id=ticket.id, actor=BOB),
        desk.reply_to_ticket(ticket_id=ticket.id, content="hi", actor=BOB),
        desk.close_ticket(ticket_id=ticket.id, actor=BOB),
        desk.add_message(ticket_id=ticket.id, actor=BOB, content="me too"),
    ):
        with pytest.raises(NotFound, match=f"ticket {ticket.id} not found"):
            await call
    for call in (
        desk.set_priority(ticket_id=ticket.id, priority="urgent", actor=ANN),
        desk.admin_update_ticket_status(ticket_id=ticket.id, status="pending", actor=ANN),
        desk.assign_ticket(ticket_id=ticket.id, actor=ANN, assignee=ANN),
        desk.admin_reply_to_ticket(ticket_id=ticket.id, content="I am support", actor=ANN),
        desk.stats(actor=ANN),
    ):
        with pytest.raises(NotPermitted):
            await call
    assert await count(desk, history) == before
    assert await count(desk, messages) == 1
    assert (await desk.queries.ticket(ticket.id)).version == ticket.version


async def test_unknown_and_malformed_ids(desk: Desk) -> None:
    with pytest.raises(NotFound, match="ticket TKT-BBBBB not found"):
        await desk.get_ticket(ticket_id="tkt-bbbbb", actor=STAFF)
    with pytest.raises(InvalidInput, match="not a ticket id"):
        await desk.get_ticket(ticket_id="TKT-AEIOU", actor=STAFF)


async def test_short_and_lower_case_ids_are_accepted(desk: Desk) -> None:
    ticket = await open_ticket(desk)
    assert (await desk.get_ticket(ticket_id=ticket.id[4:].lower(), actor=STAFF)).id == ticket.id


async def test_claim_assign_and_category(desk: Desk) -> None:
    ticket = await open_ticket(desk)
    t = await desk.claim_ticket(ticket_id=ticket.id, actor=STAFF)
    assert t.assignee == STAFF.as_person()
    with pytest.raises(InvalidTransition, match="already assigned"):
        await desk.claim_ticket(ticket_id=ticket.id, actor=STAFF)
    t = await desk.assign_ticket(ticket_id=ticket.id, actor=STAFF, assignee=None)
    assert t.assignee is None
    t = await desk.set_category(ticket_id=ticket.id, category="billing", actor=STAFF)
    assert t.category == "Billing"


async def test_events_are_recorded_with_the_change(desk: Desk) -> None:
    desk.consumers.extend(["slack", "discord"])
    ticket = await open_ticket(desk)
    await desk.admin_reply_to_ticket(ticket_id=ticket.id, content="hello", actor=STAFF)
    async with desk.db.engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.consumer, outbox.c.event).order_by(outbox.c.id))).all()
    assert [tuple(r) for r in rows] == [
        ("slack", "ticket_opened"),
        ("discord", "ticket_opened"),
        ("slack", "message_added"),
        ("discord", "message_added"),
        ("slack", "status_changed"),
        ("discord", "status_changed"),
    ]


async def test_failed_change_records_no_event(desk: Desk) -> None:
    desk.consumers.append("slack")
    ticket = await open_ticket(desk)
    with pytest.raises(InvalidTransition):
        await desk.reopen_ticket(ticket_id=ticket.id, actor=STAFF)
    assert await count(desk, outbox) == 1


async def test_idempotency_key_makes_one_ticket(desk: Desk) -> None:
    first = await open_ticket(desk, idempotency_key="discord:interaction:42")
    again = await open_ticket(desk, idempotency_key="discord:interaction:42", subject="something else")
    assert again.id == first.id
    assert await count(desk, tickets) == 1
    m1 = await desk.add_message(ticket_id=first.id, actor=ANN, content="x", idempotency_key="slack:Ev1")
    m2 = await desk.add_message(ticket_id=first.id, actor=ANN, content="x", idempotency_key="slack:Ev1")
    assert m1 == m2 and await count(desk, messages) == 2


async def test_concurrent_duplicate_opens_make_one_ticket(desk: Desk) -> None:
    made = await asyncio.gather(*(open_ticket(desk, idempotency_key="dup-1") for _ in range(10)))
    assert len({t.id for t in made}) == 1
    assert await count(desk, tickets) == 1


async def test_open_limit_per_user(desk: Desk) -> None:
    desk.max_open_per_user = 2
    await open_ticket(desk)
    await open_ticket(desk)
    with pytest.raises(LimitReached, match="already have 2 open tickets"):
        await open_ticket(desk)
    assert await count(desk, tickets) == 2
    await open_ticket(desk, who=BOB)


async def test_concurrent_opens_respect_the_limit(desk: Desk) -> None:
    desk.max_open_per_user = 3
    results = await asyncio.gather(*(open_ticket(desk) for _ in range(8)), return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 3
    assert all(isinstance(r, LimitReached) for r in results if isinstance(r, Exception))


async def test_fifty_concurrent_changes_lose_no_update(desk: Desk) -> None:
    ticket = await open_ticket(desk, priority="low")
    priorities = ["Low", "Medium", "High", "Urgent"]

    async def change(i: int) -> str:
        # each call flips a field relative to what it reads inside its transaction, so a lost update
        # would show as a missing history line or a wrong version
        t = await desk.queries.ticket(ticket.id)
        if i % 2:
            target = priorities[(priorities.index(t.priority.value) + 1) % 4]
            try:
                await desk.set_priority(ticket_id=ticket.id, priority=target, actor=STAFF)
            except InvalidTransition:
                return "same"
            return "priority"
        status = "Pending" if t.status is Status.OPEN else "Open"
        try:
            await desk.admin_update_ticket_status(ticket_id=ticket.id, status=status, actor=STAFF)
        except InvalidTransition:
            return "same"
        return "status"

    results = await asyncio.gather(*(change(i) for i in range(50)))
    applied = [r for r in results if r != "same"]
    final = await desk.queries.ticket(ticket.id)
    changes = await desk.history(ticket_id=ticket.id, actor=STAFF)
    assert final.version == 1 + len(applied)
    assert len(changes) == 1 + len(applied)
    # the history is a consistent chain: each change starts where the previous one of its field ended
    last: dict[str, str | None] = {"status": "Open", "priority": "Low"}
    for c in changes[1:]:
        assert c.old == last[c.field], f"lost update in {c.field}"
        last[c.field] = c.new
    assert (last["status"], last["priority"]) == (final.status.value, final.priority.value)


async def test_attachments_metadata_is_kept(desk: Desk) -> None:
    shot = Attachment(name="error.png", url="https://cdn.example/e.png", size=2048, content_type="image/png")
    ticket = await open_ticket(desk, attachments=[shot])
    await desk.add_message(ticket_id=ticket.id, actor=ANN, content="", attachments=[shot])
    thread = await desk.get_thread(ticket_id=ticket.id, actor=ANN)
    assert [m.attachments for m in thread] == [(shot,), (shot,)]


async def test_empty_message_without_files_is_refused(desk: Desk) -> None:
    ticket = await open_ticket(desk)
    with pytest.raises(InvalidInput, match="empty"):
        await desk.add_message(ticket_id=ticket.id, actor=ANN, content="   ")


async def test_rating_only_by_requester_after_close(desk: Desk) -> None:
    ticket = await open_ticket(desk)
    with pytest.raises(InvalidTransition, match="once it is closed"):
        await desk.rate_ticket(ticket_id=ticket.id, rating=5, actor=ANN)
    await desk.close_ticket(ticket_id=ticket.id, actor=STAFF)
    with pytest.raises(InvalidInput, match="1 to 5"):
        await desk.rate_ticket(ticket_id=ticket.id, rating=6, actor=ANN)
    with pytest.raises(NotPermitted):
        await desk.rate_ticket(ticket_id=ticket.id, rating=5, actor=STAFF)
    assert (await desk.rate_ticket(ticket_id=ticket.id, rating=4, actor=ANN)).rating == 4


async def test_staff_queue_order_and_requester_list(desk: Desk, clock: FakeClock) -> None:
    low = await open_ticket(desk, priority="low")
    urgent = await open_ticket(desk, priority="urgent", who=BOB)
    claimed = await open_ticket(desk, priority="urgent")
    await desk.claim_ticket(ticket_id=claimed.id, actor=STAFF)
    queue = await desk.list_tickets(actor=STAFF)
    assert [t.id for t in queue] == [urgent.id, low.id, claimed.id]
    assert [t.id for t in await desk.list_tickets(actor=STAFF, mine=True)] == [claimed.id]
    assert {t.id for t in await desk.list_tickets(actor=ANN)} == {low.id, claimed.id}


async def test_due_tickets_is_the_what_is_due_query(desk: Desk, clock: FakeClock) -> None:
    urgent = await open_ticket(desk, priority="urgent")
    await open_ticket(desk, priority="low")
    assert await desk.queries.due_tickets(before=clock.now() + timedelta(minutes=59)) == []
    assert [t.id for t in await desk.queries.due_tickets(before=clock.now() + timedelta(hours=2))] == [urgent.id]


async def test_where_a_message_was_typed_is_saved_with_it(desk: Desk) -> None:
    from core.model import Link, origin_kind

    ticket = await open_ticket(desk)
    here = Link(ticket.id, "slack", "", "C0STAFF", "171.001", "171.002")
    message = await desk.add_message(ticket_id=ticket.id, actor=STAFF, content="on it", origin=here)
    saved = await desk.queries.link(ticket.id, "slack", origin_kind(message.id))
    assert saved == Link(ticket.id, "slack", origin_kind(message.id), "C0STAFF", "171.001", "171.002")
    with pytest.raises(NotFound):  # a refused message leaves no trace of its origin either
        await desk.add_message(ticket_id=ticket.id, actor=BOB, content="hi", origin=here)
    assert await desk.queries.link(ticket.id, "slack", origin_kind(message.id + 1)) is None
