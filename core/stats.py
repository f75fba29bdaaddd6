"""Statistics: what each ticket contributes to the all-time aggregates, and the figures shown to staff.

All-time figures are never recounted: every change adds ``contribution(after) - contribution(before)`` to
one row per (category, priority) in the same transaction, so reading them costs a dozen rows whatever the
table size, and a brute-force recount always agrees (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.model import Priority, Status, Ticket

Key = tuple[str, str]  # (category, priority)
Vector = dict[str, int]


def contribution(ticket: Ticket | None) -> dict[Key, Vector]:
    """The aggregate counters one ticket adds, keyed by its (category, priority)."""
    if ticket is None:
        return {}
    v: Vector = {f"n_{ticket.status.value.lower()}": 1}
    if ticket.first_response_at is not None:
        v["frt_sum"] = int((ticket.first_response_at - ticket.created_at).total_seconds())
        v["frt_n"] = 1
    if ticket.status is Status.CLOSED and ticket.closed_at is not None:
        v["res_sum"] = int((ticket.closed_at - ticket.created_at).total_seconds())
        v["res_n"] = 1
    if ticket.first_response_at is not None or ticket.sla_breached:
        v["sla_n"] = 1
        v["sla_met"] = 0 if ticket.sla_breached else 1
    if ticket.rating is not None:
        v["csat_sum"] = ticket.rating
        v["csat_n"] = 1
    return {(ticket.category, ticket.priority.value): v}


def difference(before: Ticket | None, after: Ticket | None) -> dict[Key, Vector]:
    """``contribution(after) - contribution(before)``, without zero entries."""
    out: dict[Key, Vector] = {}
    for sign, part in ((1, contribution(after)), (-1, contribution(before))):
        for key, vec in part.items():
            row = out.setdefault(key, {})
            for name, value in vec.items():
                row[name] = row.get(name, 0) + sign * value
    return {k: {n: v for n, v in row.items() if v} for k, row in out.items() if any(row.values())}


def accumulate(total: dict[Key, Vector], delta: dict[Key, Vector]) -> None:
    """Add ``delta`` into ``total`` (a transaction that changes many tickets writes their sum once)."""
    for key, vec in delta.items():
        row = total.setdefault(key, {})
        for name, value in vec.items():
            row[name] = row.get(name, 0) + value


@dataclass(frozen=True)
class StatRow:
    category: str
    priority: str
    counts: Mapping[str, int]


@dataclass
class Breakdown:
    open: int = 0
    pending: int = 0
    closed: int = 0

    @property
    def total(self) -> int:
        return self.open + self.pending + self.closed


@dataclass
class Stats:
    """What managers and staff see. Averages are ``None`` when nothing has been measured yet."""

    total: int = 0
    open: int = 0
    pending: int = 0
    closed: int = 0
    avg_first_response: timedelta | None = None
    avg_resolution: timedelta | None = None
    sla_attainment: float | None = None  # 0..1 over tickets whose first-response target was decided
    csat_average: float | None = None
    csat_count: int = 0
    by_category: dict[str, Breakdown] = field(default_factory=dict)
    by_priority: dict[str, Breakdown] = field(default_factory=dict)
    opened_24h: int = 0
    closed_24h: int = 0
    opened_7d: int = 0
    closed_7d: int = 0
    oldest_open: list[Ticket] = field(default_factory=list)
    generated_at: datetime | None = None


def summarize(rows: Iterable[StatRow]) -> Stats:
    """Fold the aggregate rows into ``Stats`` (windowed figures and oldest tickets are filled by the caller)."""
    stats = Stats()
    sums: dict[str, int] = {}
    for row in rows:
        for name, value in row.counts.items():
            sums[name] = sums.get(name, 0) + value
        for table, key in ((stats.by_category, row.category), (stats.by_priority, row.priority)):
            b = table.setdefault(key, Breakdown())
            b.open += row.counts.get("n_open", 0)
            b.pending += row.counts.get("n_pending", 0)
            b.closed += row.counts.get("n_closed", 0)
    stats.open, stats.pending, stats.closed = (sums.get(n, 0) for n in ("n_open", "n_pending", "n_closed"))
    stats.total = stats.open + stats.pending + stats.closed
    if sums.get("frt_n"):
        stats.avg_first_response = timedelta(seconds=sums["frt_sum"] / sums["frt_n"])
    if sums.get("res_n"):
        stats.avg_resolution = timedelta(seconds=sums["res_sum"] / sums["res_n"])
    if sums.get("sla_n"):
        stats.sla_attainment = sums["sla_met"] / sums["sla_n"]
    if sums.get("csat_n"):
        stats.csat_average = sums["csat_sum"] / sums["csat_n"]
        stats.csat_count = sums["csat_n"]
    order = [p.value for p in Priority]
    stats.by_priority = dict(sorted(stats.by_priority.items(), key=lambda kv: order.index(kv[0])))
    return stats
