"""The scheduler: the loop that turns due timers into events (SLA reminders, stale tickets, the daily digest).

Timers are rows kept by the desk in the transaction of each change (``core.timers``); the loop only asks the
desk to fire what is due (``Desk.fire_timers``), a batch per transaction, and sleeps a poll interval when
nothing is. Exactly once: a fired timer is deleted in the transaction that writes its events to the outbox.
Several replicas share the work on PostgreSQL (due tickets are claimed ``FOR UPDATE SKIP LOCKED``); on SQLite
one process is assumed. Events leave through the outbox dispatcher like every other event.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.desk import Desk

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, desk: Desk, *, batch: int = 100, poll_interval: float = 1.0) -> None:
        self.desk = desk
        self.batch = batch
        self.poll_interval = poll_interval

    async def start(self) -> None:
        """Set up what is scheduled from the configuration rather than by a change: the next digest."""
        at = await self.desk.schedule_digest()
        if at is not None:
            log.info("next digest at %s", at.isoformat())

    async def tick(self) -> int:
        """Fire one batch of due timers; returns how many were taken."""
        return await self.desk.fire_timers(self.batch)

    async def drain(self, *, rounds: int = 1000) -> int:
        """Fire until nothing is due (tests, benchmarks)."""
        total = 0
        for _ in range(rounds):
            fired = await self.tick()
            total += fired
            if fired < self.batch:
                break
        return total

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await self.start()
        except Exception:
            log.exception("could not schedule the digest; will try again at the next start")
        while not stop.is_set():
            try:
                fired = await self.tick()
            except Exception:
                log.exception("scheduler tick failed; the timers stay due")
                fired = 0
            if fired >= self.batch:
                continue  # more may be due
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.poll_interval)
            except TimeoutError:
                pass
