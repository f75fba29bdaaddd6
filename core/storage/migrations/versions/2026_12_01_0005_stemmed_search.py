"""Search finds word forms (stemming) and prefixes fast; indexes for open and pending tickets and created keys.

The full-text index is rebuilt with a stemming tokenizer: FTS5 ``porter unicode61`` with prefix indexes for
two to four characters, or PostgreSQL's snowball English stemmer without stop words (configuration
``ticketbot_english``, so words such as "not" or "or" stay searchable as they are on SQLite). SQLite copies
the indexed text from the old table; PostgreSQL keeps no text and rebuilds each document from the ticket's
subject and messages, exactly as the desk writes it (public messages, then internal notes, in order).

Revision ID: 0005_stemmed_search
Revises: 0004_digest_indexes
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_stemmed_search"
down_revision = "0004_digest_indexes"
branch_labels = None
depends_on = None

CONFIG = "ticketbot_english"
OLD_FTS5 = "tokenize = 'unicode61 remove_diacritics 2'"
NEW_FTS5 = "tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3 4'"
# Newest-first walks over the tickets in one status, with the columns filters most often test.
STATUS_INDEXES = {"ix_tickets_open_pk": "Open", "ix_tickets_pending_pk": "Pending"}


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(f"CREATE TEXT SEARCH DICTIONARY {CONFIG}_stem (TEMPLATE = snowball, Language = english)")
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = english)")
        op.execute(f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} ALTER MAPPING REPLACE english_stem WITH {CONFIG}_stem")
        _rebuild_postgres(CONFIG)
    else:
        _rebuild_fts5(NEW_FTS5)
    for name, status in STATUS_INDEXES.items():
        where = sa.text(f"status = '{status}'")
        op.create_index(name, "tickets", ["pk", "priority", "category"], sqlite_where=where, postgresql_where=where)
    op.drop_index("ix_tickets_created_at", table_name="tickets")
    op.create_index("ix_tickets_created_at_pk", "tickets", ["created_at", "pk"])
    if not postgres:
        op.execute("ANALYZE tickets")  # SQLite's planner picks the new indexes only once it has their statistics


def downgrade() -> None:
    op.drop_index("ix_tickets_created_at_pk", table_name="tickets")
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    for name in STATUS_INDEXES:
        op.drop_index(name, table_name="tickets")
    if op.get_bind().dialect.name == "postgresql":
        _rebuild_postgres("simple")
        op.execute(f"DROP TEXT SEARCH CONFIGURATION {CONFIG}")
        op.execute(f"DROP TEXT SEARCH DICTIONARY {CONFIG}_stem")
    else:
        _rebuild_fts5(OLD_FTS5)


def _rebuild_fts5(options: str) -> None:
    op.execute(f"CREATE VIRTUAL TABLE ticket_search_rebuilt USING fts5(subject, body, notes, {options})")
    op.execute(
        "INSERT INTO ticket_search_rebuilt (rowid, subject, body, notes) "
        "SELECT rowid, subject, body, notes FROM ticket_search"
    )
    op.execute("DROP TABLE ticket_search")
    op.execute("ALTER TABLE ticket_search_rebuilt RENAME TO ticket_search")
    op.execute("INSERT INTO ticket_search (ticket_search) VALUES ('optimize')")  # one segment: fewer seeks


def _rebuild_postgres(config: str) -> None:
    """Recompute every document with ``config`` (indexes dropped meanwhile: one bulk build is faster)."""
    op.execute("DROP INDEX ix_ticket_search_doc")
    op.execute("DROP INDEX ix_ticket_search_notes")
    op.execute(
        "CREATE TEMPORARY TABLE ticket_search_rebuilt ON COMMIT DROP AS "
        "SELECT t.pk, "
        f" setweight(to_tsvector('{config}', t.subject), 'A') || to_tsvector('{config}', coalesce(b.body, '')) AS doc,"
        f" to_tsvector('{config}', coalesce(n.body, '')) AS notes "
        "FROM tickets t "
        "LEFT JOIN (SELECT ticket_id, string_agg(body, E'\\n' ORDER BY id) AS body FROM messages "
        "           WHERE NOT internal GROUP BY ticket_id) b ON b.ticket_id = t.id "
        "LEFT JOIN (SELECT ticket_id, string_agg(body, E'\\n' ORDER BY id) AS body FROM messages "
        "           WHERE internal GROUP BY ticket_id) n ON n.ticket_id = t.id"
    )
    op.execute("TRUNCATE ticket_search")
    op.execute("INSERT INTO ticket_search (pk, doc, notes) SELECT pk, doc, notes FROM ticket_search_rebuilt")
    op.execute("CREATE INDEX ix_ticket_search_doc ON ticket_search USING GIN (doc)")
    op.execute("CREATE INDEX ix_ticket_search_notes ON ticket_search USING GIN (notes)")
    op.execute("ANALYZE ticket_search")
