"""The schema as SQLAlchemy Core tables. Alembic migrations create it; a test checks they agree."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

from core.storage.types import BigIntKey, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _not_null(column: str) -> dict[str, Any]:
    condition = text(f"{column} IS NOT NULL")
    return {"sqlite_where": condition, "postgresql_where": condition}


# Tickets still waiting (Open or Pending). A literal, written the same in the partial index and in the queries
# that use it: SQLite and PostgreSQL only match a partial index whose condition the query states. Not
# ``status IN ('Open', 'Pending')``: that would also match ix_tickets_status_created_at, which SQLite without
# statistics prefers, reading every waiting ticket and sorting them.
WAITING = text("status <> 'Closed'")

RATING_ROWS = text("field = 'rating'")  # history rows that record a rating (partial index, migration 0004)
LIVE = text("dead_at IS NULL")  # outbox rows still being delivered (partial index, migration 0006)


def _status_is(status: str) -> dict[str, Any]:
    condition = text(f"status = '{status}'")
    return {"sqlite_where": condition, "postgresql_where": condition}


ID = String(12)
PLATFORM = String(16)
USER_ID = String(64)
NAME = String(120)

tickets = Table(
    "tickets",
    metadata,
    # ``pk`` is a stable integer for the full-text index (SQLite's implicit rowid may change on VACUUM).
    Column("pk", BigIntKey, primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("subject", String(150), nullable=False),
    Column("category", String(50), nullable=False),
    Column("priority", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("requester_platform", PLATFORM, nullable=False),
    Column("requester_id", USER_ID, nullable=False),
    Column("requester_name", NAME, nullable=False, server_default=""),
    Column("requester_email", String(254)),
    Column("assignee_platform", PLATFORM),
    Column("assignee_id", USER_ID),
    Column("assignee_name", NAME),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("first_response_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    Column("reopened_at", UtcDateTime),
    Column("waiting_since", UtcDateTime),
    Column("sla_due_at", UtcDateTime),
    Column("sla_breached", Boolean, nullable=False, server_default=text("false")),
    Column("rating", Integer),
    Column("reopened_from", ID),
    Column("close_reason", String(500)),
    Column("version", Integer, nullable=False, server_default="1"),
    Index(None, "status", "created_at"),
    Index(None, "sla_due_at"),
    Index(None, "requester_platform", "requester_id", "status"),
    Index(None, "assignee_id", "status"),
    Index(None, "created_at", "pk"),  # index-only scans of a created: range's keys (fulltext.key_range_statement)
    Index(None, "closed_at"),
    # Search by person (requester:/assignee: match an id, a name or an email, case-insensitively). Columns
    # that are mostly NULL get partial indexes: SQLite's statistics would otherwise count the NULLs and make
    # the planner walk the whole table instead.
    Index("ix_tickets_requester_id", "requester_id"),
    Index("ix_tickets_lower_requester_name", func.lower(text("requester_name"))),
    Index("ix_tickets_lower_requester_email", func.lower(text("requester_email")), **_not_null("requester_email")),
    Index("ix_tickets_assignee_id_set", "assignee_id", **_not_null("assignee_id")),
    Index("ix_tickets_lower_assignee_name", func.lower(text("assignee_name")), **_not_null("assignee_name")),
    # The digest: first responses given in a time range, with what it reads of them (migration 0004).
    Index(
        "ix_tickets_first_response_at",
        "first_response_at",
        "priority",
        "sla_breached",
        "sla_due_at",
        "created_at",
        **_not_null("first_response_at"),
    ),  # fmt: skip
    # The oldest waiting tickets (digest, statistics), without walking past the closed ones (migration 0004).
    Index("ix_tickets_waiting_created_at", "created_at", sqlite_where=WAITING, postgresql_where=WAITING),
    # Newest-first walks over open or pending tickets (search with status:open and words, see fulltext.py).
    Index("ix_tickets_open_pk", "pk", "priority", "category", **_status_is("Open")),
    Index("ix_tickets_pending_pk", "pk", "priority", "category", **_status_is("Pending")),
)

messages = Table(
    "messages",
    metadata,
    Column("id", BigIntKey, primary_key=True, autoincrement=True),
    Column("ticket_id", ID, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("author_platform", PLATFORM, nullable=False),
    Column("author_id", USER_ID, nullable=False),
    Column("author_name", NAME, nullable=False, server_default=""),
    Column("role", String(10), nullable=False),
    Column("body", Text, nullable=False),
    Column("internal", Boolean, nullable=False, server_default=text("false")),
    Column("attachments", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "ticket_id", "id"),
)

history = Table(
    "history",
    metadata,
    Column("id", BigIntKey, primary_key=True, autoincrement=True),
    Column("ticket_id", ID, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("field", String(20), nullable=False),
    Column("old", String(200)),
    Column("new", String(200)),
    Column("actor_platform", PLATFORM, nullable=False),
    Column("actor_id", USER_ID, nullable=False),
    Column("actor_name", NAME, nullable=False, server_default=""),
    Column("at", UtcDateTime, nullable=False),
    Index(None, "ticket_id", "id"),
    # The digest: ratings given in a time range (there is no rated_at column; the history row is the record).
    Index("ix_history_rating_at", "at", sqlite_where=RATING_ROWS, postgresql_where=RATING_ROWS),
)

links = Table(
    "links",
    metadata,
    Column("id", BigIntKey, primary_key=True, autoincrement=True),
    Column("ticket_id", ID, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("platform", PLATFORM, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("thread_id", String(64)),
    Column("message_id", String(64)),
    UniqueConstraint("ticket_id", "platform", "kind"),
    Index(None, "platform", "channel_id", "thread_id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("ticket_id", ID),
    Column("message_id", BigIntKey),
    Column("created_at", UtcDateTime, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigIntKey, primary_key=True, autoincrement=True),
    Column("consumer", String(32), nullable=False),
    Column("event", String(32), nullable=False),
    Column("ticket_id", ID, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("available_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("first_failed_at", UtcDateTime),  # when delivery first failed (dead letters count from here)
    Column("dead_at", UtcDateTime),  # a dead letter: no longer retried until `ticketbot outbox retry`
    # What the dispatcher claims: the live rows only (a pile of dead letters never slows a claim), migration 0006.
    Index("ix_outbox_live_consumer_available_at", "consumer", "available_at", sqlite_where=LIVE, postgresql_where=LIVE),
    Index(
        "ix_outbox_live_consumer_ticket_id_id", "consumer", "ticket_id", "id", sqlite_where=LIVE, postgresql_where=LIVE
    ),
    Index("ix_outbox_dead_at", "dead_at", **_not_null("dead_at")),
)

# Timers (core.timers): one row per thing that happens because time passed — an SLA warning or breach, a stale
# reminder or auto-close of a ticket, the daily digest (ticket_id "digest"). A row is created and deleted in the
# transaction of the change that causes or cancels it, and deleted in the transaction that turns it into events:
# a row that exists is pending, so a restart loses none and fires none twice (migration 0006).
timers = Table(
    "timers",
    metadata,
    Column("id", BigIntKey, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("ticket_id", ID, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("since", UtcDateTime),  # when the measured clock started (SLA: waiting_since; stale: pending since)
    Column("repeat", Integer, nullable=False, server_default="0"),  # SLA breach reminders: 0 the breach, 1, 2…
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "due_at"),
    # a ticket's timers (cancelled with a change); one digest per instant even when replicas start together
    UniqueConstraint("ticket_id", "kind", "due_at"),
)

# One row per non-idempotent platform step (core.delivery): claimed with a lease, kept with its result once
# done, so a retried or duplicated event never repeats the step.
deliveries = Table(
    "deliveries",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("step", String(64), primary_key=True),
    Column("done", Boolean, nullable=False, server_default=text("false")),
    Column("result", String(200)),
    Column("lease_until", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "created_at"),
)

# All-time statistics, one row per (category, priority): every change adds the difference between the
# ticket's contribution after and before, in the same transaction (see core.stats.contribution).
ticket_stats = Table(
    "ticket_stats",
    metadata,
    Column("category", String(50), primary_key=True),
    Column("priority", String(10), primary_key=True),
    Column("n_open", BigIntKey, nullable=False, server_default="0"),
    Column("n_pending", BigIntKey, nullable=False, server_default="0"),
    Column("n_closed", BigIntKey, nullable=False, server_default="0"),
    Column("frt_sum", BigIntKey, nullable=False, server_default="0"),
    Column("frt_n", BigIntKey, nullable=False, server_default="0"),
    Column("res_sum", BigIntKey, nullable=False, server_default="0"),
    Column("res_n", BigIntKey, nullable=False, server_default="0"),
    Column("sla_met", BigIntKey, nullable=False, server_default="0"),
    Column("sla_n", BigIntKey, nullable=False, server_default="0"),
    Column("csat_sum", BigIntKey, nullable=False, server_default="0"),
    Column("csat_n", BigIntKey, nullable=False, server_default="0"),
)

STAT_COLUMNS = (
    "n_open", "n_pending", "n_closed", "frt_sum", "frt_n", "res_sum", "res_n",
    "sla_met", "sla_n", "csat_sum", "csat_n",
)  # fmt: skip

# ---------------------------------------------------------------------------------------- automation (0007)
# One row per person in a keyword rule's cooldown: ``until`` when they may get another automatic ticket;
# ``claim`` is the message that claimed it, so a retried delivery of that message passes again.
rule_cooldowns = Table(
    "rule_cooldowns",
    metadata,
    Column("person", String(100), primary_key=True),
    Column("until", UtcDateTime, nullable=False),
    Column("claim", String(200), nullable=False),
    Index(None, "until"),
)

# Signatures of webhook deliveries already accepted (replay protection); kept a little longer than the
# 5-minute window in which a timestamp is accepted at all.
webhook_signatures = Table(
    "webhook_signatures",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("seen_at", UtcDateTime, nullable=False),
    Index(None, "seen_at"),
)

# A key (an alert group, an adapter) and the ticket it is on: while that ticket is open, the key adds to it
# instead of opening another. ``generation`` counts the tickets the key has had (part of their idempotency key).
keyed_tickets = Table(
    "keyed_tickets",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("ticket_id", ID, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Idempotency keys are honoured for 24 hours; older ones are purged by created_at.
Index("ix_idempotency_keys_created_at", idempotency_keys.c.created_at)
# Closings, counted for /metrics without walking the whole history.
CLOSINGS = text("field = 'status' AND new = 'Closed'")
Index("ix_history_closed_at", history.c.at, sqlite_where=CLOSINGS, postgresql_where=CLOSINGS)
