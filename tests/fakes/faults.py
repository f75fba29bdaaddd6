"""Seeded fault injection shared by the fake Slack and the fake Discord.

A fraction of the calls to the chosen methods/routes is answered 429 (rate limited) or 500 (server error)
before the fake does anything, so a faulted call changes nothing. The draws come from ``random.Random(seed)``:
the same calls in the same order fault the same way in every run.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class SeededFaults:
    """``draw(target)`` → 429, 500 or None (no fault) for one call to ``target``."""

    rate_429: float = 0.0
    rate_500: float = 0.0
    targets: frozenset[str] | None = None  # None: every target
    seed: int = 0
    drawn: dict[int, int] = field(default_factory=lambda: {429: 0, 500: 0})

    def __post_init__(self) -> None:
        if not (0 <= self.rate_429 and 0 <= self.rate_500 and self.rate_429 + self.rate_500 < 1):
            raise ValueError("fault rates must be >= 0 and add up to less than 1 (or every call would fail)")
        self._rng = random.Random(self.seed)

    @classmethod
    def build(cls, rate_429: float, rate_500: float, targets: Iterable[str] | None, seed: int) -> SeededFaults:
        return cls(rate_429, rate_500, None if targets is None else frozenset(targets), seed)

    def draw(self, target: str) -> int | None:
        if self.targets is not None and target not in self.targets:
            return None
        roll = self._rng.random()
        status = 429 if roll < self.rate_429 else 500 if roll < self.rate_429 + self.rate_500 else None
        if status is not None:
            self.drawn[status] += 1
        return status
