"""Pacing calls under a platform's rate limits — the one mechanism every adapter uses.

``Pace(per_second)`` spaces calls per key with an ``aiolimiter`` leaky bucket of size one: a Slack channel
(Slack accepts about one message per second per channel) or one key for a whole Discord bot (50 requests/s).
Waiting callers are served first come, first served. After a 429, ``hold(key, retry_after)`` stops the key
for that long: a caller waits out a short hold, and a long one raises ``RetryLater`` so the outbox postpones
the event instead of tying up a delivery.

``Line`` keeps first-come order across awaits: a place is taken synchronously (when an outbox delivery
starts, in the order the outbox hands events out) and ``turn()`` waits until every earlier place has left.
A burst of new tickets therefore gets its cards in the order the tickets were opened, whatever the database
reads in between take.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator

from aiolimiter import AsyncLimiter
from cachetools import LRUCache

from core.ports import RetryLater

MAX_WAIT = 5.0  # seconds a caller waits out a hold; a longer hold postpones the delivery instead


class Pace:
    """At most ``per_second`` calls per key (``0``: no pacing), and no calls on a held key."""

    def __init__(self, per_second: float, *, max_wait: float = MAX_WAIT, keys: int = 10_000) -> None:
        if per_second < 0:
            raise ValueError("per_second must be >= 0")
        self.per_second = per_second
        self.max_wait = max_wait
        self._limiters: LRUCache[str, AsyncLimiter] = LRUCache(maxsize=keys)
        self._held: dict[str, float] = {}  # key → loop time until which no call may start

    @contextlib.asynccontextmanager
    async def slot(self, key: str = "") -> AsyncIterator[None]:
        """Wait for ``key``'s next slot (``async with pace.slot(channel): await post(...)``)."""
        await self._wait_out_hold(key)
        if self.per_second > 0:
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = self._limiters[key] = AsyncLimiter(1, 1 / self.per_second)
            await limiter.acquire()
        yield

    def hold(self, key: str, seconds: float) -> None:
        """The platform said "not before ``seconds``" for ``key`` (a 429's ``Retry-After``)."""
        if seconds <= 0:
            return
        until = asyncio.get_running_loop().time() + seconds
        self._held[key] = max(self._held.get(key, 0.0), until)

    def held_for(self, key: str) -> float:
        """Seconds left on ``key``'s hold (0 when it is not held)."""
        until = self._held.get(key)
        if until is None:
            return 0.0
        left = until - asyncio.get_running_loop().time()
        if left <= 0:
            self._held.pop(key, None)
            return 0.0
        return left

    async def _wait_out_hold(self, key: str) -> None:
        while (left := self.held_for(key)) > 0:
            if left > self.max_wait:
                raise RetryLater(left, f"rate limited on {key or 'every call'} for {left:.0f}s more")
            await asyncio.sleep(left)


class Place:
    """A place in a ``Line``: ``await turn()`` once it matters, ``leave()`` when done (idempotent)."""

    def __init__(self, ahead: list[Place]) -> None:
        self._ahead = ahead
        self._left = asyncio.Event()

    async def turn(self) -> None:
        """Return once every place taken before this one has left."""
        for place in self._ahead:
            await place._left.wait()
        self._ahead = []

    def leave(self) -> None:
        self._left.set()

    @property
    def left(self) -> bool:
        return self._left.is_set()


class Line:
    """First come, first served per key, across awaits (see the module docstring)."""

    def __init__(self) -> None:
        self._places: dict[str, deque[Place]] = {}

    def join(self, key: str = "") -> Place:
        """Take the next place in ``key``'s line; call this before the first await that may reorder callers."""
        queue = self._places.setdefault(key, deque())
        while queue and queue[0].left:  # forget the places already gone
            queue.popleft()
        place = Place([p for p in queue if not p.left])
        queue.append(place)
        return place
