"""Discord failures: missing permissions, unknown channels, thread limits, 429s and closed DMs are logged
with the ticket id and explained to the user; no ticket is lost."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from adapters.discord import cog
from core.model import Actor, Status
from tests.e2e.discord.app import DiscordApp, ticket_id_in
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord

SYSTEM = Actor.system()
THREADS = "POST /channels/{channel_id}/threads"
MESSAGES = "POST /channels/{channel_id}/messages"


async def open_via_modal(app: DiscordApp, fake: FakeDiscord, subject: str) -> str:
    ix = await fake.slash(fake.alice, "ticket open")
    return (await (await app.submit_open_modal(ix, subject)).reply()).content


async def test_missing_permissions_keep_the_ticket_and_the_thread_follows(
    app: DiscordApp, fake: FakeDiscord, clock: FakeClock, delivery_failures, caplog: pytest.LogCaptureFixture
) -> None:
    delivery_failures.expected = True  # the outbox retries the thread creation
    fake.inject(THREADS, status=403, code=50013, times=2)
    answer = await open_via_modal(app, fake, "No permission yet")
    ticket_id = ticket_id_in(answer)
    assert answer == (
        f"🎫 Ticket **{ticket_id}** is open, but I could not create its private thread "
        "(the bot is missing permissions). Support has your ticket; the thread will follow."
    )
    assert (await app.desk.get_ticket(ticket_id=ticket_id, actor=SYSTEM)).status is Status.OPEN
    assert any(ticket_id in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    await app.wait_for_attempts(1)  # the outbox tried, failed, and scheduled a retry
    assert len(fake.calls_to(THREADS)) == 1
    clock.advance(timedelta(seconds=5))  # the retry comes due, and is refused again
    app.dispatcher.wake()
    await app.wait_for_attempts(2)
    assert len(fake.calls_to(THREADS)) == 2
    clock.advance(timedelta(seconds=5))  # the permission was fixed meanwhile
    app.dispatcher.wake()
    thread = await app.thread_of(ticket_id)
    await app.settle()
    assert fake.alice.id in thread.members and app.card(thread).embed["title"].startswith(ticket_id)
    assert len(fake.threads()) == 1


async def test_a_support_channel_deleted_after_start_is_explained(
    app: DiscordApp, fake: FakeDiscord, delivery_failures
) -> None:
    """(An unknown support channel at start stops ticketbot: tests/e2e/web/test_startup_checks.py.)"""
    delivery_failures.expected = True
    del fake.guild.channels[fake.support.id]  # deleted by hand while ticketbot runs
    answer = await open_via_modal(app, fake, "Where does it go?")
    assert "could not create its private thread (the channel does not exist (check the configured channel ids))" in (
        answer
    )
    ticket_id = ticket_id_in(answer)
    assert (await app.desk.get_ticket(ticket_id=ticket_id, actor=SYSTEM)).subject == "Where does it go?"
    assert fake.threads() == []


async def test_too_many_active_threads_is_explained(app: DiscordApp, fake: FakeDiscord, delivery_failures) -> None:
    delivery_failures.expected = True
    fake.max_active_threads = 0
    answer = await open_via_modal(app, fake, "Crowded server")
    assert "(the server has too many active threads)" in answer


async def test_a_429_is_waited_out_by_discord_py(app: DiscordApp, fake: FakeDiscord) -> None:
    fake.inject(MESSAGES, status=429, retry_after=0.05)
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Rate limited once")
    statuses = [c.status for c in fake.calls_to(MESSAGES, channel_id=thread.id)]
    assert statuses[:2] == [429, 200]
    assert app.card(thread).embed["title"].startswith(ticket_id)


async def test_closed_dms_are_logged_not_fatal(
    app: DiscordApp, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    fake.alice.dm_open = False
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "No DMs please")
    await (await fake.slash(fake.alice, "ticket close", ticket=ticket_id)).reply()
    await app.settle()
    assert fake.dm_messages(fake.alice) == []
    assert thread.archived and thread.locked
    assert ticket_id in fake.messages_in(fake.log_channel)[-1].content
    refused = [c for c in fake.calls_to(MESSAGES) if c.status == 403]
    assert len(refused) == 1
    assert any(
        r.levelno == logging.WARNING and ticket_id in r.getMessage() and "direct messages" in r.getMessage()
        for r in caplog.records
    )


async def test_a_failed_close_step_is_retried_by_the_outbox_and_every_step_done_once(
    app: DiscordApp, fake: FakeDiscord, clock: FakeClock, delivery_failures, caplog: pytest.LogCaptureFixture
) -> None:
    delivery_failures.expected = True  # the log channel refuses the transcript once
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Log refused")
    await app.settle()
    card = app.card(thread)
    edits = "PATCH /channels/{channel_id}/messages/{message_id}"
    card_edits = len(fake.calls_to(edits, message_id=card.id))
    fake.inject(
        MESSAGES, status=403, code=50013, match=lambda call: call.params["channel_id"] == str(fake.log_channel.id)
    )
    await (await fake.slash(fake.sam, "ticket close", ticket=ticket_id, reason="done")).reply()
    await app.wait_for_attempts(1)
    # the steps before the refused one are done; the later ones wait for the retry
    assert card.embed_field("Status").endswith("Closed")
    assert [m.content.startswith(f"🔒 **{ticket_id}** was closed") for m in fake.messages_in(thread)].count(True) == 1
    assert not thread.archived and fake.dm_messages(fake.alice) == []
    assert any(
        r.levelno == logging.WARNING and ticket_id in r.getMessage() and "missing permissions" in r.getMessage()
        for r in caplog.records
    )

    clock.advance(timedelta(seconds=5))  # the retry comes due (the permission was fixed meanwhile)
    app.dispatcher.wake()
    await app.settle()
    assert thread.archived and thread.locked
    closing = [m for m in fake.messages_in(thread) if m.content.startswith(f"🔒 **{ticket_id}** was closed")]
    assert len(closing) == 1 and "Reason: done" in closing[0].content  # not posted again by the retry
    assert len(fake.calls_to(edits, message_id=card.id)) == card_edits + 1  # the card edited once
    logged = fake.calls_to(MESSAGES, channel_id=fake.log_channel.id)
    assert [c.status for c in logged] == [403, 200]
    assert len(fake.messages_in(fake.log_channel)) == 1 and len(fake.dm_messages(fake.alice)) == 1
    archives = [c for c in fake.calls_to("PATCH /channels/{channel_id}", channel_id=thread.id) if c.status == 200]
    assert len(archives) == 1


async def test_a_deleted_thread_is_recreated_on_the_next_change(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Thread deleted by a moderator")
    del fake.guild.channels[thread.id]
    await (await fake.slash(fake.sam, "ticket priority", ticket=ticket_id, level="High")).reply()
    await app.settle()
    (new_thread,) = fake.threads()
    assert new_thread.id != thread.id and fake.alice.id in new_thread.members
    assert app.card(new_thread).embed_field("Priority") == "High"
    link = await app.link(ticket_id)
    assert link is not None and link.thread_id == str(new_thread.id)


async def test_a_slow_thread_is_promised_and_follows(
    app: DiscordApp, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cog, "THREAD_WAIT", 0.3)  # the answer waits this long (10 s in production)
    fake.inject(THREADS, status=429, retry_after=1.0)  # Discord makes the thread wait a second
    answer = await open_via_modal(app, fake, "Slow thread")
    ticket_id = ticket_id_in(answer)
    assert answer == f"🎫 Ticket **{ticket_id}** is open. Its private thread will follow; you will be mentioned in it."
    assert fake.threads() == []
    thread = await app.thread_of(ticket_id)
    await app.settle()
    assert fake.alice.id in thread.members and [c.status for c in fake.calls_to(THREADS)] == [429, 200]


async def test_reopening_a_ticket_whose_thread_was_deleted_makes_a_new_one(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Closed, then the thread was deleted")
    await (await fake.slash(fake.alice, "ticket close", ticket=ticket_id)).reply()
    await app.settle()
    del fake.guild.channels[thread.id]
    await (await fake.slash(fake.alice, "ticket reopen", ticket=ticket_id)).reply()
    await app.settle()
    (new_thread,) = fake.threads()
    assert new_thread.id != thread.id and not new_thread.archived and fake.alice.id in new_thread.members
    assert app.card(new_thread).embed_field("Status").endswith("Open")
    assert "was reopened by" in fake.messages_in(new_thread)[-1].content
