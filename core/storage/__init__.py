"""Persistence: SQLAlchemy 2 (async) tables, the unit of work, full-text search and Alembic migrations."""
