"""Automatic tickets: keyword-rule cooldowns, seen webhook signatures, the ticket each alert key or adapter is on.

Also two indexes: idempotency keys by age (they are honoured for 24 hours, then purged) and the history's
closings by time (the closed-tickets counter of /metrics reads them without walking the whole history).

Revision ID: 0007_automation
Revises: 0006_timers
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_automation"
down_revision = "0006_timers"
branch_labels = None
depends_on = None

CLOSINGS = "field = 'status' AND new = 'Closed'"


def upgrade() -> None:
    op.create_table(
        "rule_cooldowns",
        sa.Column("person", sa.String(100), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("person", name="pk_rule_cooldowns"),
    )
    op.create_index("ix_rule_cooldowns_until", "rule_cooldowns", ["until"])
    op.create_table(
        "webhook_signatures",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_webhook_signatures"),
    )
    op.create_index("ix_webhook_signatures_seen_at", "webhook_signatures", ["seen_at"])
    op.create_table(
        "keyed_tickets",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("ticket_id", sa.String(12), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_keyed_tickets"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    where = sa.text(CLOSINGS)
    op.create_index("ix_history_closed_at", "history", ["at"], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index("ix_history_closed_at", table_name="history")
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("keyed_tickets")
    op.drop_index("ix_webhook_signatures_seen_at", table_name="webhook_signatures")
    op.drop_table("webhook_signatures")
    op.drop_index("ix_rule_cooldowns_until", table_name="rule_cooldowns")
    op.drop_table("rule_cooldowns")
