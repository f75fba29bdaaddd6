"""Fixtures for the web server's end-to-end tests (the ERROR-log guard is tests/e2e/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.settings import Settings
from core.desk import Desk
from tests.e2e.web.harness import OTHER_TOKEN, SECRET, TOKEN, Web, start_web


@pytest.fixture
def web_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Per-test configuration changes (parametrize it indirectly)."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
async def web(
    desk: Desk, settings_factory: Callable[..., Settings], web_overrides: dict[str, Any]
) -> AsyncIterator[Web]:
    values: dict[str, Any] = {"api_tokens": [TOKEN, OTHER_TOKEN], "webhook_secret": SECRET}
    values.update(web_overrides)
    running = await start_web(desk, settings_factory(**values))
    try:
        yield running
    finally:
        await running.close()
