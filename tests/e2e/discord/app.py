"""The Discord adapter as ``ticketbot run`` composes it, on the fake: ``bot.bootstrap.open_runtime`` (database,
desk) and ``start_adapters`` (the Discord bot, its notifier, the web server and the outbox dispatcher).

``DiscordApp`` is one "process": stop it and start another against the same database to simulate a
restart, or run two at once as replicas. Helpers drive the common user paths (open a ticket through the
modal, find its thread and card).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from adapters.discord.notifier import DiscordNotifier
from bot.bootstrap import Runtime, open_runtime, start_adapters
from bot.settings import Settings
from core.desk import Desk
from core.model import Link
from core.outbox import Dispatcher
from core.storage.tables import outbox
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeChannel, FakeDiscord, FakeInteraction, FakeMessage, FakeUser

CALLBACK = "POST /interactions/{interaction_id}/{token}/callback"


def discord_settings(fake: FakeDiscord, **overrides: Any) -> dict[str, Any]:
    return {
        "token": fake.token,
        "api_url": fake.api_url,
        "gateway_url": fake.gateway_url,
        "guild_id": fake.guild.id,
        "support_channel_id": fake.support.id,
        "staff_role_id": fake.staff_role.id,
        "log_channel_id": fake.log_channel.id,
        "guild_ready_timeout": 0.05,
        **overrides,
    }


@dataclass
class DiscordApp:
    fake: FakeDiscord
    settings: Settings
    clock: FakeClock
    runtime: Runtime | None = None
    notifier: Any = None  # DiscordNotifier
    bot: Any = None

    @property
    def desk(self) -> Desk:
        assert self.runtime is not None, "start() the app first"
        return self.runtime.desk

    @property
    def dispatcher(self) -> Dispatcher:
        assert self.runtime is not None and self.runtime.dispatcher is not None
        return self.runtime.dispatcher

    @property
    def running(self) -> bool:
        return self.runtime is not None and not self.runtime.stop.is_set()

    async def start(self) -> DiscordApp:
        self.runtime = await open_runtime(self.settings, clock=self.clock)
        await start_adapters(self.runtime)
        (self.notifier,) = [n for n in self.runtime.notifiers if isinstance(n, DiscordNotifier)]
        assert self.notifier.name in self.desk.consumers
        self.bot = self.notifier.bot
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not self.bot.is_ready():
            if self.runtime.stop.is_set() or loop.time() > deadline:
                raise AssertionError(f"the Discord bot did not become ready: {self.runtime.failure}")
            await asyncio.sleep(0.01)
        assert await asyncio.wait_for(self.bot.synced, 5), "the slash commands were not synced"
        return self

    async def stop(self) -> None:
        """A graceful shutdown: the dispatcher finishes its round, the bot disconnects, the database closes."""
        assert self.runtime is not None
        await self.runtime.close()
        assert self.runtime.failure is None, self.runtime.failure

    # ------------------------------------------------------------------ waiting
    async def pending(self) -> int:
        assert self.runtime is not None
        return await self.runtime.db.read(lambda uow: uow.outbox.pending("discord"))

    async def wait_for_attempts(self, count: int, within: float = 5.0) -> None:
        """Wait until the outbox has recorded ``count`` failed attempts of Discord deliveries in all."""
        stmt = select(func.coalesce(func.sum(outbox.c.attempts), 0)).where(outbox.c.consumer == "discord")
        assert self.runtime is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while await self.runtime.db.read(lambda uow: int(uow.conn.execute(stmt).scalar_one())) < count:
            if loop.time() > deadline:
                raise AssertionError(f"the outbox did not record {count} failed attempt(s) within {within}s")
            await asyncio.sleep(0.02)

    async def settle(self, within: float = 5.0) -> None:
        """Wait until every outbox event has been delivered to Discord."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while await self.pending():
            if loop.time() > deadline:
                raise AssertionError(f"{await self.pending()} outbox event(s) still undelivered after {within}s")
            await asyncio.sleep(0.02)

    async def link(self, ticket_id: str) -> Link | None:
        return await self.desk.queries.link(ticket_id, "discord", "thread")

    # ------------------------------------------------------------------ user paths
    async def open_ticket(
        self,
        user: FakeUser,
        subject: str = "Login fails",
        description: str = "I get a 500 error after entering my password.",
        *,
        category: str | None = None,
        priority: str | None = None,
    ) -> tuple[str, FakeChannel, FakeMessage]:
        """/ticket open → modal → submit; return (ticket id, its thread, the ephemeral answer)."""
        ix = await self.fake.slash(user, "ticket open")
        submit = await self.submit_open_modal(ix, subject, description, category=category, priority=priority)
        answer = await submit.reply()
        ticket_id = ticket_id_in(answer.content)
        thread = await self.thread_of(ticket_id)
        return ticket_id, thread, answer

    async def submit_open_modal(
        self,
        ix: FakeInteraction,
        subject: str,
        description: str = "",
        *,
        category: str | None = None,
        priority: str | None = None,
    ) -> FakeInteraction:
        values: dict[str, Any] = {"subject": subject, "description": description}
        if category:
            values["category"] = [category]
        if priority:
            values["priority"] = [priority]
        return await self.fake.submit_modal(ix, values)

    async def thread_of(self, ticket_id: str, within: float = 5.0) -> FakeChannel:
        async def linked() -> FakeChannel | None:
            link = await self.link(ticket_id)
            if link is None or not link.message_id:
                return None
            return self.fake.channel(link.thread_id or 0)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (thread := await linked()) is None:
            if loop.time() > deadline:
                raise AssertionError(f"{ticket_id} has no Discord thread after {within}s")
            await asyncio.sleep(0.02)
        return thread

    def card(self, thread: FakeChannel) -> FakeMessage:
        """The pinned ticket card at the top of a thread."""
        pins = self.fake.pins(thread)
        assert len(pins) == 1, f"expected one pinned card in {thread.name!r}, found {len(pins)}"
        return pins[0]


def ticket_id_in(text: str) -> str:
    import re

    match = re.search(r"TKT-[0-9A-Z]{5}", text)
    assert match, f"no ticket id in {text!r}"
    return match.group(0)
