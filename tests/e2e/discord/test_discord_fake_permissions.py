"""Permissions and attachments on the fake Discord, seen through discord.py: what ``permissions_for(guild.me)``
computes agrees with what the fake enforces, and files sent by the bot are stored byte for byte."""

from __future__ import annotations

import io

import discord
import pytest

from tests.e2e.discord.test_discord_fake import PingBot, point_at
from tests.fakes.discord import DEFAULT_BOT_PERMISSIONS, EVERYONE_PERMISSIONS, FakeChannel, FakeDiscord, running
from tests.fakes.discord.state import (
    ATTACH_FILES,
    CREATE_PRIVATE_THREADS,
    MANAGE_THREADS,
    PIN_MESSAGES,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


async def agreed(fake: FakeDiscord, bot: discord.Client, channel: FakeChannel) -> discord.Permissions:
    """Wait until discord.py's view of the bot's permissions in ``channel`` equals the fake's; return it."""
    guild = bot.get_guild(fake.guild.id)
    assert guild is not None

    def computed() -> list[discord.Permissions]:  # a list: Permissions(0) is falsy
        target = guild.get_channel_or_thread(channel.id)
        if target is None:
            return []
        perms = target.permissions_for(guild.me)
        return [perms] if perms.value == fake.bot_permissions(channel) else []

    found = await fake.wait_until(computed, what=f"discord.py to agree on the bot's permissions in {channel.name}")
    return found[0]


async def test_by_default_discord_py_and_the_fake_agree_and_the_bot_may_do_its_job(
    fake: FakeDiscord, monkeypatch
) -> None:
    point_at(fake, monkeypatch)
    async with running(PingBot(fake.guild.id), fake.token, fake) as bot:
        for channel in (fake.general, fake.support, fake.log_channel):
            perms = await agreed(fake, bot, channel)
            assert perms.value == EVERYONE_PERMISSIONS | DEFAULT_BOT_PERMISSIONS
            assert perms.pin_messages and perms.create_private_threads and perms.attach_files
        ix = await fake.slash(fake.alice, "ping", channel=fake.support)
        await ix.reply()
    assert ix.payload["app_permissions"] == str(fake.bot_permissions(fake.support))  # type: ignore[attr-defined]


async def test_a_bot_without_pin_and_thread_permissions_is_refused_and_knows_it(fake: FakeDiscord, monkeypatch) -> None:
    point_at(fake, monkeypatch)
    async with running(PingBot(fake.guild.id), fake.token, fake) as bot:
        support = bot.get_channel(fake.support.id)
        assert isinstance(support, discord.TextChannel)
        thread = fake.channel((await support.create_thread(name="TKT-1", type=discord.ChannelType.private_thread)).id)
        chosen = (EVERYONE_PERMISSIONS | DEFAULT_BOT_PERMISSIONS) & ~(
            PIN_MESSAGES | CREATE_PRIVATE_THREADS | SEND_MESSAGES_IN_THREADS | MANAGE_THREADS
        )
        await fake.set_bot_permissions(chosen)

        perms = await agreed(fake, bot, fake.support)
        assert perms.value == chosen
        assert not (perms.pin_messages or perms.create_private_threads or perms.manage_threads)
        in_thread = await agreed(fake, bot, thread)
        assert not in_thread.send_messages_in_threads and not in_thread.attach_files

        card = await support.send("card")  # plain posting still works
        with pytest.raises(discord.Forbidden) as err:
            await card.pin()
        assert err.value.code == 50013
        with pytest.raises(discord.Forbidden):
            await support.create_thread(name="TKT-2", type=discord.ChannelType.private_thread)
        with pytest.raises(discord.Forbidden):
            await bot.http.send_message(thread.id, params=discord.http.handle_message_parameters(content="hi"))
        assert fake.pins(fake.support) == [] and len(fake.threads()) == 1


async def test_channel_overwrites_hide_a_channel_and_allow_it_back(fake: FakeDiscord, monkeypatch) -> None:
    point_at(fake, monkeypatch)
    async with running(PingBot(fake.guild.id), fake.token, fake) as bot:
        everyone = fake.guild.roles[fake.guild.id]
        await fake.set_overwrite(fake.log_channel, everyone, deny=VIEW_CHANNEL)
        assert not (await agreed(fake, bot, fake.log_channel)).view_channel
        assert fake.bot_permissions(fake.log_channel) & SEND_MESSAGES == 0  # no view, no channel permission
        with pytest.raises(discord.NotFound):
            await bot.http.send_message(fake.log_channel.id, params=discord.http.handle_message_parameters(content="x"))

        await fake.set_overwrite(fake.log_channel, fake.bot_role, allow=VIEW_CHANNEL)
        assert (await agreed(fake, bot, fake.log_channel)).send_messages
        await fake.set_overwrite(fake.log_channel, fake.bot_user, deny=ATTACH_FILES)
        assert not (await agreed(fake, bot, fake.log_channel)).attach_files
        await fake.set_role_permissions(fake.bot_role, DEFAULT_BOT_PERMISSIONS & ~PIN_MESSAGES)
        assert not (await agreed(fake, bot, fake.general)).pin_messages
        assert not fake.guild.can_view(fake.alice.id, fake.log_channel)


async def test_attachments_in_channels_and_dms_are_stored_with_their_bytes(fake: FakeDiscord, monkeypatch) -> None:
    point_at(fake, monkeypatch)
    async with running(PingBot(fake.guild.id), fake.token, fake) as bot:
        log = bot.get_channel(fake.log_channel.id)
        assert isinstance(log, discord.TextChannel)
        sent = await log.send(
            "digest",
            files=[discord.File(io.BytesIO(PNG), "chart.png"), discord.File(io.BytesIO(b"a,b\n1,2\n"), "t.csv")],
        )
        alice = await bot.fetch_user(fake.alice.id)
        dm = await alice.send(file=discord.File(io.BytesIO(b"your transcript"), "TKT-1.txt"))
        assert await sent.attachments[0].read() == PNG  # discord.py downloads it back from the fake

        await fake.set_overwrite(fake.log_channel, fake.bot_user, deny=ATTACH_FILES)
        await agreed(fake, bot, fake.log_channel)
        with pytest.raises(discord.Forbidden):
            await log.send(file=discord.File(io.BytesIO(PNG), "chart.png"))

    stored = fake.messages_in(fake.log_channel)
    assert len(stored) == 1 and stored[0].content == "digest"
    assert [(a.filename, a.data) for a in stored[0].attachments] == [("chart.png", PNG), ("t.csv", b"a,b\n1,2\n")]
    assert stored[0].attachments[0].data.startswith(b"\x89PNG") and stored[0].attachments[0].size == len(PNG)
    assert [a.text for m in fake.dm_messages(fake.alice) for a in m.attachments] == ["your transcript"]
    assert dm.attachments[0].filename == "TKT-1.txt"
