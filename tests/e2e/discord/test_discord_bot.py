"""How the bot connects: endpoints and intents from settings, guild command sync, sharding."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord
import pytest

from core.model import Actor
from tests.e2e.discord.app import DiscordApp, ticket_id_in
from tests.fakes.discord import FakeDiscord


async def test_the_bot_connects_where_settings_say_with_the_intents_it_needs(
    app: DiscordApp, fake: FakeDiscord
) -> None:
    (identify,) = fake.identifies
    wanted = discord.Intents.none()
    wanted.guilds = wanted.guild_messages = wanted.message_content = True
    assert identify.intents == wanted.value  # no privileged members intent
    assert identify.shard is None
    guild_sync = "PUT /applications/{application_id}/guilds/{guild_id}/commands"
    assert [c.params["guild_id"] for c in fake.calls_to(guild_sync)] == [str(fake.guild.id)]
    assert fake.calls_to("PUT /applications/{application_id}/commands") == []  # never global
    (ticket,) = fake.commands[fake.guild.id]
    assert ticket["name"] == "ticket"
    assert [o["name"] for o in ticket["options"]] == [
        "open",
        "close",
        "reopen",
        "status",
        "list",
        "search",
        "stats",
        "assign",
        "priority",
        "note",
        "panel",
    ]


@pytest.mark.parametrize("backend", ["sqlite"])  # slow (discord.py waits 5 s between IDENTIFYs); storage-neutral
async def test_a_sharded_bot_serves_the_guild_from_its_shard(
    make_app: Callable[..., Awaitable[DiscordApp]], fake: FakeDiscord
) -> None:
    app = await make_app(shard_count=2)
    assert isinstance(app.bot, discord.AutoShardedClient)
    assert sorted(i.shard for i in fake.identifies) == [(0, 2), (1, 2)]
    ix = await fake.slash(fake.alice, "ticket open")
    answer = await (await app.submit_open_modal(ix, "Sharded")).reply()
    thread = await app.thread_of(ticket_id_in(answer.content))
    assert fake.alice.id in thread.members


async def test_staff_see_the_private_thread_and_other_members_do_not(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Who can see this?")
    assert fake.guild.can_view(fake.alice.id, thread)
    assert fake.guild.can_view(fake.sam.id, thread)  # the staff role has Manage Threads
    assert not fake.guild.can_view(fake.bob.id, thread)
    card = app.card(thread)
    assert card.embed_field("SLA due").startswith("<t:")
    ticket = await app.desk.get_ticket(ticket_id=ticket_id, actor=Actor.system())
    assert ticket.sla_due_at is not None and str(int(ticket.sla_due_at.timestamp())) in card.embed_field("SLA due")


async def test_the_bot_resumes_after_a_gateway_reconnect(app: DiscordApp, fake: FakeDiscord) -> None:
    (before,) = fake.ready_sessions
    await fake.ask_to_reconnect()
    await fake.wait_until(
        lambda: fake.ready_sessions and fake.ready_sessions[0] is not before, what="a resumed session"
    )
    resumed = fake.ready_sessions[0]
    assert resumed.session_id == before.session_id and len(fake.identifies) == 1  # RESUME, not a new IDENTIFY
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "After the reconnect")
    assert fake.alice.id in thread.members
