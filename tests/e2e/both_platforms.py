"""Both platforms at once, as `ticketbot run` composes them: the fake Discord and the fake Slack, and a
runtime with both adapters started through ``bot.bootstrap.start_adapters`` (fixtures ``fakes``, ``service``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.bootstrap import Runtime, open_runtime, start_adapters
from bot.settings import Settings
from tests.e2e.discord.app import discord_settings
from tests.e2e.slack.harness import cast, slack_settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeDiscord, FakeSlack]]:
    discord_fake = await FakeDiscord().start()
    slack_fake = await FakeSlack().start()
    cast(slack_fake)
    try:
        yield discord_fake, slack_fake
    finally:
        await discord_fake.close()
        await slack_fake.close()
    assert not discord_fake.problems(), discord_fake.problems()
    assert not slack_fake.unknown and not slack_fake.problems, (slack_fake.unknown, slack_fake.problems)


@pytest.fixture
async def service(
    fakes: tuple[FakeDiscord, FakeSlack], settings_factory: Callable[..., Settings]
) -> AsyncIterator[Runtime]:
    discord_fake, slack_fake = fakes
    settings = settings_factory(discord=discord_settings(discord_fake), slack=slack_settings(slack_fake))
    runtime = await open_runtime(settings)
    try:
        await start_adapters(runtime)
        await discord_fake.wait_ready()
        yield runtime
    finally:
        await runtime.close()
    assert runtime.failure is None
