"""Fixtures for Slack end-to-end tests: the fake Slack (the ERROR-log guard is tests/e2e/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

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
def slack_overrides() -> dict:
    """Per-test changes to the Slack settings (override this fixture, or parametrize it indirectly)."""
    return {}


async def _harness(fake: FakeSlack, desk, clock, settings_factory, overrides: dict, *, http: bool):
    import dataclasses

    from adapters.slack.app import build_slack
    from adapters.web.app import build_web_app
    from adapters.web.server import WebServer
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
