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
    assert not fake.unknown, (
        f"the app called Web API methods the fake does not know: {[c.method for c in fake.unknown]}"
    )
    assert not fake.problems, f"the fake saw protocol problems: {fake.problems}"


@pytest.fixture
def slack_overrides() -> dict:
    """Per-test changes to the Slack settings (override this fixture, or parametrize it indirectly)."""
    return {}


async def _harness(fake: FakeSlack, desk, clock, settings_factory, overrides: dict, *, http: bool):
    import dataclasses

    from adapters.slack import build_slack
    from adapters.web import WebServer, build_web_app
    from core.outbox import Dispatcher
    from tests.e2e.slack.harness import SlackHarness, cast, slack_settings
    from tests.fakes.slack import SlackSender

    cast(fake)
    settings = settings_factory(slack=slack_settings(fake, **overrides))
    desk = dataclasses.replace(desk, consumers=["slack"], categories=list(settings.categories))
    adapter = build_slack(settings, desk)
    dispatcher = Dispatcher(desk.engine, [adapter.notifier], clock=clock)
    server = sender = None
    if http:
        server = await WebServer(build_web_app(slack_handler=adapter.request_handler), port=0).start()
        sender = SlackSender(f"{server.url}/slack/events", fake)
        await sender.__aenter__()
    return SlackHarness(fake, desk, adapter, dispatcher, sender, server, clock)


@pytest.fixture
async def slack(fake_slack: FakeSlack, desk, clock, settings_factory, slack_overrides):
    """The whole system over HTTP: POST signed requests with ``slack.sender`` / ``slack.command`` …"""
    harness = await _harness(fake_slack, desk, clock, settings_factory, slack_overrides, http=True)
    await harness.adapter.start()
    try:
        yield harness
    finally:
        await harness.adapter.stop()
        await harness.sender.close()
        await harness.server.stop()


@pytest.fixture
async def slack_socket(fake_slack: FakeSlack, desk, clock, settings_factory):
    """The whole system over Socket Mode (no HTTP server): send envelopes with ``fake.socket_send``."""
    from tests.fakes.slack import APP_TOKEN

    harness = await _harness(
        fake_slack, desk, clock, settings_factory, {"app_token": APP_TOKEN, "signing_secret": None}, http=False
    )
    await harness.adapter.start()
    try:
        yield harness
    finally:
        await harness.adapter.stop()
