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
