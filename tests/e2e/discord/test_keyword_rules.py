"""Keyword rules in a watched Discord channel, through the real bot on the fake gateway: a keyword opens a
ticket for the author (one per person per cooldown) and the bot answers the message with the ticket id."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.settings import Settings
from core.commands import Page, Search
from core.model import Actor
from tests.e2e.discord.app import DiscordApp, discord_settings, ticket_id_in
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord

SYSTEM = Actor("cli", "operator", is_staff=True)


@pytest.fixture
async def watching(
    fake: FakeDiscord, settings_factory: Callable[..., Settings], clock: FakeClock, delivery_failures: Any
) -> AsyncIterator[DiscordApp]:
    settings = settings_factory(
        discord=discord_settings(fake, watch_channel_ids=[str(fake.general.id)]),
        rules={"keywords": ["help", "broken"], "cooldown": "10m"},
    )
    app = await DiscordApp(fake, settings, clock).start()
    try:
        yield app
    finally:
        await app.stop()


async def test_a_keyword_in_a_watched_channel_opens_a_ticket_and_is_answered(
    watching: DiscordApp, fake: FakeDiscord
) -> None:
    message = await fake.send_message(fake.alice, fake.general, "Help! The export button is broken")
    answer = await fake.wait_until(
        lambda: next((m for m in fake.messages_in(fake.general) if m.author.id == fake.bot_user.id), None),
        what="the bot's answer",
    )
    tid = ticket_id_in(answer.content)
    ticket = await watching.desk.queries.ticket(tid)
    assert ticket.requester.user_id == str(fake.alice.id) and ticket.subject == "Help! The export button is broken"
    assert answer.message_reference is not None and answer.message_reference["message_id"] == message.id
    await watching.thread_of(tid)  # and the ticket's private thread is made as for any ticket


async def test_cooldown_whole_words_and_unwatched_channels(
    watching: DiscordApp, fake: FakeDiscord, clock: FakeClock
) -> None:
    await fake.send_message(fake.alice, fake.general, "the helpers were great")  # not a whole word
    await fake.send_message(fake.alice, fake.support, "help")  # not a watched channel
    await fake.send_message(fake.alice, fake.general, "help with billing")
    await fake.wait_until(lambda: len(fake.messages_in(fake.general)) == 3, what="the first answer")
    await fake.send_message(fake.alice, fake.general, "still broken")  # within the cooldown
    await fake.send_message(fake.bob, fake.general, "help me too")  # another person
    await fake.wait_until(lambda: len(fake.messages_in(fake.general)) == 6, what="Bob's answer")
    clock.advance(minutes=10, seconds=1)
    await fake.send_message(fake.alice, fake.general, "broken again")
    await fake.wait_until(lambda: len(fake.messages_in(fake.general)) == 8, what="the answer after the cooldown")
    bot_said = [m.content for m in fake.messages_in(fake.general) if m.author.id == fake.bot_user.id]
    assert len(bot_said) == 3 and len({ticket_id_in(m) for m in bot_said}) == 3
    mine = [t for t in await all_tickets(watching) if t.requester.user_id == str(fake.alice.id)]
    assert sorted(t.subject for t in mine) == ["broken again", "help with billing"]


async def all_tickets(app: DiscordApp) -> list[Any]:
    page = await app.desk.execute(Search("status:open,pending"), SYSTEM)
    assert isinstance(page, Page)
    return list(page.items)
