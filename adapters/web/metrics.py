"""``/metrics`` in the Prometheus text format (prometheus-client), on a registry of our own.

Ticket figures come from the database at each scrape (``core.operations.snapshot``: the aggregates and
indexed counts every replica shares); connection states and request latency are this process's own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from core.health import HealthBoard, Link
from core.operations import Snapshot

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Figures(Collector):
    """Yields the latest snapshot and adapter states (set just before each exposition)."""

    def __init__(self, board: HealthBoard | None) -> None:
        self.board = board
        self.snapshot = Snapshot()

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot
        tickets = GaugeMetricFamily(
            "ticketbot_tickets", "Tickets by status and priority", labels=["status", "priority"]
        )
        for (status, priority), n in sorted(snap.tickets.items()):
            tickets.add_metric([status.lower(), priority.lower()], n)
        yield tickets
        yield CounterMetricFamily("ticketbot_tickets_created", "Tickets opened, all time", value=snap.created)
        yield CounterMetricFamily(
            "ticketbot_tickets_closed", "Times a ticket was closed, all time", value=snap.closings
        )
        yield GaugeMetricFamily(
            "ticketbot_sla_breached_tickets", "Tickets whose first-response target was missed", value=snap.sla_missed
        )
        backlog = GaugeMetricFamily("ticketbot_outbox_pending", "Events not yet delivered", labels=["consumer"])
        dead = GaugeMetricFamily(
            "ticketbot_outbox_dead_letters", "Events failing for longer than TICKETBOT_OUTBOX__DEAD_AFTER",
            labels=["consumer"],
        )  # fmt: skip
        for consumer, (pending, failing) in sorted(snap.outbox.items()):
            backlog.add_metric([consumer], pending)
            dead.add_metric([consumer], failing)
        yield backlog
        yield dead
        if self.board is not None:
            up = GaugeMetricFamily("ticketbot_adapter_up", "1 when the adapter is connected", labels=["adapter"])
            state = GaugeMetricFamily(
                "ticketbot_adapter_state", "The adapter's connection state (1 for the current one)",
                labels=["adapter", "state"],
            )  # fmt: skip
            for s in self.board.states():
                up.add_metric([s.adapter], 1 if s.up else 0)
                for link in Link:
                    state.add_metric([s.adapter, link.value], 1 if s.link is link else 0)
            yield up
            yield state


class Metrics:
    def __init__(self, snapshot: Callable[[], Awaitable[Snapshot]], board: HealthBoard | None = None) -> None:
        self._snapshot = snapshot
        self.registry = CollectorRegistry(auto_describe=True)
        self._figures = _Figures(board)
        self.registry.register(self._figures)
        self.latency = Histogram(
            "ticketbot_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.latency.labels(method, route, str(status)).observe(seconds)

    async def exposition(self) -> bytes:
        self._figures.snapshot = await self._snapshot()
        return bytes(generate_latest(self.registry))
