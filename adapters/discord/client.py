"""The discord.py bot: built with its dependencies, pointed at the configured REST base and gateway.

``build_discord(settings, desk)`` is what bootstrap calls; it returns the bot (start it with
``await bot.start(token)``) and its outbox notifier (register it as a consumer before starting the
dispatcher).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from adapters.discord import render, views
from adapters.discord.cog import TicketCog, answer_privately
from adapters.discord.notifier import DiscordNotifier, describe_http_error
from adapters.discord.settings import DiscordSettings
from core.desk import Desk

log = logging.getLogger(__name__)


def apply_endpoints(settings: DiscordSettings) -> None:
    """Point discord.py at ``TICKETBOT_DISCORD__API_URL`` / ``__GATEWAY_URL`` (proxies, tests).

    discord.py keeps both as class attributes, so this is process-wide; a plain ``Bot`` never asks
    ``/gateway/bot``, hence the gateway default is replaced too. ``tests/e2e/discord`` guards these
    internals against a discord.py upgrade.
    """
    discord.http.Route.BASE = settings.api_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def intents() -> discord.Intents:
    """Guilds (channels, threads), guild messages and their content (thread messages are ticket messages).
    Not members: roles arrive with every interaction and message."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.guild_messages = True
    chosen.message_content = True
    return chosen


class _TicketBot:
    """What our bot adds to ``commands.Bot`` / ``commands.AutoShardedBot`` (see the two classes below)."""

    tickets: TicketCog
    notifier: DiscordNotifier
    synced: asyncio.Task[bool]  # the slash-command sync started by setup_hook

    def __init__(
        self,
        *,
        desk: Desk,
        settings: DiscordSettings,
        digest_channel_id: int | None = None,
        **options: Any,
    ) -> None:
        super().__init__(  # type: ignore[call-arg]
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents(),
            allowed_mentions=render.NO_MENTIONS,
            guild_ready_timeout=settings.guild_ready_timeout,
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            max_messages=None,
            **options,
        )
        self.desk = desk
        self.discord_settings = settings
        self.notifier = DiscordNotifier(
            self,  # type: ignore[arg-type]
            desk,
            settings,
            digest_channel_id=digest_channel_id,
        )

    async def login(self, token: str) -> None:
        apply_endpoints(self.discord_settings)
        await super().login(token)  # type: ignore[misc]

    async def setup_hook(self) -> None:
        self.tickets = TicketCog(self, self.desk, self.discord_settings, self.notifier)  # type: ignore[arg-type]
        await self.add_cog(self.tickets)  # type: ignore[attr-defined]
        self.add_dynamic_items(*views.DYNAMIC_ITEMS)  # type: ignore[attr-defined]
        self.tree.on_error = self._on_tree_error  # type: ignore[attr-defined]
        # syncing is one REST call that needs no gateway: run it beside the connection, not before it
        self.synced = asyncio.create_task(self._sync_commands(), name="discord-sync-commands")

    async def _sync_commands(self) -> bool:
        """Register the /ticket commands in the configured guild (instant, unlike global commands)."""
        guild_id = self.discord_settings.guild_id
        if guild_id is None:
            log.warning("discord: TICKETBOT_DISCORD__GUILD_ID is not set; slash commands are not synced")
            return False
        guild = discord.Object(guild_id)
        tree: app_commands.CommandTree = self.tree  # type: ignore[attr-defined]
        tree.copy_global_to(guild=guild)
        try:
            synced = await tree.sync(guild=guild)
        except discord.HTTPException as exc:  # the bot still runs: buttons and threads work without sync
            log.error("discord: could not sync slash commands to guild %s: %s", guild_id, describe_http_error(exc))
            return False
        log.info("discord: %d slash command(s) synced to guild %s", len(synced), guild_id)
        return True

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: thread messages are handled by the cog's listener."""

    async def _on_tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CommandNotFound | app_commands.CheckFailure | app_commands.TransformerError):
            log.warning("discord: interaction %s refused: %s", interaction.id, error)
            text = render.error_line("that command is not available right now; try again in a minute")
            await answer_privately(interaction, text)
            return
        await self.tickets.unexpected(interaction, error, None)


class TicketBot(_TicketBot, commands.Bot):
    """One gateway connection (the default)."""


class ShardedTicketBot(_TicketBot, commands.AutoShardedBot):
    """Used when ``TICKETBOT_DISCORD__SHARD_COUNT`` is set."""


def build_discord(
    settings: DiscordSettings, desk: Desk, *, digest_channel_id: int | None = None
) -> tuple[TicketBot | ShardedTicketBot, DiscordNotifier]:
    """Build the bot and its outbox notifier (name ``"discord"``) from its settings section; nothing connects
    yet. The section checked itself when it was read (token, guild, support channel, staff role). The digest's
    channel and time zone (``TICKETBOT_DIGEST__*``) are passed by the composition root.

    Bootstrap: ``bot, notifier = build_discord(settings.discord, desk)``; ``runtime.add_notifier(notifier)``;
    ``await bot.start(settings.discord.token.get_secret_value())`` in a task; ``await bot.close()`` on stop.
    """
    bot: TicketBot | ShardedTicketBot
    if settings.shard_count:
        bot = ShardedTicketBot(
            desk=desk,
            settings=settings,
            digest_channel_id=digest_channel_id,
            shard_count=settings.shard_count,
        )
    else:
        bot = TicketBot(desk=desk, settings=settings, digest_channel_id=digest_channel_id)
    return bot, bot.notifier
