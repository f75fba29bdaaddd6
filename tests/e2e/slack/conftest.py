"""Fixtures for Slack end-to-end tests: the fake Slack, and a guard that fails on logged errors.

Bolt and the SDK only *log* exceptions raised in listeners, so a broken listener would otherwise pass
silently: ``fail_on_logged_errors`` turns every ERROR record from slack_bolt, slack_sdk or our packages
into a test failure. A test that provokes an error on purpose declares it with ``expect_logged_errors``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fakes.slack import FakeSlack

WATCHED_LOGGERS = ("slack_bolt", "slack_sdk", "adapters", "core", "bot", "tests")


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.allowed: list[re.Pattern[str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in WATCHED_LOGGERS:
            self.records.append(record)

    def unexpected(self) -> list[logging.LogRecord]:
        return [r for r in self.records if not any(p.search(r.getMessage()) for p in self.allowed)]


@pytest.fixture(autouse=True)
def fail_on_logged_errors() -> Iterator[_ErrorCollector]:
    collector = _ErrorCollector()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        yield collector
    finally:
        root.removeHandler(collector)
    bad = collector.unexpected()
    if bad:
        lines = [f"{r.name}: {r.getMessage()}" + (f"\n{r.exc_text or ''}" if r.exc_info else "") for r in bad]
        pytest.fail("ERROR logged during the test:\n" + "\n".join(lines), pytrace=False)


@pytest.fixture
def expect_logged_errors(fail_on_logged_errors: _ErrorCollector):
    """``expect_logged_errors(r"regex", ...)`` allows matching ERROR records (and returns them)."""

    def allow(*patterns: str) -> list[logging.LogRecord]:
        fail_on_logged_errors.allowed.extend(re.compile(p) for p in patterns)
        return fail_on_logged_errors.records

    return allow


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    try:
        yield fake
    finally:
        await fake.close()
    assert not fake.unknown, f"the app called Web API methods the fake does not know: {[c.method for c in fake.unknown]}"
    assert not fake.problems, f"the fake saw protocol problems: {fake.problems}"
