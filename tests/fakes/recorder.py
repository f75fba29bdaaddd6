"""A notifier that records what the outbox delivers to it, and when (the notifier of a platform not rendered yet)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.events import Event
from core.ports import Clock


@dataclass
class Recorder:
    """Implements ``core.ports.Notifier``: ``got`` lists ``(when, event)`` in delivery order."""

    name: str
    clock: Clock
    got: list[tuple[datetime, Event]] = field(default_factory=list)

    async def notify(self, event: Event) -> None:
        self.got.append((self.clock.now(), event))

    def of(self, *types: type[Event]) -> list[tuple[datetime, Event]]:
        return [(at, e) for at, e in self.got if isinstance(e, types)]

    @property
    def events(self) -> list[Event]:
        return [e for _, e in self.got]
