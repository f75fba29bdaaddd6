"""Alembic is the only schema path: the migrations build exactly the schema the code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.storage.migrate import current_revision, head_revision
from core.storage.tables import metadata


def _search_index(diff: tuple) -> bool:  # type: ignore[type-arg]
    """The full-text index is dialect-specific DDL in the migration, deliberately not in the metadata."""
    obj = diff[1]
    table = getattr(obj, "table", obj)
    return str(getattr(table, "name", "")).startswith("ticket_search")


async def test_migrated_schema_matches_the_tables(engine) -> None:  # type: ignore[no-untyped-def]
    def diff(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return [d for d in compare_metadata(context, metadata) if not _search_index(d)]

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    assert await current_revision(engine) == head_revision()
