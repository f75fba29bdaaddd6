"""Timers as rows; dead letters in the outbox.

``timers``: one row per pending timer (SLA warning, breach and its reminders, stale reminder and auto-close,
the daily digest), created and deleted in the transactions that cause, cancel or fire them (``core.timers``).
Tickets waiting when this migration runs get their breach timer when their response is not yet overdue
(their warning instant depends on settings a migration does not read; tickets overdue already are shown as
overdue in every view, without an alert for each at upgrade time). Pending tickets are measured for the
stale reminder from their next Pending.

``outbox``: ``first_failed_at`` and ``dead_at`` (a row failing for ``TICKETBOT_OUTBOX__DEAD_AFTER`` is kept as a
dead letter); the dispatcher's two indexes cover live rows only.

Revision ID: 0006_timers
Revises: 0005_stemmed_search
Create Date: 2026-12-01
"""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006_timers"
down_revision = "0005_stemmed_search"
branch_labels = None
depends_on = None

LIVE = "dead_at IS NULL"
DEAD = "dead_at IS NOT NULL"
# what the dispatcher reads: the live rows due for a consumer, and each ticket's first live row
LIVE_INDEXES = {
    "ix_outbox_live_consumer_available_at": ["consumer", "available_at"],
    "ix_outbox_live_consumer_ticket_id_id": ["consumer", "ticket_id", "id"],
}


def upgrade() -> None:
    op.create_table(
        "timers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.String(length=12), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("repeat", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timers")),
        sa.UniqueConstraint("ticket_id", "kind", "due_at", name=op.f("uq_timers_ticket_id_kind_due_at")),
    )
    op.create_index(op.f("ix_timers_due_at"), "timers", ["due_at"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index("ix_outbox_consumer_available_at")
        batch_op.drop_index("ix_outbox_consumer_ticket_id_id")
    live, dead = sa.text(LIVE), sa.text(DEAD)
    for name, columns in LIVE_INDEXES.items():
        op.create_index(name, "outbox", columns, sqlite_where=live, postgresql_where=live)
    op.create_index("ix_outbox_dead_at", "outbox", ["dead_at"], sqlite_where=dead, postgresql_where=dead)
    _backfill_breach_timers()


def _backfill_breach_timers() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    # SQLite keeps naive UTC text in SQLAlchemy's format (see core.storage.types.UtcDateTime)
    at: Any = now.strftime("%Y-%m-%d %H:%M:%S.%f") if bind.dialect.name == "sqlite" else now
    bind.execute(
        sa.text(
            "INSERT INTO timers (kind, ticket_id, due_at, since, repeat, created_at) "
            "SELECT 'sla_breach', id, sla_due_at, waiting_since, 0, :now FROM tickets "
            "WHERE status = 'Open' AND sla_due_at IS NOT NULL AND sla_due_at > :now"
        ),
        {"now": at},
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_dead_at", table_name="outbox")
    for name in LIVE_INDEXES:
        op.drop_index(name, table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_consumer_available_at", ["consumer", "available_at"], unique=False)
        batch_op.create_index("ix_outbox_consumer_ticket_id_id", ["consumer", "ticket_id", "id"], unique=False)
        batch_op.drop_column("dead_at")
        batch_op.drop_column("first_failed_at")
    op.drop_index(op.f("ix_timers_due_at"), table_name="timers")
    op.drop_table("timers")
