"""State of the automatic tickets (``core.rules``, ``core.health``): cooldowns, seen webhook signatures, and
the ticket each key (an alert group, an adapter) is on. Sync stores over one connection, like the others."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from core.storage.tables import idempotency_keys, keyed_tickets, rule_cooldowns, webhook_signatures
from core.storage.tickets import upsertable_insert


class AutomationStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- keyword-rule cooldowns ------------------------------------------------------------------
    def claim_cooldown(self, person: str, claim: str, now: datetime, until: datetime) -> bool:
        """Start ``person``'s cooldown for ``claim`` (a message); False while another claim's runs.

        The same claim passes again (a retried delivery of that message), and an expired cooldown is taken.
        """
        insert = (
            upsertable_insert(self.conn.dialect.name, rule_cooldowns)
            .values(person=person, until=until, claim=claim)
            .on_conflict_do_nothing(index_elements=["person"])
        )
        if self.conn.execute(insert).rowcount == 1:
            return True
        taken = (
            update(rule_cooldowns)
            .where(rule_cooldowns.c.person == person, rule_cooldowns.c.until <= now)
            .values(until=until, claim=claim)
        )
        if self.conn.execute(taken).rowcount == 1:
            return True
        held = select(rule_cooldowns.c.claim).where(rule_cooldowns.c.person == person)
        return self.conn.execute(held).scalar() == claim

    def release_cooldown(self, person: str, claim: str) -> None:
        """The claim opened nothing (the desk refused): the person is not cooling down for it."""
        self.conn.execute(
            delete(rule_cooldowns).where(rule_cooldowns.c.person == person, rule_cooldowns.c.claim == claim)
        )

    # -- webhook replay protection ---------------------------------------------------------------
    def first_sight(self, digest: str, now: datetime) -> bool:
        """Record a delivery's signature; False when it was seen before (a replay)."""
        insert = (
            upsertable_insert(self.conn.dialect.name, webhook_signatures)
            .values(digest=digest, seen_at=now)
            .on_conflict_do_nothing(index_elements=["digest"])
        )
        return bool(self.conn.execute(insert).rowcount == 1)

    def forget_signature(self, digest: str) -> None:
        self.conn.execute(delete(webhook_signatures).where(webhook_signatures.c.digest == digest))

    # -- one open ticket per key -----------------------------------------------------------------
    def keyed_ticket(self, key: str) -> tuple[str, int] | None:
        """``(ticket_id, generation)`` of the ticket ``key`` is on, or None."""
        row = self.conn.execute(
            select(keyed_tickets.c.ticket_id, keyed_tickets.c.generation).where(keyed_tickets.c.key == key)
        ).first()
        return (row.ticket_id, row.generation) if row else None

    def bind_keyed_ticket(self, key: str, ticket_id: str, generation: int, now: datetime) -> None:
        """Point ``key`` at ``ticket_id`` unless a later generation is recorded already."""
        insert = upsertable_insert(self.conn.dialect.name, keyed_tickets).values(
            key=key, ticket_id=ticket_id, generation=generation, updated_at=now
        )
        stmt = insert.on_conflict_do_update(
            index_elements=["key"],
            set_={"ticket_id": ticket_id, "generation": generation, "updated_at": now},
            where=keyed_tickets.c.generation <= generation,
        )
        self.conn.execute(stmt)

    # -- housekeeping ----------------------------------------------------------------------------
    def purge(self, *, now: datetime, signatures_before: datetime, keys_before: datetime) -> int:
        """Forget what protects nothing any more: old signatures, expired cooldowns, idempotency keys past 24 h."""
        removed = 0
        for stmt in (
            delete(webhook_signatures).where(webhook_signatures.c.seen_at < signatures_before),
            delete(rule_cooldowns).where(rule_cooldowns.c.until < now),
            delete(idempotency_keys).where(idempotency_keys.c.created_at < keys_before),
        ):
            removed += self.conn.execute(stmt).rowcount or 0
        return removed
