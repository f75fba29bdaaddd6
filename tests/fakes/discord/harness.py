"""Running a real discord.py client against the fake in a test or a bench."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import discord

from .server import FakeDiscord


@contextlib.asynccontextmanager
async def running(bot: discord.Client, token: str, fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    """Run ``bot`` against the fake until the block ends; wait for READY first."""
    task = asyncio.create_task(bot.start(token), name="discord-bot")
    try:
        waiter = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({task, waiter}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            waiter.cancel()
            task.result()  # re-raise the login/connect failure
            raise AssertionError("the bot stopped before it was ready")
        if waiter not in done:
            waiter.cancel()
            raise AssertionError("the bot was not ready within 10 s")
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
