"""The fake Discord's failure controls, driven by plain discord.py clients: seeded REST faults that discord.py
rides out by itself, gateway outages, a revoked token, and privileged intents the application lacks."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

import discord
import pytest

from tests.e2e.discord.test_discord_fake import PingBot, point_at
from tests.fakes.discord import FakeDiscord, running
from tests.fakes.discord.gateway import GATEWAY_GUILD_MEMBERS_LIMITED, GATEWAY_MESSAGE_CONTENT_LIMITED

POST_MESSAGE = "POST /channels/{channel_id}/messages"


class WatchingBot(discord.Client):
    """Counts the connection events a health check would watch, and the messages it sees."""

    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = intents.guild_messages = intents.message_content = True
        super().__init__(intents=intents, guild_ready_timeout=0.05)
        self.seen: Counter[str] = Counter()
        self.contents: list[str] = []

    async def on_ready(self) -> None:
        self.seen["ready"] += 1

    async def on_disconnect(self) -> None:
        self.seen["disconnect"] += 1

    async def on_resumed(self) -> None:
        self.seen["resumed"] += 1

    async def on_message(self, message: discord.Message) -> None:
        self.contents.append(message.content)


async def test_seeded_rest_faults_are_retried_by_discord_py_and_messages_arrive_once(
    fake: FakeDiscord, monkeypatch
) -> None:
    point_at(fake, monkeypatch)
    async with running(PingBot(fake.guild.id), fake.token, fake) as bot:
        # one call at a time, so the seeded draws meet the same calls in every run (8 × 429, 2 × 500)
        injector = fake.inject_faults(rate_429=0.3, rate_500=0.08, seed=3)
        alice = await bot.fetch_user(fake.alice.id)
        targets = [(bot.get_channel(c.id), c.name) for c in (fake.general, fake.support, fake.log_channel)]
        for target, prefix in [*targets, (alice, "dm")]:
            assert isinstance(target, discord.TextChannel | discord.User)
            for i in range(6):
                await target.send(f"{prefix} {i}")
        fake.clear_faults()

    for channel in (fake.general, fake.support, fake.log_channel):
        assert [m.content for m in fake.messages_in(channel)] == [f"{channel.name} {i}" for i in range(6)]
    assert [m.content for m in fake.dm_messages(fake.alice)] == [f"dm {i}" for i in range(6)]
    faulted = [c for c in fake.calls if c.fault]
    assert sorted(c.status for c in faulted) == [429] * 8 + [500] * 2
    assert len(faulted) == injector.drawn[429] + injector.drawn[500]
    limited = next(c for c in faulted if c.status == 429)
    assert limited.response == {"message": "You are being rate limited.", "retry_after": 0.05, "global": False}
    assert limited.headers["X-RateLimit-Remaining"] == "0" and limited.headers["X-RateLimit-Bucket"]
    assert limited.headers["X-RateLimit-Scope"] == "user" and "Retry-After" in limited.headers
    posts = fake.calls_to(POST_MESSAGE)
    assert sum(c.status == 200 for c in posts) == 24 and any(c.fault for c in posts)


async def test_faults_can_target_routes_and_spare_the_rest(fake: FakeDiscord, monkeypatch) -> None:
    point_at(fake, monkeypatch)
    async with running(PingBot(fake.guild.id), fake.token, fake) as bot:
        fake.inject_faults(rate_429=0.5, routes=[POST_MESSAGE], seed=1)
        channel = bot.get_channel(fake.general.id)
        assert isinstance(channel, discord.TextChannel)
        for i in range(4):
            await channel.send(f"m{i}")
        await channel.fetch_message(fake.messages_in(fake.general)[0].id)
    assert {c.key for c in fake.calls if c.fault} == {POST_MESSAGE}
    assert [m.content for m in fake.messages_in(fake.general)] == ["m0", "m1", "m2", "m3"]


async def test_a_gateway_outage_holds_the_bot_until_it_ends_then_it_resumes(fake: FakeDiscord, monkeypatch) -> None:
    point_at(fake, monkeypatch)
    async with running(WatchingBot(), fake.token, fake) as bot:
        await fake.gateway_outage()
        await fake.wait_until(lambda: any(s.held for s in fake.sessions), what="the bot to try to RESUME")
        assert not fake.ready_sessions and bot.seen["disconnect"] == 1
        await fake.send_message(fake.alice, fake.general, "while down")  # lost, as nobody is connected
        await asyncio.sleep(0.1)
        assert bot.seen["resumed"] == 0  # still held

        await fake.end_gateway_outage()
        await fake.wait_until(lambda: bot.seen["resumed"] == 1, what="RESUMED")
        await fake.send_message(fake.alice, fake.general, "back")
        await fake.wait_until(lambda: "back" in bot.contents, what="a message after the outage")
    assert bot.contents == ["back"] and bot.seen["ready"] == 1


async def test_refused_gateway_connections_make_discord_py_back_off_and_retry(
    fake: FakeDiscord, monkeypatch, expect_logged_errors
) -> None:
    point_at(fake, monkeypatch)
    errors = expect_logged_errors(r"Attempting a reconnect")
    async with running(WatchingBot(), fake.token, fake) as bot:
        await fake.gateway_outage(refuse="connect")
        await fake.wait_until(lambda: fake.refused_connections >= 1, what="a refused reconnect")
        assert not fake.ready_sessions
        await fake.end_gateway_outage()
        await fake.wait_until(lambda: bot.seen["resumed"] == 1, within=10, what="the bot back after its backoff")
    assert any("Attempting a reconnect" in r.getMessage() for r in errors)


async def test_a_revoked_token_closes_the_gateway_with_4004_and_fails_the_next_login(
    fake: FakeDiscord, monkeypatch
) -> None:
    point_at(fake, monkeypatch)
    old_token = fake.token
    bot = PingBot(fake.guild.id)
    task = asyncio.create_task(bot.start(old_token))
    try:
        await fake.wait_ready()
        new_token = await fake.revoke_token()
        with pytest.raises(discord.ConnectionClosed) as closed:
            await asyncio.wait_for(task, 5)
        assert closed.value.code == 4004
    finally:
        await bot.close()
        with contextlib.suppress(BaseException):
            await task

    again = PingBot(fake.guild.id)
    with pytest.raises(discord.LoginFailure):
        await again.login(old_token)
    await again.close()
    assert fake.calls[-1].key == "GET /users/@me" and fake.calls[-1].status == 401
    async with running(PingBot(fake.guild.id), new_token, fake):
        assert fake.ready_sessions


async def test_privileged_intents_need_the_application_flags(monkeypatch) -> None:
    async with FakeDiscord(application_flags=0) as fake:
        point_at(fake, monkeypatch)
        with pytest.raises(discord.PrivilegedIntentsRequired):
            async with running(WatchingBot(), fake.token, fake):  # asks for message content
                pass
        fake.application_flags = GATEWAY_MESSAGE_CONTENT_LIMITED
        async with running(WatchingBot(), fake.token, fake) as bot:
            info = await bot.application_info()
            assert info.flags.gateway_message_content_limited and not info.flags.gateway_guild_members_limited
            assert bot.application_flags.gateway_message_content_limited

        members = discord.Intents(guilds=True, members=True)
        with pytest.raises(discord.PrivilegedIntentsRequired):
            async with running(discord.Client(intents=members, guild_ready_timeout=0.05), fake.token, fake):
                pass
        fake.application_flags |= GATEWAY_GUILD_MEMBERS_LIMITED
        async with running(discord.Client(intents=members, guild_ready_timeout=0.05), fake.token, fake):
            assert fake.identifies[-1].intents == members.value
        assert fake.problems() == []
