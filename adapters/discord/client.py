"""The discord.py bot: built with its dependencies, pointed at the configured REST base and gateway.

``build_discord(settings, desk)`` is what bootstrap calls; it returns the bot and its outbox notifier (register
it as a consumer before starting the dispatcher). Start the bot with ``await bot.preflight(token)`` (log in and
check the setup: stop on a fatal check) and then ``await bot.stay_connected()`` in a task — or simply
``await bot.start(token)``. With a health port the bot reports its gateway connection: connected on READY and
RESUMED, disconnected when the gateway drops, unauthorized when Discord closes it for a refused token (the
rest of ticketbot keeps running; an integration-failure ticket follows, see ``core.health``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from adapters.discord import render, views
from adapters.discord.checks import discord_checks
from adapters.discord.cog import TicketCog, answer_privately
from adapters.discord.notifier import DiscordNotifier, describe_http_error
from adapters.discord.settings import DiscordSettings
from core.checks import Check, first_fatal
from core.desk import Desk
from core.health import HealthPort, Link
from core.rules import AutoTickets

log = logging.getLogger(__name__)

PLATFORM = "discord"
TOKEN_REFUSED = 4004  # the gateway's close code for a token that stopped working
TOKEN_REFUSED_CHECK = Check.fail(
    "discord token", "Discord refused TICKETBOT_DISCORD__TOKEN",
    "developer portal → your app → Bot → Reset Token, and copy the new one", fatal=True,
)  # fmt: skip


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
        auto: AutoTickets | None = None,
        health: HealthPort | None = None,
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
        self.auto = auto
        self.health = health
        self.notifier = DiscordNotifier(self, desk, settings, digest_channel_id=digest_channel_id)  # type: ignore[arg-type]
        self._closed = asyncio.Event()
        self._preflight = False  # preflight() logs in: the slash commands sync only once its checks pass
        self._may_sync = asyncio.Event()

    async def login(self, token: str) -> None:
        apply_endpoints(self.discord_settings)
        await super().login(token)  # type: ignore[misc]

    async def preflight(self, token: str) -> list[Check]:
        """Log in (REST only) and check the setup against Discord; a refused token is the one fatal check."""
        self._preflight = True
        try:
            await self.login(token)
        except discord.LoginFailure:
            return [TOKEN_REFUSED_CHECK]
        user = self.user  # type: ignore[attr-defined]
        http = self.http  # type: ignore[attr-defined]
        checks = await discord_checks(http, self.discord_settings, bot_id=user.id)
        if first_fatal(checks) is None:
            self._may_sync.set()
        return checks

    async def stay_connected(self) -> None:
        """The gateway connection (after ``preflight`` logged in), reconnecting as discord.py does. A token
        Discord stops accepting is reported as unauthorized and the connection stays down until shutdown;
        the rest of ticketbot keeps running."""
        try:
            await self.connect(reconnect=True)  # type: ignore[attr-defined]
        except discord.ConnectionClosed as exc:
            if exc.code != TOKEN_REFUSED or self.health is None:
                raise
            self._report(Link.UNAUTHORIZED, "Discord closed the gateway: the token was refused (4004)")
            self._closed.clear()  # discord.py closed the client itself: wait for ticketbot's own shutdown
            await self._closed.wait()

    async def close(self) -> None:
        self._closed.set()
        synced = getattr(self, "synced", None)
        if synced is not None and not synced.done():
            synced.cancel()  # the setup failed its checks: nothing to sync
        await super().close()  # type: ignore[misc]

    def _report(self, link: Link, detail: str = "") -> None:
        if self.health is not None:
            self.health.report(PLATFORM, link, detail)

    async def on_ready(self) -> None:
        self._report(Link.CONNECTED)

    async def on_resumed(self) -> None:
        self._report(Link.CONNECTED)

    async def on_disconnect(self) -> None:
        if not self._closed.is_set():
            self._report(Link.DISCONNECTED, "the gateway connection dropped; discord.py is reconnecting")

    async def setup_hook(self) -> None:
        self.tickets = TicketCog(self, self.desk, self.discord_settings, self.notifier, auto=self.auto)  # type: ignore[arg-type]
        await self.add_cog(self.tickets)  # type: ignore[attr-defined]
        self.add_dynamic_items(*views.DYNAMIC_ITEMS)  # type: ignore[attr-defined]
        self.tree.on_error = self._on_tree_error  # type: ignore[attr-defined]
        # syncing is one REST call that needs no gateway: run it beside the connection, not before it
        if not self._preflight:
            self._may_sync.set()
        self.synced = asyncio.create_task(self._sync_commands(), name="discord-sync-commands")

    async def _sync_commands(self) -> bool:
        """Register the /ticket commands in the configured guild (instant, unlike global commands)."""
        await self._may_sync.wait()
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


async def check_discord(settings: DiscordSettings) -> list[Check]:
    """The setup checks without running the bot (``ticketbot doctor``): REST only, no gateway connection."""
    apply_endpoints(settings)
    client = discord.Client(intents=discord.Intents.none())
    assert settings.token is not None
    try:
        await client.login(settings.token.get_secret_value())
        assert client.user is not None
        return await discord_checks(client.http, settings, bot_id=client.user.id)
    except discord.LoginFailure:
        return [TOKEN_REFUSED_CHECK]
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return [Check.fail("discord token", f"cannot reach Discord at {settings.api_url} ({type(exc).__name__})",
                           "check the network and TICKETBOT_DISCORD__API_URL", fatal=True)]  # fmt: skip
    finally:
        await client.close()


class TicketBot(_TicketBot, commands.Bot):
    """One gateway connection (the default)."""


class ShardedTicketBot(_TicketBot, commands.AutoShardedBot):
    """Used when ``TICKETBOT_DISCORD__SHARD_COUNT`` is set."""


def build_discord(
    settings: DiscordSettings,
    desk: Desk,
    *,
    digest_channel_id: int | None = None,
    auto: AutoTickets | None = None,
    health: HealthPort | None = None,
) -> tuple[TicketBot | ShardedTicketBot, DiscordNotifier]:
    """Build the bot and its outbox notifier (name ``"discord"``) from its settings section; nothing connects
    yet. The section checked itself when it was read (token, guild, support channel, staff role). The digest's
    channel and time zone (``TICKETBOT_DIGEST__*``) are passed by the composition root.

    Bootstrap: ``bot, notifier = build_discord(settings.discord, desk)``; ``runtime.add_notifier(notifier)``;
    ``await bot.preflight(token)``, then ``bot.stay_connected()`` in a task; ``await bot.close()`` on stop.
    """
    bot: TicketBot | ShardedTicketBot
    if settings.shard_count:
        bot = ShardedTicketBot(
            desk=desk,
            settings=settings,
            digest_channel_id=digest_channel_id,
            auto=auto,
            health=health,
            shard_count=settings.shard_count,
        )
    else:
        bot = TicketBot(desk=desk, settings=settings, digest_channel_id=digest_channel_id, auto=auto, health=health)
    return bot, bot.notifier
