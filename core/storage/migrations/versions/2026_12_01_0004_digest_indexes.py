"""Indexes for the daily digest: first responses and ratings given in a time range.

The digest counts first responses and their SLA outcome by the day they were given, and ratings by the day
they were given; without these indexes both would walk a whole table. The first-response index carries the
columns the digest reads (priority, SLA state, due and creation times) so 14 days of them are counted from
the index alone, without a table lookup per ticket. The oldest waiting tickets come first in an index of
the waiting tickets only: with ``status = … ORDER BY created_at`` PostgreSQL walks ``ix_tickets_created_at``
from the oldest ticket, skipping closed ones, which reads most of it in a real queue where old tickets are
closed. All three are partial: tickets not answered yet, closed tickets and history rows that are not ratings
are left out.

Revision ID: 0004_digest_indexes
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_digest_indexes"
down_revision = "0003"
branch_labels = None
depends_on = None

# name: (table, columns, partial-index condition)
INDEXES = {
    "ix_tickets_first_response_at": (
        "tickets",
        ["first_response_at", "priority", "sla_breached", "sla_due_at", "created_at"],
        "first_response_at IS NOT NULL",
    ),
    "ix_tickets_waiting_created_at": ("tickets", ["created_at"], "status <> 'Closed'"),
    "ix_history_rating_at": ("history", ["at"], "field = 'rating'"),
}


def upgrade() -> None:
    for name, (table, columns, condition) in INDEXES.items():
        where = sa.text(condition)
        op.create_index(name, table, columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, (table, _columns, _condition) in INDEXES.items():
        op.drop_index(name, table_name=table)
