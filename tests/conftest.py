"""Fixtures shared by every test: a migrated database (SQLite, and PostgreSQL when configured), a desk.

SQLite: the schema is migrated once per session into a template file that each test copies (fast and
isolated). PostgreSQL (``TICKETBOT_TEST_DATABASE_URL``): the schema is rebuilt once per session with
Alembic, and each test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.settings import Settings
from core.desk import Desk
from core.ids import TicketIdGenerator
from core.storage.database import SqlDatabase
from core.storage.engine import build_engine
from core.storage.migrate import upgrade
from tests.fakes.clock import FakeClock

pytest_plugins = ["tests.e2e.both_platforms"]  # fixtures `fakes` and `service`: both platforms at once

PG_URL = os.environ.get("TICKETBOT_TEST_DATABASE_URL")
TABLES = (
    "timers",
    "rule_cooldowns",
    "webhook_signatures",
    "keyed_tickets",
    "deliveries",
    "outbox",
    "idempotency_keys",
    "links",
    "history",
    "messages",
    "ticket_search",
    "ticket_stats",
    "tickets",
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ticketbot.db"

    async def migrate() -> None:
        engine = build_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> str:
    assert PG_URL

    async def rebuild() -> None:
        engine = build_engine(PG_URL)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(rebuild())
    return PG_URL


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not PG_URL:
        pytest.skip("PostgreSQL: set TICKETBOT_TEST_DATABASE_URL to run")
    # the session's schema is built here, outside any event loop (its fixtures use asyncio.run)
    request.getfixturevalue("postgres_ready" if request.param == "postgres" else "sqlite_template")
    return str(request.param)


@pytest.fixture
async def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database for this test."""
    if backend == "postgres":
        url = str(PG_URL)
        engine = build_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        await engine.dispose()
        return url
    template = request.getfixturevalue("sqlite_template")
    path = tmp_path / "ticketbot.db"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[Any]:
    eng = build_engine(db_url)
    yield eng
    await eng.dispose()


@pytest.fixture
def desk(engine: Any, clock: FakeClock) -> Desk:
    return Desk(db=SqlDatabase(engine), clock=clock, ids=TicketIdGenerator(random.Random(1234)))


@pytest.fixture
def settings_factory(db_url: str) -> Callable[..., Settings]:
    """``settings_factory(slack={...}, discord={...})`` → Settings pointing at this test's database."""

    def make(**overrides: Any) -> Settings:
        overrides.setdefault("database_url", db_url)
        overrides.setdefault("http", {"port": 0})  # a free port: tests never collide on 8080
        return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]

    return make
