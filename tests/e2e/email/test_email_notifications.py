"""The requester's mails, end to end: desk → outbox → EmailNotifier → aiosmtplib → a real aiosmtpd server."""

from __future__ import annotations

import re

import pytest

from adapters.email.notifier import EmailNotifier
from core.events import MessageAdded, TicketOpened
from core.model import Actor, Status
from core.outbox import Dispatcher
from tests.e2e.email.conftest import Mail, Server, smtp_settings
from tests.fakes.clock import FakeClock

ANN = Actor(platform="discord", user_id="111", name="Ann", email="ann@example.com")
BOB = Actor(platform="discord", user_id="222", name="Bob")  # no email address
SAM = Actor(platform="slack", user_id="U1", name="Sam", is_staff=True)
MSGID = re.compile(r"^<TKT-[0-9A-Z]{5}(\.[0-9a-f]+)?@example\.com>$")


async def test_created_reply_and_closed_mails_thread_together(mail: Mail) -> None:
    t = await mail.desk.create_ticket(
        subject="Printer on fire", message="It <b>burns</b> & smokes\nsince Monday", category="technical",
        priority="high", requester=ANN,
    )  # fmt: skip
    await mail.deliver()
    assert len(mail.inbox) == 1
    created = mail.inbox[0]
    assert created.header("Subject") == f"[{t.id}] Printer on fire"
    assert created.header("From") == "Support Desk <support@example.com>"
    assert created.header("To") == "Ann <ann@example.com>"
    assert created.header("Reply-To") == "help@example.com"
    assert created.header("Auto-Submitted") == "auto-generated"
    assert (created.mail_from, created.rcpt_tos) == ("support@example.com", ["ann@example.com"])
    root = f"<{t.id}@example.com>"
    assert created.header("Message-ID") == root and created.header("In-Reply-To") == ""
    assert created.mail.get_content_type() == "multipart/alternative"
    assert "It <b>burns</b> & smokes\nsince Monday" in created.text
    assert "Technical" in created.text and "High" in created.text
    assert "It &lt;b&gt;burns&lt;/b&gt; &amp; smokes" in created.html and "<b>burns" not in created.html

    await mail.desk.admin_reply_to_ticket(ticket_id=t.id, content="Unplug it <now>, then call us.", actor=SAM)
    await mail.deliver()
    assert len(mail.inbox) == 2, "the Pending change that the reply caused sends no second mail"
    reply = mail.inbox[1]
    assert "Sam from support replied" in reply.text and "Unplug it <now>, then call us." in reply.text
    assert "Unplug it &lt;now&gt;" in reply.html

    await mail.desk.close_ticket(ticket_id=t.id, actor=SAM, reason="Replaced the <fuser>")
    await mail.deliver()
    assert len(mail.inbox) == 3, "the close note is part of the closed mail, not a mail of its own"
    closed = mail.inbox[2]
    assert "closed by Sam" in closed.text and "Replaced the <fuser>" in closed.text
    assert "Replaced the &lt;fuser&gt;" in closed.html

    for later in (reply, closed):
        assert later.header("Subject") == f"[{t.id}] Printer on fire"
        assert later.header("In-Reply-To") == root and later.header("References") == root
        assert MSGID.match(later.header("Message-ID")) and later.header("Message-ID").startswith(f"<{t.id}.")
    ids = [m.header("Message-ID") for m in mail.inbox.received]
    assert len(set(ids)) == 3
    assert await mail.pending() == 0


async def test_internal_notes_and_the_requesters_own_messages_are_never_mailed(mail: Mail) -> None:
    t = await mail.desk.create_ticket(subject="VPN drops", message="every hour", requester=ANN)
    await mail.desk.add_note(ticket_id=t.id, content="customer is on the legacy plan, SECRET-NOTE", actor=SAM)
    await mail.desk.reply_to_ticket(ticket_id=t.id, content="and again just now", actor=ANN)
    await mail.deliver()
    assert [m.header("Message-ID") for m in mail.inbox.received] == [f"<{t.id}@example.com>"]

    await mail.desk.admin_reply_to_ticket(ticket_id=t.id, content="Which client version?", actor=SAM)
    await mail.desk.add_note(ticket_id=t.id, content="SECRET-NOTE two", actor=SAM)
    await mail.deliver()
    assert len(mail.inbox) == 2 and "Which client version?" in mail.inbox[1].text
    for received in mail.inbox.received:
        assert "SECRET-NOTE" not in received.mail.as_string()
    assert await mail.pending() == 0, "the skipped events are delivered (as nothing), not left behind"


async def test_status_changes_by_staff_are_mailed_not_the_requesters_own(mail: Mail) -> None:
    t = await mail.desk.create_ticket(subject="Invoice wrong", message="twice charged", requester=ANN)
    await mail.desk.admin_update_ticket_status(ticket_id=t.id, status="pending", actor=SAM)
    await mail.deliver()
    assert len(mail.inbox) == 2
    assert "waiting for your answer" in mail.inbox[1].text and "Sam set it to Pending" in mail.inbox[1].text

    await mail.desk.reply_to_ticket(ticket_id=t.id, content="still wrong", actor=ANN)  # Pending → Open by Ann
    await mail.deliver()
    assert len(mail.inbox) == 2

    await mail.desk.close_ticket(ticket_id=t.id, actor=SAM)
    await mail.desk.reopen_ticket(ticket_id=t.id, actor=SAM)
    await mail.deliver()
    assert len(mail.inbox) == 4
    closed, reopened = mail.inbox[2], mail.inbox[3]
    assert "closed by Sam" in closed.text and "Reason" not in closed.text
    assert "reopened by Sam" in reopened.text

    await mail.desk.close_ticket(ticket_id=t.id, actor=ANN, reason="sorted it myself")
    await mail.desk.reply_to_ticket(ticket_id=t.id, content="oh no, it is back", actor=ANN)  # reopens it
    await mail.deliver()
    assert len(mail.inbox) == 5, "Ann's close is confirmed; her reopening reply is not mailed back"
    assert "closed by you" in mail.inbox[4].text and "sorted it myself" in mail.inbox[4].text
    assert (await mail.desk.queries.ticket(t.id)).status is Status.OPEN


async def test_a_reply_after_the_reopen_window_starts_a_new_mail_thread(mail: Mail, clock: FakeClock) -> None:
    old = await mail.desk.create_ticket(subject="Wifi", message="slow", requester=ANN)
    await mail.desk.close_ticket(ticket_id=old.id, actor=SAM)
    clock.advance(days=8)
    await mail.desk.reply_to_ticket(ticket_id=old.id, content="slow again", actor=ANN)
    await mail.deliver()
    assert len(mail.inbox) == 3
    (follow_up,) = [r for r in mail.inbox.received if r.header("X-Ticketbot-Ticket") != old.id]
    new_id = follow_up.header("X-Ticketbot-Ticket")
    assert follow_up.header("Message-ID") == f"<{new_id}@example.com>" and follow_up.header("In-Reply-To") == ""
    assert f"follows up on your earlier ticket {old.id}" in follow_up.text and "slow again" in follow_up.text


async def test_a_requester_without_an_address_gets_nothing(mail: Mail) -> None:
    bad = Actor(platform="api", user_id="u9", name="Eve", email="not an address")
    for requester in (BOB, bad):
        t = await mail.desk.create_ticket(subject="No mail for me", message="hi", requester=requester)
        await mail.desk.admin_reply_to_ticket(ticket_id=t.id, content="hello", actor=SAM)
        await mail.desk.close_ticket(ticket_id=t.id, actor=SAM, reason="done")
    assert await mail.deliver() == 8  # opened, reply, Pending, Closed — twice
    assert len(mail.inbox) == 0 and await mail.pending() == 0


async def test_header_injection_in_names_subjects_and_bodies_is_inert(mail: Mail) -> None:
    mallory = Actor(platform="api", user_id="m1", name="Ann\r\nBcc: mallory@evil.example", email="ann@example.com")
    t = await mail.desk.create_ticket(
        subject="Help\r\nBcc: mallory@evil.example\r\nX-Evil: 1", message="body\r\nBcc: mallory@evil.example",
        requester=mallory,
    )  # fmt: skip
    await mail.desk.admin_reply_to_ticket(
        ticket_id=t.id, content="ok\r\n\r\nBcc: mallory@evil.example\r\nSubject: pwned", actor=SAM
    )
    await mail.deliver()
    assert len(mail.inbox) == 2
    for received in mail.inbox.received:
        assert received.rcpt_tos == ["ann@example.com"]
        assert received.mail["Bcc"] is None and received.mail["X-Evil"] is None
        assert received.mail.get_all("Subject") == [f"[{t.id}] Help Bcc: mallory@evil.example X-Evil: 1"]
        assert [a.addr_spec for a in received.mail["To"].addresses] == ["ann@example.com"]
    assert "ok\n\nBcc: mallory@evil.example\nSubject: pwned" in mail.inbox[1].text


async def test_a_retried_event_carries_the_same_message_id(mail: Mail) -> None:
    t = await mail.desk.create_ticket(subject="Twice", message="x", requester=ANN)
    reply = await mail.desk.admin_reply_to_ticket(ticket_id=t.id, content="answer", actor=SAM)
    event = MessageAdded(t.id, SAM.as_person(), reply.id, "staff", False, event_id="0123456789abcdef")
    await mail.notifier.notify(event)
    await mail.notifier.notify(event)
    ids = [r.header("Message-ID") for r in mail.inbox.received]
    assert ids == [f"<{t.id}.0123456789abcdef@example.com>"] * 2


async def test_smtp_down_raises_and_the_outbox_delivers_once_it_is_up(desk, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    from tests.e2e.email.smtp import Inbox, free_port, start_server

    port = free_port()  # nothing listens here yet
    notifier = EmailNotifier(desk.queries, smtp_settings(port), clock=clock)
    desk.consumers.append(notifier.name)
    dispatcher = Dispatcher(desk.db, [notifier], clock=clock)
    t = await desk.create_ticket(subject="Down", message="the mail server is off", requester=ANN)

    with pytest.raises(OSError):  # aiosmtplib's SMTPConnectError is a ConnectionError
        await notifier.notify(TicketOpened(t.id, ANN))

    assert await dispatcher.drain() == 0
    inbox = Inbox()
    server = start_server(inbox, port)
    try:
        assert await dispatcher.drain() == 0, "the backoff holds the retry back"
        clock.advance(seconds=2)
        assert await dispatcher.drain() == 1
        assert await dispatcher.drain() == 0
        assert [r.header("Message-ID") for r in inbox.received] == [f"<{t.id}@example.com>"]
    finally:
        server.stop()


async def test_the_stale_reminder_goes_to_a_pending_ticket_only(mail: Mail, clock: FakeClock) -> None:
    t = await mail.desk.create_ticket(subject="Quiet", message="?", requester=ANN)
    await mail.desk.admin_reply_to_ticket(ticket_id=t.id, content="Does it work now?", actor=SAM)
    await mail.deliver()
    since = clock.now()
    clock.advance(days=3)
    await mail.notifier.send_stale_reminder(
        t.id, event_id="5ta1e", waiting_since=since, closes_at=since + (clock.now() - since) * 7 / 3
    )
    assert len(mail.inbox) == 3
    reminder = mail.inbox[2]
    assert reminder.header("Message-ID") == f"<{t.id}.5ta1e@example.com>"
    assert reminder.header("In-Reply-To") == f"<{t.id}@example.com>"
    assert "waiting for your answer since 2026-11-26 12:00 UTC" in reminder.text
    assert "closed on 2026-12-03 12:00 UTC" in reminder.text

    await mail.desk.reply_to_ticket(ticket_id=t.id, content="yes, thanks", actor=ANN)  # Open again
    await mail.notifier.send_stale_reminder(t.id, event_id="5ta1f", waiting_since=since, closes_at=None)
    assert len(mail.inbox) == 3


async def test_settings_without_reply_to_send_none(desk, clock: FakeClock, smtp: Server) -> None:  # type: ignore[no-untyped-def]
    notifier = EmailNotifier(
        desk.queries, smtp_settings(smtp.port, reply_to=None, **{"from": "help@support.example.org"}), clock=clock
    )
    t = await desk.create_ticket(subject="Plain from", requester=ANN)
    await notifier.notify(TicketOpened(t.id, ANN))
    received = smtp.inbox[0]
    assert received.mail["Reply-To"] is None and received.header("From") == "help@support.example.org"
    assert received.header("Message-ID") == f"<{t.id}@support.example.org>"
    assert "replies to it may not reach the support team" in received.text
