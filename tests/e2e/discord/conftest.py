"""Fixtures for end-to-end tests of the Discord adapter: a fake Discord and real discord.py bots on it.

The autouse fixture fails a test that logged an ERROR from discord.py or our packages, or that made the
fake see an unknown route or a broken Discord rule (late/double interaction response).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fakes.discord import FakeDiscord

WATCHED_LOGGERS = ("discord", "adapters", "core", "bot")


class _ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in WATCHED_LOGGERS:
            self.records.append(record)


@pytest.fixture(autouse=True)
def fail_on_discord_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    handler = _ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
    problems = [
        f"ERROR logged by {r.name}: {r.getMessage()}" + (f" ({r.exc_info[1]!r})" if r.exc_info else "")
        for r in handler.records
    ]
    for fake in _fakes_of(request):
        problems += fake.problems()
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
