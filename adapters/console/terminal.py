"""The interactive terminal loop around a ``ConsoleSession``.

Input is read without a blocking thread where the platform allows it (``loop.add_reader``), so Ctrl-C stops
the console at once, between two keystrokes, instead of after the next Enter.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

from adapters.console.session import INTRO, ConsoleNotifier, ConsoleSession


async def run_terminal(runtime: Any, *, actor: Any = None) -> None:
    """Chat in the terminal until /quit, end of input, or ``runtime.stop`` (Ctrl-C, SIGTERM)."""
    session = ConsoleSession(runtime.desk, actor, timezone=runtime.settings.timezone)
    notifier = ConsoleNotifier(session)
    # what an earlier session left undelivered for the console is stale now
    await runtime.desk.db.write(lambda uow: uow.outbox.discard(notifier.name))
    runtime.add_notifier(notifier)
    runtime.start_dispatcher()
    runtime.start_scheduler()
    print(INTRO.format(who=session._who_short()), flush=True)

    async def flush_notes() -> None:  # what others did appears between prompts, like a chat
        while not runtime.stop.is_set():
            while session.outbox:
                print(session.pop(), flush=True)
            await asyncio.sleep(0.2)

    printer = asyncio.create_task(flush_notes())
    try:
        async for line in read_lines(runtime.stop):
            if line.strip().lower() in ("/quit", "/exit"):
                break
            for reply in await session.handle(line):
                print(reply, flush=True)
    finally:
        printer.cancel()
        runtime.stop.set()


async def read_lines(stop: asyncio.Event) -> AsyncIterator[str]:
    """Lines from stdin until end of input or ``stop`` is set, whichever comes first."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    fd = sys.stdin.fileno()
    pending = b""

    def readable() -> None:
        nonlocal pending
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        if not data:
            loop.remove_reader(fd)
            if pending:
                queue.put_nowait(pending.decode("utf-8", "replace"))
            queue.put_nowait(None)
            return
        *complete, pending = (pending + data).split(b"\n")
        for raw in complete:
            queue.put_nowait(raw.decode("utf-8", "replace"))

    try:
        loop.add_reader(fd, readable)
        reader = None
    except (NotImplementedError, PermissionError, ValueError):  # Windows, or stdin is a regular file
        reader = asyncio.create_task(_read_in_thread(queue))
    stopped = asyncio.ensure_future(stop.wait())
    try:
        while True:
            got = asyncio.ensure_future(queue.get())
            await asyncio.wait({got, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not got.done():
                got.cancel()
                return
            line = got.result()
            if line is None:
                return
            yield line
    finally:
        stopped.cancel()
        if reader is not None:
            reader.cancel()
        else:
            with contextlib.suppress(Exception):
                loop.remove_reader(fd)


async def _read_in_thread(queue: asyncio.Queue[str | None]) -> None:
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            await queue.put(None)
            return
        await queue.put(line.rstrip("\n"))
