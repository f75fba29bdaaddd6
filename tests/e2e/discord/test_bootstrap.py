"""ticketbot as `ticketbot run` composes it: bootstrap starts the Discord adapter and the outbox, and a
ticket opened by another process (the CLI) still reaches Discord."""

from __future__ import annotations

from collections.abc import Callable

from bot.bootstrap import open_runtime, start_adapters
from bot.settings import Settings
from core.model import Actor
from tests.e2e.discord.app import discord_settings
from tests.fakes.discord import FakeDiscord


async def test_run_starts_discord_and_delivers_tickets_from_other_processes(
    fake: FakeDiscord, settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory(discord=discord_settings(fake))
    service = await open_runtime(settings)
    try:
        await start_adapters(service)
        await fake.wait_ready()
        cli = await open_runtime(settings)  # another process: no adapter, same database and configuration
        try:
            ticket = await cli.desk.create_ticket(
                subject="Opened from the CLI", message="hello", requester=Actor(platform="api", user_id="u1")
            )
        finally:
            await cli.close()
        thread = await fake.wait_until(
            lambda: next((t for t in fake.threads() if ticket.id in (t.name or "")), None),
            within=10,
            what=f"a Discord thread for {ticket.id}",
        )
        assert thread.parent_id == fake.support.id
    finally:
        await service.close()
    assert service.failure is None
