"""What an operator watches (``/metrics``, ``ticketbot doctor``): ticket counts, closings, SLA misses and the
outbox, read from the maintained aggregates and indexed ranges (cheap enough for a scrape every few seconds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from core.ports import Database

if TYPE_CHECKING:
    from core.storage.uow import UnitOfWork


@dataclass(frozen=True)
class Snapshot:
    tickets: dict[tuple[str, str], int] = field(default_factory=dict)  # (status, priority) → tickets now
    created: int = 0  # tickets ever opened
    closings: int = 0  # times a ticket was closed
    sla_missed: int = 0  # tickets whose response target was missed
    outbox: dict[str, tuple[int, int]] = field(default_factory=dict)  # consumer → (undelivered, dead letters)

    def dead_letters(self) -> int:
        return sum(dead for _, dead in self.outbox.values())


async def snapshot(db: Database, *, now: datetime, dead_after: timedelta) -> Snapshot:
    """The figures in one read transaction."""

    def read(uow: UnitOfWork) -> Snapshot:
        tickets: dict[tuple[str, str], int] = {}
        created = missed = 0
        for row in uow.stats.rows():
            for status in ("Open", "Pending", "Closed"):
                n = row.counts.get(f"n_{status.lower()}", 0)
                tickets[(status, row.priority)] = tickets.get((status, row.priority), 0) + n
                created += n
            missed += row.counts.get("sla_n", 0) - row.counts.get("sla_met", 0)
        return Snapshot(
            tickets=tickets,
            created=created,
            closings=uow.operations.closings(),
            sla_missed=missed,
            outbox=uow.operations.outbox_by_consumer(now - dead_after),
        )

    result: Snapshot = await db.read(read)
    return result
