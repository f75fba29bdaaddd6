"""Ports the core needs from the outside world; adapters (and tests' fakes) implement them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from core.events import Event

if TYPE_CHECKING:
    from core.storage.uow import UnitOfWork

T = TypeVar("T")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Database(Protocol):
    """Runs one transaction: ``fn(uow)`` is a synchronous function given the unit of work's stores.

    ``write`` commits when ``fn`` returns and rolls back when it raises; ``read`` never writes. ``fn`` must
    not await (nothing interleaves inside a transaction), which lets the storage run it in one driver call —
    on the driver's thread, not the event loop's (it runs in the caller's ``contextvars`` context).

    Concurrent writes may share one transaction and one commit (group commit): each ``fn`` still runs alone,
    one after another, inside its own savepoint, so one that raises is rolled back alone and the others
    commit; ``write`` returns only once the commit is done.
    """

    @property
    def dialect(self) -> str: ...

    async def write(self, fn: Callable[[UnitOfWork], T]) -> T: ...

    async def read(self, fn: Callable[[UnitOfWork], T], *, snapshot: bool = False) -> T: ...

    async def dispose(self) -> None: ...


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
