"""Ack-first plumbing: counting listener work in flight, and holding after-ack work until Slack's acks leave.

Bolt's HTTP and Socket Mode handlers are wrapped so that every request from Slack is counted while it waits
for its answer (``AckFirst``); ``InFlight`` counts listener work so shutdown (and tests) can wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from starlette.requests import Request
from starlette.responses import Response


class InFlight:
    """Counts listener work in progress, so shutdown (and tests) can wait for it to finish."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __aenter__(self) -> None:
        self._count += 1
        self._idle.clear()

    async def __aexit__(self, *exc: object) -> None:
        self._count -= 1
        if self._count == 0:
            self._idle.set()

    async def wait_idle(self, grace: float = 10.0) -> None:
        for _ in range(3):  # let just-acked requests reach their listener
            await asyncio.sleep(0)
        async with asyncio.timeout(grace):
            await self._idle.wait()


class AckFirst:
    """Holds work that follows an ack until Slack's requests in flight have been answered.

    Under a burst (an incident: many people run /ticket at once) the acks then leave before the slower
    after-ack work (views.open, desk queries…) competes for the event loop — Slack's 3-second clock covers
    only the acks. The wait is bounded by ``max_wait``, so under steady load work is delayed, never starved.
    """

    def __init__(self, max_wait: float = 1.0) -> None:
        self.max_wait = max_wait
        self._open = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        """Wrap the handling of one request from Slack (until its response is ready)."""
        self._open += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._open -= 1
            if self._open == 0:
                self._idle.set()

    async def after_acks(self) -> None:
        """Return once no request from Slack is waiting for its answer (or after ``max_wait``)."""
        if self._open == 0:
            return
        try:
            await asyncio.wait_for(self._idle.wait(), self.max_wait)
        except TimeoutError:
            pass


class TrackedRequestHandler:
    """Bolt's FastAPI/Starlette handler, counting each request for ``AckFirst``."""

    def __init__(self, app: AsyncApp, gate: AckFirst) -> None:
        self._handler = AsyncSlackRequestHandler(app)
        self._gate = gate

    async def handle(self, request: Request) -> Response:
        async with self._gate.request():
            return await self._handler.handle(request)


class TrackedSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's aiohttp Socket Mode handler, counting each envelope for ``AckFirst``."""

    gate: AckFirst

    async def handle(self, client: Any, req: Any) -> None:
        async with self.gate.request():
            await super().handle(client, req)
