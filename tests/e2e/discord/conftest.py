"""Fixtures for end-to-end tests of the Discord adapter: a fake Discord and real discord.py bots on it.

An autouse fixture fails a test that made the fake see an unknown route or a broken Discord rule (a late or
double interaction response); the ERROR-log guard is tests/e2e/conftest.py.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from bot.settings import Settings
from tests.e2e.discord.app import DiscordApp, discord_settings
from tests.e2e.sqlite_only import backend  # noqa: F401  (this folder's tests run on SQLite only)
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord


@pytest.fixture(autouse=True)
def fail_on_broken_discord_rules(request: pytest.FixtureRequest) -> Iterator[None]:
    """The fake saw an unknown route or a broken Discord rule (a late or double interaction response)."""
    yield
    problems = [p for fake in _fakes_of(request) for p in fake.problems()]
    if problems:
        pytest.fail("Discord e2e guard:\n  " + "\n  ".join(problems), pytrace=False)


def _fakes_of(request: pytest.FixtureRequest) -> list[FakeDiscord]:
    return list(getattr(request.node, "_fake_discords", []))


@pytest.fixture
async def fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    request.node._fake_discords = [*_fakes_of(request), server]
    try:
        yield server
    finally:
        await server.close()


class _DeliveryFailures(logging.Handler):
    """Outbox deliveries to Discord that failed (the dispatcher logs them as warnings, then retries)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []
        self.expected = False

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "core.outbox" and "failed" in record.getMessage():
            self.records.append(record)


@pytest.fixture
def delivery_failures() -> Iterator[_DeliveryFailures]:
    """Fails the test if an outbox delivery to Discord failed, unless the test set ``.expected = True``."""
    handler = _DeliveryFailures()
    logging.getLogger("core.outbox").addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger("core.outbox").removeHandler(handler)
    if handler.records and not handler.expected:
        details = [f"{r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else r.getMessage() for r in handler.records]
        pytest.fail("unexpected outbox delivery failures:\n  " + "\n  ".join(details), pytrace=False)


@pytest.fixture
async def make_app(
    fake: FakeDiscord, settings_factory: Callable[..., Settings], clock: FakeClock, delivery_failures: Any
) -> AsyncIterator[Callable[..., Awaitable[DiscordApp]]]:
    """``await make_app(**discord_overrides)`` → a started DiscordApp. Call it again after ``stop()`` to
    simulate a restart (a new process against the same database). Apps still running are stopped at the end."""
    apps: list[DiscordApp] = []

    async def make(**overrides: Any) -> DiscordApp:
        settings = settings_factory(discord=discord_settings(fake, **overrides))
        app = DiscordApp(fake, settings, clock)
        apps.append(app)
        return await app.start()

    try:
        yield make
    finally:
        for app in apps:
            if app.running:
                await app.stop()


@pytest.fixture
async def app(make_app: Callable[..., Awaitable[DiscordApp]]) -> DiscordApp:
    return await make_app()
