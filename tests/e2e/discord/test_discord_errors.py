"""Discord failures: missing permissions, unknown channels, thread limits, 429s and closed DMs are logged
with the ticket id and explained to the user; no ticket is lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

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
    for _ in range(250):  # the outbox tried too, failed, and scheduled a retry
        if await app.retrying():
            break
        await asyncio.sleep(0.02)
    assert len(fake.calls_to(THREADS)) == 2

    clock.advance(timedelta(seconds=5))  # the retry comes due; the permission was fixed meanwhile
    app.dispatcher.wake()
    thread = await app.thread_of(ticket_id)
    await app.settle()
    assert fake.alice.id in thread.members and app.card(thread).embed["title"].startswith(ticket_id)
    assert len(fake.threads()) == 1


async def test_an_unknown_support_channel_is_explained(
    make_app: Callable[..., Awaitable[DiscordApp]], fake: FakeDiscord, delivery_failures
) -> None:
    delivery_failures.expected = True
    app = await make_app(support_channel_id=4242)
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


async def test_a_log_channel_without_permission_does_not_stop_the_close(
    app: DiscordApp, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Log refused")
    fake.inject(
        MESSAGES, status=403, code=50013, match=lambda call: call.params["channel_id"] == str(fake.log_channel.id)
    )
    await (await fake.slash(fake.sam, "ticket close", ticket=ticket_id)).reply()
    await app.settle()
    assert thread.archived and thread.locked
    assert len(fake.dm_messages(fake.alice)) == 1
    assert any(
        "transcript to the log channel" in r.getMessage() and ticket_id in r.getMessage() for r in caplog.records
    )


async def test_a_deleted_thread_is_recreated_on_the_next_change(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Thread deleted by a moderator")
    del fake.guild.channels[thread.id]
    await (await fake.slash(fake.sam, "ticket priority", ticket=ticket_id, level="High")).reply()
    await app.settle()
    (new_thread,) = fake.threads()
    assert new_thread.id != thread.id and fake.alice.id in new_thread.members
    assert app.card(new_thread).embed_field("Priority") == "High"
    link = await app.desk.get_link(ticket_id=ticket_id, platform="discord", kind="thread")
    assert link is not None and link.thread_id == str(new_thread.id)
