"""Alembic is the only schema path: the migrations build exactly the schema the code declares."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.storage.migrate import current_revision, head_revision
from core.storage.tables import metadata


def _search_index(diff: tuple) -> bool:  # type: ignore[type-arg]
    """The full-text index is dialect-specific DDL in the migration, deliberately not in the metadata."""
    obj = diff[1]
    table = getattr(obj, "table", obj)
    return str(getattr(table, "name", "")).startswith("ticket_search")


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
async def test_migrated_schema_matches_the_tables(engine) -> None:  # type: ignore[no-untyped-def]
    def diff(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return [d for d in compare_metadata(context, metadata) if not _search_index(d)]

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    assert await current_revision(engine) == head_revision()


async def test_every_declared_index_exists(engine) -> None:  # type: ignore[no-untyped-def]
    """SQLite cannot reflect expression indexes, so the comparison above skips them: check their names."""
    from sqlalchemy import inspect

    def names(connection):  # type: ignore[no-untyped-def]
        return {ix["name"] for table in metadata.tables for ix in inspect(connection).get_indexes(table)}

    async with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            from sqlalchemy import text

            found = {r[0] for r in await conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))}
        else:
            found = await conn.run_sync(names)
    declared = {ix.name for table in metadata.tables.values() for ix in table.indexes}
    assert declared <= found, declared - found


async def test_migration_0004_rebuilds_the_search_index_with_stems(backend: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A database indexed before stemming finds word forms after the upgrade, with notes still staff-only."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    from core.desk import Desk
    from core.model import Actor
    from core.storage.database import SqlDatabase
    from core.storage.engine import build_engine
    from core.storage.migrate import upgrade
    from core.storage.tables import messages, tickets
    from tests.conftest import PG_URL

    url = str(PG_URL) if backend == "postgres" else f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    engine = build_engine(url)
    try:
        if backend == "postgres":
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
        await upgrade(engine, "0002")
        now = datetime(2026, 11, 20, tzinfo=UTC)
        ann = {"requester_platform": "discord", "requester_id": "111", "requester_name": "Ann"}
        async with engine.begin() as conn:  # rows as the desk wrote them before 0004
            await conn.execute(tickets.insert(), [
                {"pk": 1, "id": "TKT-B3X9C", "subject": "Logins fail", "category": "Technical", "priority": "High",
                 "status": "Open", "created_at": now, "updated_at": now, **ann},
            ])  # fmt: skip
            await conn.execute(messages.insert(), [
                {"ticket_id": "TKT-B3X9C", "author_platform": "discord", "author_id": "111", "role": "requester",
                 "body": body, "internal": internal, "attachments": [], "created_at": now}
                for body, internal in (("Dashboards crashed", False), ("refunded already", True))
            ])  # fmt: skip
            if backend == "postgres":
                await conn.execute(text(
                    "INSERT INTO ticket_search VALUES (1, setweight(to_tsvector('simple', 'Logins fail'), 'A')"
                    " || to_tsvector('simple', 'Dashboards crashed'), to_tsvector('simple', 'refunded already'))"
                ))  # fmt: skip
            else:
                await conn.execute(text(
                    "INSERT INTO ticket_search (rowid, subject, body, notes)"
                    " VALUES (1, 'Logins fail', 'Dashboards crashed', 'refunded already')"
                ))  # fmt: skip
        await upgrade(engine)
        desk = Desk(db=SqlDatabase(engine))
        staff = Actor(platform="slack", user_id="S1", name="Sam", is_staff=True)
        for query in ("login", "dashboard crash", "log*", '"dashboard crashes"', "refund"):
            assert [t.id for t in (await desk.search(query=query, actor=staff)).items] == ["TKT-B3X9C"], query
        assert (await desk.search(query="refund", actor=Actor(platform="discord", user_id="111"))).total == 0
    finally:
        await engine.dispose()


async def test_migration_0006_gives_waiting_tickets_their_breach_timer(backend: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Tickets waiting on support when the timers arrive get their breach alert (those already overdue are shown
    as overdue, without an alert each at upgrade time); queued notifications keep flowing."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from core.storage.database import SqlDatabase
    from core.storage.engine import build_engine
    from core.storage.migrate import upgrade
    from core.storage.tables import outbox, tickets
    from tests.conftest import PG_URL

    url = str(PG_URL) if backend == "postgres" else f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    engine = build_engine(url)
    try:
        if backend == "postgres":
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
        await upgrade(engine, "0005_stemmed_search")
        now = datetime.now(UTC)
        base = {"category": "Technical", "priority": "Urgent", "requester_platform": "discord", "requester_id": "1",
                "created_at": now, "updated_at": now}  # fmt: skip
        async with engine.begin() as conn:
            await conn.execute(tickets.insert(), [
                {"id": "TKT-BBBBB", "subject": "due soon", "status": "Open", "waiting_since": now,
                 "sla_due_at": now + timedelta(hours=1), **base},
                {"id": "TKT-CCCCC", "subject": "overdue", "status": "Open", "waiting_since": now - timedelta(hours=3),
                 "sla_due_at": now - timedelta(hours=2), **base},
                {"id": "TKT-DDDDD", "subject": "answered", "status": "Pending", "waiting_since": None,
                 "sla_due_at": None, **base},
            ])  # fmt: skip
            await conn.execute(outbox.insert(), [
                {"consumer": "slack", "event": "ticket_opened", "ticket_id": "TKT-BBBBB", "created_at": now,
                 "available_at": now, "attempts": 0,
                 "payload": {"ticket_id": "TKT-BBBBB", "actor": {"platform": "discord", "user_id": "1"}}},
            ])  # fmt: skip
        await upgrade(engine)
        db = SqlDatabase(engine)
        timers = await db.read(lambda uow: [uow.timers.of_ticket(t) for t in ("TKT-BBBBB", "TKT-CCCCC", "TKT-DDDDD")])
        assert [[(t.kind.value, t.due_at, t.since) for t in found] for found in timers] == [
            [("sla_breach", now + timedelta(hours=1), now)],
            [],
            [],
        ]
        claimed = await db.write(lambda uow: uow.outbox.claim("slack", now, timedelta(minutes=2), 10))
        assert [(r.event, r.ticket_id, r.dead_at) for r in claimed] == [("ticket_opened", "TKT-BBBBB", None)]
    finally:
        await engine.dispose()
