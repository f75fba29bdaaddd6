"""The fake Discord itself: a plain discord.py bot logs in and answers; Discord's rules are enforced;
and a guard breaks loudly if the discord.py internals the fake relies on move."""

from __future__ import annotations

import asyncio
import inspect

import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands

from tests.fakes.discord import FakeDiscord, running


def point_at(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_url)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))


class PingBot(commands.Bot):
    """The smallest bot: one guild slash command, answered in several ways."""

    def __init__(self, guild_id: int, *, mode: str = "message") -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
        self.guild_id = guild_id
        self.mode = mode
        self.late_error: discord.HTTPException | None = None

    async def setup_hook(self) -> None:
        guild = discord.Object(self.guild_id)

        @app_commands.command(name="ping", description="Answer pong")
        async def ping(interaction: discord.Interaction) -> None:
            if self.mode == "late":
                await asyncio.sleep(3.3)
                try:
                    await interaction.response.send_message("too late")
                except discord.NotFound as exc:
                    self.late_error = exc
                return
            if self.mode == "twice":
                await interaction.response.send_message("pong", ephemeral=True)
                try:
                    await interaction.response.send_message("again")
                except discord.InteractionResponded:
                    try:  # bypass the library's own guard on purpose
                        await interaction.client.http.request(
                            discord.http.Route(
                                "POST",
                                "/interactions/{interaction_id}/{token}/callback",
                                interaction_id=interaction.id,
                                token=interaction.token,
                            ),
                            json={"type": 4, "data": {"content": "again"}},
                        )
                    except discord.HTTPException as exc:
                        self.late_error = exc
                return
            if self.mode == "defer":
                await interaction.response.defer(ephemeral=True, thinking=True)
                await interaction.followup.send("pong after thinking")
                return
            await interaction.response.send_message("pong", ephemeral=True)

        self.tree.add_command(ping, guild=guild)
        await self.tree.sync(guild=guild)


async def test_plain_bot_logs_in_and_answers_a_slash_command(fake: FakeDiscord, monkeypatch) -> None:
    point_at(fake, monkeypatch)
    async with running(PingBot(fake.guild.id), fake.token, fake):
        ix = await fake.slash(fake.alice, "ping")
        reply = await ix.reply()

    assert reply.content == "pong" and reply.ephemeral
    assert ix.latency is not None and ix.latency < 3
    keys = [c.key for c in fake.calls]
    assert keys[:2] == ["GET /users/@me", "GET /oauth2/applications/@me"]
    assert "PUT /applications/{application_id}/guilds/{guild_id}/commands" in keys
    assert "POST /interactions/{interaction_id}/{token}/callback" in keys
    assert fake.identifies and fake.identifies[0].intents == discord.Intents(guilds=True).value


async def test_deferred_reply_becomes_the_answer(fake: FakeDiscord, monkeypatch) -> None:
    point_at(fake, monkeypatch)
    async with running(PingBot(fake.guild.id, mode="defer"), fake.token, fake):
        ix = await fake.slash(fake.alice, "ping")
        assert await ix.response() == 5
        reply = await ix.reply()
    assert reply.content == "pong after thinking" and reply.ephemeral and not reply.loading


async def test_a_late_first_response_is_refused_with_10062(fake: FakeDiscord, monkeypatch) -> None:
    point_at(fake, monkeypatch)
    fake.allow(10062)  # this test provokes it on purpose
    async with running(PingBot(fake.guild.id, mode="late"), fake.token, fake) as bot:
        ix = await fake.slash(fake.alice, "ping")
        await fake.wait_until(lambda: bot.late_error is not None, 5)
    callback = fake.calls_to("POST /interactions/{interaction_id}/{token}/callback")[0]
    assert callback.status == 404 and bot.late_error.code == 10062
    assert ix.response_type is None and ix.expired
    assert any("10062" in v for v in fake.violations)


async def test_a_second_initial_response_is_refused_with_40060(fake: FakeDiscord, monkeypatch) -> None:
    point_at(fake, monkeypatch)
    fake.allow(40060)
    async with running(PingBot(fake.guild.id, mode="twice"), fake.token, fake) as bot:
        ix = await fake.slash(fake.alice, "ping")
        await fake.wait_until(lambda: bot.late_error is not None)
    assert bot.late_error.code == 40060
    first, second = fake.calls_to("POST /interactions/{interaction_id}/{token}/callback")
    assert (first.status, second.status) == (200, 400)
    assert ix.response_type == 4
    assert any("40060" in v for v in fake.violations)


async def test_unknown_routes_and_commands_are_caught(fake: FakeDiscord, monkeypatch) -> None:
    point_at(fake, monkeypatch)
    async with running(PingBot(fake.guild.id), fake.token, fake) as bot:
        with pytest.raises(discord.NotFound):
            await bot.http.request(discord.http.Route("GET", "/guilds/{guild_id}/audit-logs", guild_id=fake.guild.id))
        with pytest.raises(AssertionError, match="not a synced command"):
            await fake.slash(fake.alice, "nope")
    assert fake.problems() == [f"unknown route: GET /api/v10/guilds/{fake.guild.id}/audit-logs"]
    fake.unknown_routes.clear()  # seen; let the guard pass


async def test_global_rate_limit_answers_429_and_discord_py_waits(fake: FakeDiscord, monkeypatch) -> None:
    point_at(fake, monkeypatch)
    async with running(PingBot(fake.guild.id), fake.token, fake) as bot:
        fake.global_limit = 10
        channel = bot.get_channel(fake.general.id)
        assert isinstance(channel, discord.TextChannel)
        await asyncio.gather(*(channel.send(f"m{i}") for i in range(14)))
    posts = fake.calls_to("POST /channels/{channel_id}/messages")
    assert sum(c.status == 200 for c in posts) == 14
    limited = [c for c in posts if c.status == 429]
    assert limited and all(c.response["global"] is True and 0 < c.response["retry_after"] <= 1 for c in limited)
    assert len(fake.messages_in(fake.general)) == 14


async def test_injected_errors_reach_the_bot(fake: FakeDiscord, monkeypatch) -> None:
    point_at(fake, monkeypatch)
    fake.inject("POST /channels/{channel_id}/messages", status=403, code=50013)
    async with running(PingBot(fake.guild.id), fake.token, fake) as bot:
        channel = bot.get_channel(fake.general.id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.Forbidden) as err:
            await channel.send("nope")
        assert err.value.code == 50013
        assert (await channel.send("yes")).content == "yes"


async def test_message_limits_are_enforced(fake: FakeDiscord, monkeypatch) -> None:
    point_at(fake, monkeypatch)
    async with running(PingBot(fake.guild.id), fake.token, fake) as bot:
        channel = bot.get_channel(fake.general.id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as err:
            await channel.send("x" * 2001)
        assert err.value.code == 50035
        with pytest.raises(discord.HTTPException):
            await channel.send(embed=discord.Embed(description="y" * 4097))


async def test_wrong_token_fails_login(fake: FakeDiscord, monkeypatch) -> None:
    point_at(fake, monkeypatch)
    bot = PingBot(fake.guild.id)
    with pytest.raises(discord.LoginFailure):
        await bot.login("wrong-token")
    await bot.close()


def test_discord_py_internals_the_fake_relies_on() -> None:
    """If this fails, discord.py changed under us: re-check the fake (tests/fakes/discord) and the
    adapter's REST/gateway override (adapters/discord/client.py) before bumping the pin."""
    from discord import gateway, http, state
    from discord.ui import view
    from discord.webhook import async_ as webhook

    assert discord.__version__ == "2.7.1", "discord.py is pinned to 2.7.1; re-verify the fake before bumping"
    assert isinstance(http.Route.__dict__.get("BASE"), str), "Route.BASE is no longer a class attribute"
    assert "self.BASE + self.path" in inspect.getsource(http.Route.__init__), "Route no longer builds URLs from BASE"
    assert isinstance(gateway.DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL), "DEFAULT_GATEWAY moved or changed type"
    assert "cls.DEFAULT_GATEWAY" in inspect.getsource(gateway.DiscordWebSocket.from_client)
    assert "resume_gateway_url" in inspect.getsource(gateway.DiscordWebSocket.received_message)
    assert "== 'application/json'" in inspect.getsource(http.json_or_text), "JSON detection changed"
    assert "'Via'" in inspect.getsource(http.HTTPClient.request), "429 handling no longer checks the Via header"
    assert "with_response" in inspect.getsource(webhook.AsyncWebhookAdapter.create_interaction_response)
    assert "'/interactions/{webhook_id}/{webhook_token}/callback'" in inspect.getsource(
        webhook.AsyncWebhookAdapter.create_interaction_response
    )
    assert "attachment_size_limit" in inspect.getsource(discord.Interaction._from_data)
    assert "application" in inspect.getsource(state.ConnectionState.parse_ready)
    assert hasattr(view.ViewStore, "dispatch_dynamic_items"), "DynamicItem dispatch moved"
    assert "guild_ready_timeout" in inspect.getsource(state.ConnectionState.__init__)
