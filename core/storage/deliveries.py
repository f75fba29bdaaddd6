"""Deliveries: one row per non-idempotent platform step, so each is done once across retries and replicas.

A notifier that must not repeat a step (post a message, create a thread, send a mail) claims the row
``(key, step)`` first. The claim is a lease: a crash mid-step lets another attempt take it over once the lease
expires; a finished step keeps its result (e.g. the posted message's id) for every later attempt to reuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from core.storage.tables import deliveries
from core.storage.tickets import upsertable_insert


@dataclass(frozen=True)
class Claim:
    """``done`` with its ``result`` when the step already happened; ``busy`` when another attempt holds it."""

    done: bool = False
    busy: bool = False
    result: str | None = None


class DeliveryStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def claim(self, key: str, step: str, now: datetime, lease: timedelta) -> Claim:
        insert = (
            upsertable_insert(self.conn.dialect.name, deliveries)
            .values(key=key, step=step, done=False, lease_until=now + lease, created_at=now)
            .on_conflict_do_nothing(index_elements=["key", "step"])
        )
        if self.conn.execute(insert).rowcount == 1:
            return Claim()
        stmt = select(deliveries).where(deliveries.c.key == key, deliveries.c.step == step)
        if self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        row = self.conn.execute(stmt).one()
        if row.done:
            return Claim(done=True, result=row.result)
        if row.lease_until > now:
            return Claim(busy=True)
        self.conn.execute(  # the earlier attempt died mid-step: take it over
            update(deliveries).where(deliveries.c.key == key, deliveries.c.step == step).values(lease_until=now + lease)
        )
        return Claim()

    def finish(self, key: str, step: str, result: str | None) -> None:
        self.conn.execute(
            update(deliveries)
            .where(deliveries.c.key == key, deliveries.c.step == step)
            .values(done=True, result=result)
        )

    def release(self, key: str, step: str) -> None:
        """The step failed: forget the claim so the retry starts afresh."""
        self.conn.execute(
            delete(deliveries).where(deliveries.c.key == key, deliveries.c.step == step, deliveries.c.done.is_(False))
        )

    def result(self, key: str, step: str) -> str | None:
        stmt = select(deliveries.c.result).where(
            deliveries.c.key == key, deliveries.c.step == step, deliveries.c.done.is_(True)
        )
        return self.conn.execute(stmt).scalar()
