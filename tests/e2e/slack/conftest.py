"""Fixtures for Slack end-to-end tests: the fake Slack and the running system on it (the ERROR-log guard is
tests/e2e/conftest.py).

The system is a ``bot.bootstrap.Runtime`` around the test's desk, with the Slack adapter and the web server
started as ``bot.bootstrap.start_adapters`` starts them (see ``harness.start_slack``); the test delivers the
outbox by hand (``SlackHarness.settle``) because its clock is frozen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.e2e.sqlite_only import backend  # noqa: F401  (this folder's tests run on SQLite only)
from tests.fakes.slack import FakeSlack


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
def slack_overrides() -> dict[str, Any]:
    """Per-test changes to the Slack section (override this fixture, or parametrize it indirectly)."""
    return {}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Per-test changes to the rest of the configuration, e.g. ``{"categories": ["Tech Support", "Billing"]}``."""
    return {}


async def _harness(fake: FakeSlack, desk, clock, settings_factory, slack: dict, others: dict, *, http: bool):  # type: ignore[no-untyped-def]
    from tests.e2e.slack.harness import SlackHarness, cast, runtime_around, slack_settings, start_slack
    from tests.fakes.slack import SlackSender

    cast(fake)
    settings = settings_factory(slack=slack_settings(fake, **slack), **others)
    runtime = runtime_around(desk, settings)
    adapter = await start_slack(runtime)
    sender = None
    if http:
        sender = SlackSender(f"{runtime.web_url}/slack/events", fake)
        await sender.__aenter__()
    return SlackHarness(fake, runtime, adapter, sender, clock)


@pytest.fixture
async def slack(fake_slack: FakeSlack, desk, clock, settings_factory, slack_overrides, settings_overrides):  # type: ignore[no-untyped-def]
    """The whole system over HTTP: POST signed requests with ``slack.sender`` / ``slack.command`` …"""
    harness = await _harness(fake_slack, desk, clock, settings_factory, slack_overrides, settings_overrides, http=True)
    try:
        yield harness
    finally:
        assert harness.sender is not None
        await harness.sender.close()
        await harness.runtime.close()


@pytest.fixture
async def slack_socket(fake_slack: FakeSlack, desk, clock, settings_factory):  # type: ignore[no-untyped-def]
    """The whole system over Socket Mode (Slack's requests come over the socket): ``fake.socket_send``."""
    from tests.fakes.slack import APP_TOKEN

    overrides = {"app_token": APP_TOKEN, "signing_secret": None}
    harness = await _harness(fake_slack, desk, clock, settings_factory, overrides, {}, http=False)
    try:
        yield harness
    finally:
        await harness.runtime.close()
