"""The console adapter as the end-to-end harness: push a line, pop the reply, nothing left over."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from adapters.console import ConsoleNotifier, ConsoleSession
from core.desk import Desk
from core.model import Actor
from core.outbox import Dispatcher


@pytest.fixture
async def console(desk: Desk) -> AsyncIterator[tuple[ConsoleSession, Dispatcher]]:
    session = ConsoleSession(desk)
    notifier = ConsoleNotifier(session)
    desk.consumers.append(notifier.name)
    yield session, Dispatcher(desk.db, [notifier], clock=desk.clock)
    assert not session.outbox, f"replies left over: {list(session.outbox)}"


async def test_a_ticket_from_open_to_close(console) -> None:  # type: ignore[no-untyped-def]
    session, dispatcher = console
    await session.push("/as Ann")
    assert session.pop() == "You are now Ann (requester)."
    await session.push("/ticket new Cannot access dashboard | 500 error on login priority:high category:technical")
    opened = session.pop()
    tid = re.search(r"Opened (TKT-\w{5})", opened).group(1)  # type: ignore[union-attr]
    assert "Status: Open   Priority: High   Category: Technical" in opened
    await session.push("It happens on every browser")
    assert session.pop() == f"Added to {tid}."

    await session.push("/as staff Sam")
    assert session.pop() == "You are now Sam (staff)."
    await dispatcher.drain()  # what Ann did, as Sam sees it
    assert session.pop() == f"🎫 {tid} opened by Ann"
    assert session.pop() == f"💬 {tid} Ann (requester): It happens on every browser"
    await session.push(f"/ticket reply {tid} Please clear your cookies")
    assert session.pop() == f"Sent to the requester of {tid}; it is now Pending (waiting on the requester)."
    await session.push(f"/ticket note {tid} probably the SSO bug")
    assert session.pop() == f"Internal note added to {tid} (never shown to the requester)."

    await session.push("/as Ann")
    session.pop()
    await dispatcher.drain()
    assert session.pop() == f"💬 {tid} Sam (support): Please clear your cookies"
    assert session.pop() == f"🔄 {tid} is now Pending (Sam)"
    await session.push(f"/ticket close {tid} fixed")
    assert session.pop() == f"{tid} is now Closed (resolved) — fixed."


async def test_errors_are_short_and_change_nothing(console, desk: Desk) -> None:  # type: ignore[no-untyped-def]
    session, _ = console
    await session.push("/ticket frobnicate")
    assert session.pop() == "⚠ unknown command 'frobnicate'; try /ticket help"
    await session.push("/ticket show TKT-BBBBB")
    assert session.pop() == "⚠ ticket TKT-BBBBB not found"
    await session.push("/ticket priority TKT-BBBBB")
    assert session.pop() == "⚠ usage: /ticket priority <id> <low|medium|high|urgent>"
    await session.push("/ticket stats")
    assert session.pop() == "⚠ only support staff can see statistics"
    await session.push("hello?")
    assert session.pop().startswith("No ticket selected")
    await session.push("/ticket new   ")
    assert session.pop().startswith("⚠ usage: /ticket new")
    assert await desk.list_tickets(actor=session.actor) == []


async def test_staff_commands_and_search(console) -> None:  # type: ignore[no-untyped-def]
    session, dispatcher = console
    await session.push("/ticket new Printer on fire priority:urgent")
    tid = re.search(r"TKT-\w{5}", session.pop()).group(0)  # type: ignore[union-attr]
    await session.push("/as staff Sam")
    session.pop()
    await dispatcher.drain()
    assert session.pop() == f"🎫 {tid} opened by you"
    await session.push(f"/ticket claim {tid}")
    assert session.pop() == f"{tid} is assigned to Sam (console)."
    await session.push("/ticket search printer status:open")
    assert session.pop().startswith(f"showing 1–1 of 1\n{tid}")
    await session.push("/ticket list")
    assert session.pop().startswith(f"showing 1–1 of 1\n{tid}")
    await session.push("/ticket stats")
    assert session.pop().startswith("Tickets: 1 total · 1 open")
    await session.push(f"/ticket history {tid}")
    assert "assignee: — → Sam (console)  by Sam (console)" in session.pop()
    await dispatcher.drain()
    assert session.outbox == type(session.outbox)()  # Sam's own change is not echoed back to Sam


async def test_console_commands_are_whole_words(console) -> None:  # type: ignore[no-untyped-def]
    session, _ = console
    await session.push("/as staff Sam")
    session.pop()
    for line in ("/assign TKT-BBBBB sign", "/ticketlist", "/asstaff Bob", "/frob"):
        await session.push(line)
        assert session.pop() == f"⚠ unknown command {line.split()[0]!r}; try /help"
    await session.push("/whoami")
    assert session.pop() == "You are Sam (staff)."  # nothing above changed who is typing
    await session.push("/help")
    assert "/as staff <name>" in (help_text := session.pop()) and "/ticket reply <id> <message>" in help_text


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ('/ticket assign {tid} "ann', "⚠ unknown user '\"ann'"),
        ("/ticket assign {tid} O'Brien", '⚠ unknown user "O\'Brien"'),
        ("/ticket assign {tid}", "⚠ usage: /ticket assign <id> <user|me|none>"),
        ("/ticket rate {tid} 7", "⚠ a rating is a whole number from 1 to 5; usage: /ticket rate <id> <1-5>"),
    ],
)
async def test_any_command_line_gets_an_answer_not_a_crash(console, line: str, answer: str) -> None:  # type: ignore[no-untyped-def]
    session, _ = console
    await session.push("/ticket new Printer on fire")
    tid = re.search(r"TKT-\w{5}", session.pop()).group(0)  # type: ignore[union-attr]
    await session.push("/as staff Sam")
    session.pop()
    await session.push(line.format(tid=tid))
    assert session.pop() == answer


async def test_only_staff_can_be_assigned(console) -> None:  # type: ignore[no-untyped-def]
    session, _ = console
    await session.push("/as staff Bea")
    session.pop()
    await session.push("/as Ann")
    session.pop()
    await session.push("/ticket new Printer on fire")
    tid = re.search(r"TKT-\w{5}", session.pop()).group(0)  # type: ignore[union-attr]
    await session.push("/as staff Sam")
    session.pop()
    await session.push(f"/ticket assign {tid} bea")
    assert session.pop() == f"{tid} is assigned to Bea (console)."
    await session.push(f"/ticket assign {tid} none")
    assert session.pop() == f"{tid} is no longer assigned."
    await session.push("/as Ann")
    session.pop()
    await session.push(f"/ticket assign {tid} me")
    assert session.pop() == "⚠ only support staff can do that"


async def test_terminal_escape_sequences_are_shown_inert(console) -> None:  # type: ignore[no-untyped-def]
    session, dispatcher = console
    await session.push("/ticket new Title\x1b]0;pwned\x07 here \x1b[2J\x1b[31m | body \x9b31m")
    opened = session.pop()
    assert "\x1b" not in opened and "\x07" not in opened and "\x9b" not in opened
    assert "␛]0;pwned\\x07" in opened and "␛[31m" in opened
    tid = re.search(r"TKT-\w{5}", opened).group(0)  # type: ignore[union-attr]
    await session.push("/as staff Sam")
    session.pop()
    await dispatcher.drain()
    note = session.pop()
    assert note.startswith(f"🎫 {tid}") and "\x1b" not in note
    await session.push(f"/ticket show {tid}")
    shown = session.pop()
    assert all(ch in "\n\t" or ord(ch) >= 0x20 and not 0x7F <= ord(ch) <= 0x9F for ch in shown)


async def test_lists_say_where_they_stand_and_page(console, desk: Desk) -> None:  # type: ignore[no-untyped-def]
    session, _ = console
    requester = Actor(platform="console", user_id="ann", name="Ann")
    for n in range(25):
        await desk.create_ticket(subject=f"ticket {n}", requester=Actor(platform="console", user_id=f"u{n}"))
    await desk.create_ticket(subject="mine", requester=requester)
    await session.push("/as staff Sam")
    session.pop()
    await session.push("/ticket list")
    first = session.pop().splitlines()
    assert first[0] == "showing 1–20 of 26 · next page: /ticket list … page 2" and len(first) == 21
    await session.push("/ticket list page 2")
    second = session.pop().splitlines()
    assert second[0] == "showing 21–26 of 26" and len(second) == 7
    assert not set(first[1:]) & set(second[1:])
    await session.push("/ticket search ticket page:2")
    assert session.pop().startswith("showing 21–25 of 25")


async def test_renamed_categories_default_to_the_first(desk: Desk) -> None:
    import dataclasses

    renamed = dataclasses.replace(desk, categories=("Tech Support", "Billing"))
    session = ConsoleSession(renamed)
    await session.push("/ticket new No category given")
    assert "Category: Tech Support" in session.pop()
    await session.push("/ticket new Card declined category:billing")
    assert "Category: Billing" in session.pop()


async def test_time_tells_staff_and_requesters_in_the_console(console, desk: Desk) -> None:  # type: ignore[no-untyped-def]
    """SLA alerts reach staff, the stale reminder reaches the requester, the digest is not the console's; the
    requester is told the target of the ticket's priority when it opens."""
    from datetime import time, timedelta
    from zoneinfo import ZoneInfo

    from core.scheduler import Scheduler
    from core.timers import DigestPlan

    session, dispatcher = console
    clock = desk.clock
    desk.digest = DigestPlan(time(13, 0), ZoneInfo("UTC"), {"console": "terminal"})
    scheduler = Scheduler(desk)
    await scheduler.start()
    await session.push("/as Ann")
    session.pop()
    await session.push("/ticket new Payroll export fails priority:urgent")
    opened = session.pop()
    assert "We usually answer Urgent tickets within 1 h." in opened
    tid = re.search(r"Opened (TKT-\w{5})", opened).group(1)  # type: ignore[union-attr]
    await session.push("/as staff Sam")
    session.pop()
    await dispatcher.drain()
    assert session.pop() == f"🎫 {tid} opened by Ann"
    clock.advance(timedelta(minutes=45))  # type: ignore[attr-defined]
    await scheduler.drain()
    await dispatcher.drain()
    assert session.pop() == f"⏰ {tid} needs a response: due 2026-11-26 13:00 UTC"
    clock.advance(timedelta(minutes=15))  # type: ignore[attr-defined]
    await scheduler.drain()  # the breach, and the 13:00 digest (not shown in a console)
    await dispatcher.drain()
    assert session.pop() == f"🚨 {tid} is overdue by 0 s: no response yet"
    await session.push(f"/ticket reply {tid} Fixed in 2.4.1, can you check?")
    session.pop()
    await session.push("/as Ann")
    session.pop()
    await dispatcher.drain()
    session.outbox.clear()  # (the reply and the Pending, shown above)
    clock.advance(timedelta(days=3))  # type: ignore[attr-defined]
    await scheduler.drain()
    await dispatcher.drain()
    assert session.pop() == f"⏳ {tid} is waiting for your answer; it closes 2026-12-03 13:00 UTC"
