"""Ports the core needs from the outside world; adapters (and tests' fakes) implement them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from core.events import Event


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Notifier(Protocol):
    """Delivers domain events to one destination (Slack, Discord, email…).

    ``name`` is the outbox consumer name. ``notify`` returning means delivered; raising ``RetryLater`` or
    any other exception means "try again later" (with backoff) — the event is never dropped silently.
    """

    name: str

    async def notify(self, event: Event) -> None: ...


class RetryLater(Exception):
    """Raised by a notifier to ask for a retry after ``delay`` seconds (e.g. a 429's Retry-After)."""

    def __init__(self, delay: float, reason: str = "") -> None:
        super().__init__(reason or f"retry in {delay:.1f}s")
        self.delay = delay
