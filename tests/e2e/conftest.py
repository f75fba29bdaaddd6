"""The one guard of every end-to-end test: an ERROR logged by an SDK or by our code fails the test.

Bolt, slack_sdk and discord.py only *log* exceptions raised in listeners and views, so a broken handler would
otherwise pass silently. A test that provokes an error on purpose declares it with ``expect_logged_errors``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator

import pytest

WATCHED_LOGGERS = ("slack_bolt", "slack_sdk", "discord", "uvicorn", "aiosmtplib", "adapters", "core", "bot", "tests")


class ErrorRecords(logging.Handler):
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
def fail_on_logged_errors() -> Iterator[ErrorRecords]:
    collector = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        yield collector
    finally:
        root.removeHandler(collector)
    bad = collector.unexpected()
    if bad:
        lines = [
            f"{r.name}: {r.getMessage()}" + (f" ({r.exc_info[1]!r})" if r.exc_info and r.exc_info[1] else "")
            for r in bad
        ]
        pytest.fail("ERROR logged during the test:\n  " + "\n  ".join(lines), pytrace=False)


@pytest.fixture
def expect_logged_errors(fail_on_logged_errors: ErrorRecords) -> Callable[..., list[logging.LogRecord]]:
    """``expect_logged_errors(r"regex", ...)`` allows matching ERROR records (and returns them)."""

    def allow(*patterns: str) -> list[logging.LogRecord]:
        fail_on_logged_errors.allowed.extend(re.compile(p) for p in patterns)
        return fail_on_logged_errors.records

    return allow
