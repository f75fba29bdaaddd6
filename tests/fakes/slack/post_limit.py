"""Slack's per-channel posting limit: about one message per second per channel, short bursts tolerated.

A token bucket per channel: ``burst`` posts at once, refilled at ``per_second``. A post that finds the bucket
empty is refused with HTTP 429, ``Retry-After`` (whole seconds, at least 1, as Slack sends it; or a fixed
value for fast tests) and ``{"ok": false, "error": "ratelimited"}``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field


@dataclass
class ChannelPostLimit:
    per_second: float = 1.0
    burst: int = 3
    retry_after: int | None = None  # None: the real wait, rounded up to whole seconds (min 1)
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # channel → (tokens, at)

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("per_second must be > 0 and burst >= 1")

    def take(self, channel: str, now: float | None = None) -> int | None:
        """Spend one post in ``channel``: None if accepted, else the ``Retry-After`` seconds to answer."""
        now = time.monotonic() if now is None else now
        tokens, at = self._buckets.get(channel, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
        if tokens >= 1.0:
            self._buckets[channel] = (tokens - 1.0, now)
            return None
        self._buckets[channel] = (tokens, now)
        if self.retry_after is not None:
            return self.retry_after
        return max(1, math.ceil((1.0 - tokens) / self.per_second))
