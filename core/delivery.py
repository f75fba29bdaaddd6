"""What notifiers write: where a ticket lives on a platform (links), and steps done exactly once.

``once(key, step, do)`` is the one mechanism every notifier uses for a platform call that must not be
repeated (post a message, create a thread, upload a file, send a mail): the step is claimed in a transaction
(a lease, so a crashed attempt is taken over later), done, and recorded with its result. A retry of the event
— after a later step failed, or on another replica — finds the step done and reuses its result; a step in
progress elsewhere makes this attempt ``RetryLater``. A failed step releases its claim and raises, so the
outbox retries the event instead of dropping it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from core.model import Link
from core.ports import Clock, Database, RetryLater, SystemClock

LEASE = timedelta(minutes=2)


class Deliveries:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

    async def save_link(self, link: Link) -> None:
        await self.db.write(lambda uow: uow.tickets.save_link(link))

    async def once(
        self, key: str, step: str, do: Callable[[], Awaitable[str | None]], *, lease: timedelta = LEASE
    ) -> str | None:
        """Do ``step`` for ``key`` once; return its result (from now or from the attempt that did it)."""
        claim = await self.db.write(lambda uow: uow.deliveries.claim(key, step, self.clock.now(), lease))
        if claim.done:
            return claim.result
        if claim.busy:
            raise RetryLater(min(lease.total_seconds(), 5.0), f"{step} for {key} is in progress elsewhere")
        try:
            result = await do()
        except Exception:  # (a cancelled attempt keeps its claim until the lease runs out)
            await self.db.write(lambda uow: uow.deliveries.release(key, step))
            raise
        await self.db.write(lambda uow: uow.deliveries.finish(key, step, result))
        return result

    async def done(self, key: str, step: str) -> str | None:
        """The result of a step already done, or None (e.g. a Discord thread id made by the notifier)."""
        return await self.db.read(lambda uow: uow.deliveries.result(key, step))
