"""A clock the test moves by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = START) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when


class TickingClock(FakeClock):
    """Moves one ``step`` on every reading: each transaction sees its own instant (every write is a change)."""

    def __init__(self, start: datetime = START, step: timedelta = timedelta(milliseconds=1)) -> None:
        super().__init__(start)
        self.step = step

    def now(self) -> datetime:
        self._now += self.step
        return self._now
