"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 15:28:05.484186
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("ticket_id", sa.String(length=12), nullable=True),
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("consumer", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=12), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_consumer_available_at"), ["consumer", "available_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outbox_consumer_ticket_id_id"), ["consumer", "ticket_id", "id"], unique=False
        )

    op.create_table(
        "ticket_stats",
        sa.Column("category", sa.String(length=50), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("n_open", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), server_default="0", nullable=False),
        sa.Column(
            "n_pending",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "n_closed",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "frt_sum",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column("frt_n", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), server_default="0", nullable=False),
        sa.Column(
            "res_sum",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column("res_n", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), server_default="0", nullable=False),
        sa.Column(
            "sla_met",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column("sla_n", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), server_default="0", nullable=False),
        sa.Column(
            "csat_sum",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default="0",
            nullable=False,
        ),
        sa.Column("csat_n", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("category", "priority", name=op.f("pk_ticket_stats")),
    )
    op.create_table(
        "tickets",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=12), nullable=False),
        sa.Column("subject", sa.String(length=150), nullable=False),
        sa.Column("category", sa.String(length=50), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requester_platform", sa.String(length=16), nullable=False),
        sa.Column("requester_id", sa.String(length=64), nullable=False),
        sa.Column("requester_name", sa.String(length=120), server_default="", nullable=False),
        sa.Column("requester_email", sa.String(length=254), nullable=True),
        sa.Column("assignee_platform", sa.String(length=16), nullable=True),
        sa.Column("assignee_id", sa.String(length=64), nullable=True),
        sa.Column("assignee_name", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_breached", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("reopened_from", sa.String(length=12), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_tickets")),
        sa.UniqueConstraint("id", name=op.f("uq_tickets_id")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_assignee_id_status"), ["assignee_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tickets_requester_platform_requester_id_status"),
            ["requester_platform", "requester_id", "status"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_tickets_sla_due_at"), ["sla_due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_status_created_at"), ["status", "created_at"], unique=False)

    op.create_table(
        "history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=12), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("old", sa.String(length=200), nullable=True),
        sa.Column("new", sa.String(length=200), nullable=True),
        sa.Column("actor_platform", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_name", sa.String(length=120), server_default="", nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_history_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
    )
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_ticket_id_id"), ["ticket_id", "id"], unique=False)

    op.create_table(
        "links",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=12), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=True),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_links_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
        sa.UniqueConstraint("ticket_id", "platform", "kind", name=op.f("uq_links_ticket_id_platform_kind")),
    )
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_links_platform_channel_id_thread_id"),
            ["platform", "channel_id", "thread_id"],
            unique=False,
        )

    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=12), nullable=False),
        sa.Column("author_platform", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("author_name", sa.String(length=120), server_default="", nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("internal", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_messages_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_ticket_id_id"), ["ticket_id", "id"], unique=False)

    _create_search_index()


def _create_search_index() -> None:
    """One full-text document per ticket (key = tickets.pk): subject, public messages, internal notes."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE ticket_search ("
            " pk BIGINT PRIMARY KEY REFERENCES tickets (pk) ON DELETE CASCADE,"
            " doc TSVECTOR NOT NULL,"
            " notes TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_ticket_search_doc ON ticket_search USING GIN (doc)")
        op.execute("CREATE INDEX ix_ticket_search_notes ON ticket_search USING GIN (notes)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE ticket_search USING fts5("
            "subject, body, notes, tokenize = 'unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS ticket_search")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_ticket_id_id"))

    op.drop_table("messages")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_links_platform_channel_id_thread_id"))

    op.drop_table("links")
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_ticket_id_id"))

    op.drop_table("history")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_status_created_at"))
        batch_op.drop_index(batch_op.f("ix_tickets_sla_due_at"))
        batch_op.drop_index(batch_op.f("ix_tickets_requester_platform_requester_id_status"))
        batch_op.drop_index(batch_op.f("ix_tickets_created_at"))
        batch_op.drop_index(batch_op.f("ix_tickets_closed_at"))
        batch_op.drop_index(batch_op.f("ix_tickets_assignee_id_status"))

    op.drop_table("tickets")
    op.drop_table("ticket_stats")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_consumer_available_at"))

    op.drop_table("outbox")
    op.drop_table("idempotency_keys")
