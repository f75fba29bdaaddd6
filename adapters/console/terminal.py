"""The interactive terminal loop around a ``ConsoleSession``."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from adapters.console.session import INTRO, ConsoleNotifier, ConsoleSession
from core.storage.uow import UnitOfWork


async def run_terminal(runtime: Any, *, actor: Any = None) -> None:
    session = ConsoleSession(runtime.desk, actor)
    notifier = ConsoleNotifier(session)
    async with UnitOfWork(runtime.engine) as uow:  # what an earlier session left undelivered is stale now
        await uow.outbox.discard(notifier.name)
    runtime.add_notifier(notifier)
    runtime.start_dispatcher()
    print(INTRO.format(who=session._who_short()), flush=True)

    async def flush_notes() -> None:  # what others did appears between prompts, like a chat
        while not runtime.stop.is_set():
            while session.outbox:
                print(session.pop(), flush=True)
            await asyncio.sleep(0.2)

    printer = asyncio.create_task(flush_notes())
    try:
        while not runtime.stop.is_set():
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line or line.strip() in ("/quit", "/exit"):
                break
            for reply in await session.handle(line):
                print(reply, flush=True)
    finally:
        printer.cancel()
        runtime.stop.set()
