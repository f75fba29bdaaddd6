"""Delivers outbox events to notifiers: at least once, in order per ticket, retried with backoff.

Each consumer (notifier) runs on its own, so a slow or failing platform never delays another. Rows are
claimed with a lease (and ``SKIP LOCKED`` on PostgreSQL) so several replicas share the work and each row is
delivered by one of them; a crash mid-delivery only means the lease expires and the row is tried again.

Backoff doubles per attempt up to 5 minutes, with jitter (so rows that failed together, in one outage, are not
all retried in the same instant). A row whose delivery has failed for ``dead_after`` (from its first failure;
``RetryLater`` postpones, it is not a failure) becomes a dead letter: kept with its last error, no longer
retried, and no longer holding back its ticket's later events — ``ticketbot outbox list --dead`` shows it and
``ticketbot outbox retry`` puts it back.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from core.events import event_from_dict
from core.ports import Clock, Database, Notifier, RetryLater, SystemClock

if TYPE_CHECKING:
    from core.storage.queue import OutboxRow

log = logging.getLogger(__name__)


MAX_BACKOFF = 300.0


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """About 1 s, 2 s, 4 s … capped at 5 minutes: each between half and all of that ("equal jitter")."""
    ceiling = min(MAX_BACKOFF, 2.0 ** min(attempts, 16))
    return timedelta(seconds=ceiling * (0.5 + 0.5 * (rng or random).random()))


class Dispatcher:
    def __init__(
        self,
        db: Database,
        notifiers: Sequence[Notifier],
        *,
        clock: Clock | None = None,
        lease: timedelta = timedelta(seconds=120),
        batch: int = 100,
        concurrency: int = 8,
        poll_interval: float = 1.0,
        dead_after: timedelta = timedelta(hours=24),
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.dead_after = dead_after
        self.rng = rng or random.Random()
        self.notifiers = {n.name: n for n in notifiers}
        self.clock = clock or SystemClock()
        self.lease = lease
        self.batch = batch
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self._wakes = {name: asyncio.Event() for name in self.notifiers}

    def wake(self) -> None:
        """Ask every consumer for a delivery round now (the desk calls this after a change is committed)."""
        for event in self._wakes.values():
            event.set()

    async def run_once(self) -> int:
        """One delivery round for every consumer; returns how many rows were delivered."""
        results = await asyncio.gather(*(self._round(n) for n in self.notifiers.values()))
        return sum(results)

    async def drain(self, *, rounds: int = 50) -> int:
        """Deliver until nothing is due (tests and shutdown)."""
        total = 0
        for _ in range(rounds):
            done = await self.run_once()
            total += done
            if not done:
                break
        return total

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop``: each consumer in its own loop, so a slow one (Slack paced at one post per
        second per channel) never holds up another (Discord, email)."""
        await asyncio.gather(*(self._run_consumer(n, stop) for n in self.notifiers.values()))

    async def _run_consumer(self, notifier: Notifier, stop: asyncio.Event) -> None:
        wake = self._wakes[notifier.name]
        while not stop.is_set():
            try:
                delivered = await self._round(notifier)
            except Exception:
                log.exception("outbox round for %s failed", notifier.name)
                delivered = 0
            if delivered:
                continue
            wake.clear()
            waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()

    async def _round(self, notifier: Notifier) -> int:
        now = self.clock.now()
        rows = await self.db.write(lambda uow: uow.outbox.claim(notifier.name, now, self.lease, self.batch))
        if not rows:
            return 0
        by_ticket: dict[str, list[OutboxRow]] = defaultdict(list)
        for row in rows:
            by_ticket[row.ticket_id].append(row)
        gate = asyncio.Semaphore(self.concurrency)

        async def ticket_rows(group: list[OutboxRow]) -> int:
            async with gate:
                for n, row in enumerate(group):
                    if not await self._deliver(notifier, row):
                        # keep the ticket's order: release the rest of its rows for a later round
                        await self._release(group[n + 1 :])
                        return n
                return len(group)

        return sum(await asyncio.gather(*(ticket_rows(g) for g in by_ticket.values())))

    async def _deliver(self, notifier: Notifier, row: OutboxRow) -> bool:
        try:
            await notifier.notify(event_from_dict(row.event, row.payload))
        except RetryLater as exc:
            log.warning(
                "delivery to %s postponed %.1fs: %s", notifier.name, exc.delay, exc, extra={"ticket_id": row.ticket_id}
            )
            await self._retry(row, timedelta(seconds=exc.delay), str(exc))
            return False
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            now = self.clock.now()
            if row.first_failed_at is not None and now - row.first_failed_at >= self.dead_after:
                log.error(
                    "delivery of %s (outbox row %d) to %s has failed since %s: kept as a dead letter "
                    "(`ticketbot outbox retry %d` puts it back): %s",
                    row.event, row.id, notifier.name, row.first_failed_at.isoformat(), row.id, error,
                    extra={"ticket_id": row.ticket_id},
                )  # fmt: skip
                await self.db.write(lambda uow: uow.outbox.bury(row.id, now, error))
                return True  # the ticket's later events no longer wait for it
            log.warning(
                "delivery of %s to %s failed (attempt %d), will retry",
                row.event, notifier.name, row.attempts + 1, exc_info=True, extra={"ticket_id": row.ticket_id},
            )  # fmt: skip
            await self._retry(row, backoff(row.attempts, self.rng), error, failed=True)
            return False
        await self.db.write(lambda uow: uow.outbox.done(row.id))
        return True

    async def _retry(self, row: OutboxRow, delay: timedelta, error: str, *, failed: bool = False) -> None:
        now = self.clock.now()
        await self.db.write(lambda uow: uow.outbox.retry(row.id, now + delay, error, failed_at=now if failed else None))

    async def _release(self, rows: Sequence[OutboxRow]) -> None:
        if not rows:
            return
        now = self.clock.now()
        await self.db.write(lambda uow: uow.outbox.release([row.id for row in rows], now))
