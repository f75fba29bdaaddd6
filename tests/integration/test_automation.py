"""The automatic-ticket rules and the operator figures against the real storage (SQLite, and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.commands import Changed, Close, ListTickets, OpenTicket, Page, Posted, SystemMessage
from core.desk import Desk
from core.errors import NotPermitted
from core.model import Actor, Priority, Role, Status
from core.operations import snapshot
from core.rules import Alert, AutoTickets, KeywordMatcher, parse_priority_map
from tests.fakes.clock import FakeClock

ANN = Actor("slack", "U1", "Ann")
STAFF = Actor("cli", "sam", is_staff=True)


def test_keywords_match_whole_words_and_phrases_in_any_case() -> None:
    match = KeywordMatcher(["help", "error", "out of order", "c++"]).match
    assert match("HELP me") == "HELP" and match("an Error!") == "Error" and match("(help)") == "help"
    assert match("helpful helper terror errors") is None
    assert match("printer out  of order") is None and match("it is out of order.") == "out of order"
    assert match("c++ crash") == "c++"
    assert not KeywordMatcher([" ", ""]) and KeywordMatcher([]).match("help") is None


def test_the_priority_map_reads_as_documented() -> None:
    assert parse_priority_map("critical:urgent, Error:HIGH") == {"critical": Priority.URGENT, "error": Priority.HIGH}
    auto = AutoTickets.__new__(AutoTickets)
    auto.priority_map = parse_priority_map("critical:urgent,warning:medium,info:low")
    assert auto.priority_of(["info", "critical", "nonsense"]) is Priority.URGENT
    assert auto.priority_of(["nonsense"]) is None


async def test_a_cooldown_holds_one_person_for_its_length_and_lets_a_retry_through(
    desk: Desk, clock: FakeClock
) -> None:
    auto = AutoTickets(desk, keywords=["help"], cooldown=timedelta(minutes=10))
    first = await auto.from_keyword(ANN, "help, login broken", message_key="m1")
    retry = await auto.from_keyword(ANN, "help, login broken", message_key="m1")  # the same message again
    assert first is not None and retry is not None and retry.ticket.id == first.ticket.id and not retry.events
    assert await auto.from_keyword(ANN, "help again", message_key="m2") is None
    assert await auto.from_keyword(ANN, "no keyword here", message_key="m3") is None
    clock.advance(minutes=10)
    later = await auto.from_keyword(ANN, "help, another thing", message_key="m4")
    assert later is not None and later.ticket.id != first.ticket.id


async def test_a_refused_keyword_ticket_starts_no_cooldown(desk: Desk) -> None:
    limited = Desk(db=desk.db, clock=desk.clock, max_open_per_user=1)
    auto = AutoTickets(limited, keywords=["help"])
    await limited.execute(OpenTicket("already open"), ANN)
    with pytest.raises(Exception, match="open tickets"):
        await auto.from_keyword(ANN, "help", message_key="m1")
    page = await limited.execute(ListTickets(), ANN)
    assert isinstance(page, Page)
    await limited.execute(Close(page.items[0].id), ANN)
    assert await auto.from_keyword(ANN, "help", message_key="m2") is not None


async def test_system_messages_are_ticketbots_own_and_change_no_status(desk: Desk) -> None:
    opened = await desk.execute(OpenTicket("Printer"), ANN)
    assert isinstance(opened, Changed)
    with pytest.raises(NotPermitted):
        await desk.execute(SystemMessage(opened.ticket.id, "fired again"), STAFF)
    posted = await desk.execute(SystemMessage(opened.ticket.id, "fired again"), Actor.system())
    assert isinstance(posted, Posted) and posted.message.role is Role.SYSTEM and not posted.message.internal
    assert posted.ticket.status is Status.OPEN and posted.status_change is None


async def test_alerts_of_one_key_share_one_open_ticket(desk: Desk) -> None:
    auto = AutoTickets(desk, close_on_resolve=True)
    source = Actor("alertmanager", "ticketbot", "Alertmanager")
    firing = Alert("g1", True, "HighLatency", "p99 2 s", severities=("critical",))
    opened = await auto.from_alert(firing, source)
    again = await auto.from_alert(firing, source)
    other_source = await auto.from_alert(firing, Actor("grafana", "1"))
    assert (opened.action, again.action, other_source.action) == ("opened", "updated", "opened")
    assert opened.ticket is not None and again.ticket is not None and opened.ticket.id == again.ticket.id
    assert opened.ticket.priority is Priority.URGENT
    closed = await auto.from_alert(Alert("g1", False, "HighLatency", "ok"), source)
    assert closed.action == "closed" and closed.ticket is not None and closed.ticket.status is Status.CLOSED
    reopened = await auto.from_alert(firing, source)
    assert reopened.action == "opened" and reopened.ticket is not None and reopened.ticket.id != opened.ticket.id


async def test_the_snapshot_counts_dead_letters_per_consumer(desk: Desk, clock: FakeClock) -> None:
    desk.consumers[:] = ["slack", "email"]
    opened = await desk.execute(OpenTicket("Printer"), ANN)
    assert isinstance(opened, Changed)
    row = await desk.db.write(lambda uow: uow.outbox.claim("slack", clock.now(), timedelta(seconds=1), 10))
    await desk.db.write(lambda uow: uow.outbox.retry(row[0].id, clock.now(), "SlackApiError: not_in_channel"))
    clock.advance(hours=25)
    figures = await snapshot(desk.db, now=clock.now(), dead_after=timedelta(hours=24))
    assert figures.outbox == {"slack": (1, 1), "email": (1, 0)} and figures.dead_letters() == 1
    assert figures.created == 1 and figures.tickets[("Open", "Medium")] == 1 and figures.closings == 0
    error = await desk.db.read(lambda uow: uow.operations.last_error("slack"))
    assert error == "SlackApiError: not_in_channel"
