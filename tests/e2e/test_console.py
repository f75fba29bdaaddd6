"""The console adapter as the end-to-end harness: push a line, pop the reply, nothing left over."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from adapters.console import ConsoleNotifier, ConsoleSession
from core.desk import Desk
from core.outbox import Dispatcher


@pytest.fixture
async def console(desk: Desk) -> AsyncIterator[tuple[ConsoleSession, Dispatcher]]:
    session = ConsoleSession(desk)
    notifier = ConsoleNotifier(session)
    desk.consumers.append(notifier.name)
    yield session, Dispatcher(desk.engine, [notifier], clock=desk.clock)
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
    assert session.pop() == f"→ sent to {tid}"

    await session.push("/as staff Sam")
    assert session.pop() == "You are now Sam (staff)."
    await dispatcher.drain()  # what Ann did, as Sam sees it
    assert session.pop() == f"🎫 {tid} opened by Ann"
    assert session.pop() == f"💬 {tid} Ann (requester): It happens on every browser"
    await session.push(f"/ticket reply {tid} Please clear your cookies")
    assert session.pop() == f"→ sent to {tid}"
    await session.push(f"/ticket note {tid} probably the SSO bug")
    assert session.pop() == f"📝 note added to {tid}"

    await session.push("/as Ann")
    session.pop()
    await dispatcher.drain()
    assert session.pop() == f"💬 {tid} Sam (staff): Please clear your cookies"
    assert session.pop() == f"🔄 {tid} is now Pending (Sam)"
    await session.push(f"/ticket close {tid} fixed")
    assert "Status: Closed" in session.pop()


async def test_errors_are_short_and_change_nothing(console, desk: Desk) -> None:  # type: ignore[no-untyped-def]
    session, _ = console
    await session.push("/ticket frobnicate")
    assert session.pop().startswith("⚠ unknown command 'frobnicate'")
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
    assert "Assignee: Sam (console)" in session.pop()
    await session.push("/ticket search printer status:open")
    assert session.pop().startswith(f"1 found\n{tid}")
    await session.push("/ticket list")
    assert session.pop().startswith(tid)
    await session.push("/ticket stats")
    assert session.pop().startswith("Tickets: 1 total · 1 open")
    await session.push(f"/ticket history {tid}")
    assert "assignee: — → console:sam" in session.pop()
    await dispatcher.drain()
    assert session.outbox == type(session.outbox)()  # Sam's own change is not echoed back to Sam
