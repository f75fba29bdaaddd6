"""The Discord adapter as bootstrap runs it (desk + notifier + outbox dispatcher + bot), on the fake.

``DiscordApp`` is one "process": stop it and start another against the same database to simulate a
restart. Helpers drive the common user paths (open a ticket through the modal, find its thread and card).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.discord.client import build_discord
from bot.bootstrap import build_desk
from bot.settings import Settings
from core.desk import Desk
from core.outbox import Dispatcher
from core.storage.engine import build_engine
from core.storage.tables import outbox
from core.storage.uow import UnitOfWork
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
    engine: AsyncEngine | None = None
    desk: Desk | None = None
    dispatcher: Dispatcher | None = None
    bot: Any = None
    notifier: Any = None
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> DiscordApp:
        self.engine = build_engine(self.settings.database_url)
        self.desk = build_desk(self.settings, self.engine, clock=self.clock)
        self.bot, self.notifier = build_discord(self.settings, self.desk)
        assert self.notifier.name in self.desk.consumers  # build_desk subscribes the configured platforms
        self.dispatcher = Dispatcher(self.engine, [self.notifier], clock=self.clock, poll_interval=0.05)
        self.desk.on_commit.append(self.dispatcher.wake)
        bot_task = asyncio.create_task(self.bot.start(self.fake.token), name="discord-bot")
        ready = asyncio.create_task(self.bot.wait_until_ready())
        done, _ = await asyncio.wait({bot_task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if bot_task in done:
                bot_task.result()
            raise AssertionError("the Discord bot did not become ready")
        assert await asyncio.wait_for(self.bot.synced, 5), "the slash commands were not synced"
        # with a frozen FakeClock a "not ready yet, retry in 2 s" would never come due: start delivering now
        self._tasks = [asyncio.create_task(self.dispatcher.run(self._stop), name="outbox"), bot_task]
        return self

    async def stop(self) -> None:
        """Like a graceful shutdown: the dispatcher finishes its round, then the bot disconnects."""
        self._stop.set()
        outbox, bot_task = self._tasks[0], self._tasks[1]
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(outbox, 5)
        if self.bot is not None:
            await self.bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(bot_task, 5)
        if self.engine is not None:
            await self.engine.dispose()

    # ------------------------------------------------------------------ waiting
    async def pending(self) -> int:
        async with UnitOfWork(self.engine, read_only=True) as uow:  # type: ignore[arg-type]
            return await uow.outbox.pending(self.notifier.name)

    async def retrying(self) -> int:
        """How many undelivered outbox events already failed at least once (a retry is scheduled)."""
        async with UnitOfWork(self.engine, read_only=True) as uow:  # type: ignore[arg-type]
            stmt = select(func.count()).where(outbox.c.consumer == self.notifier.name, outbox.c.attempts > 0)
            return int((await uow.tickets.conn.execute(stmt)).scalar_one())

    async def settle(self, within: float = 5.0) -> None:
        """Wait until every outbox event has been delivered to Discord."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while await self.pending():
            if loop.time() > deadline:
                raise AssertionError(f"{await self.pending()} outbox event(s) still undelivered after {within}s")
            await asyncio.sleep(0.02)

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
        assert self.desk is not None

        async def linked() -> FakeChannel | None:
            link = await self.desk.get_link(ticket_id=ticket_id, platform="discord", kind="thread")  # type: ignore[union-attr]
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
