"""The ``backend`` of a platform's end-to-end tests (tests/e2e/slack, tests/e2e/discord): SQLite only."""

from __future__ import annotations

import pytest


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """This platform's end-to-end tests run on SQLite only: what they prove is the adapter against the real SDK;
    the storage they stand on is proven on both engines by the core's tests, and the tests that run both
    platforms through ``bot.bootstrap`` (tests/e2e/test_flagship.py, test_cards_agree.py) keep PostgreSQL too.
    Running every adapter test twice would double the suite's time for no new fact."""
    request.getfixturevalue("sqlite_template")
    return "sqlite"
