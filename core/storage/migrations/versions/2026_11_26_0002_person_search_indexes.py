"""Indexes for searching by person (requester:/assignee: by id, name or email, case-insensitively).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# name: (indexed expression, partial-index condition). Mostly-NULL columns get partial indexes, or SQLite's
# statistics count the NULLs and its planner walks the whole table instead.
INDEXES = {
    "ix_tickets_requester_id": ("requester_id", None),
    "ix_tickets_lower_requester_name": ("lower(requester_name)", None),
    "ix_tickets_lower_requester_email": ("lower(requester_email)", "requester_email IS NOT NULL"),
    "ix_tickets_assignee_id_set": ("assignee_id", "assignee_id IS NOT NULL"),
    "ix_tickets_lower_assignee_name": ("lower(assignee_name)", "assignee_name IS NOT NULL"),
}


def upgrade() -> None:
    for name, (expression, condition) in INDEXES.items():
        partial: dict[str, Any] = {}
        if condition is not None:
            partial = {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}
        op.create_index(name, "tickets", [sa.text(expression)], **partial)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="tickets")
