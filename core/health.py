"""Adapter health: each adapter reports whether it is connected; one that stays down opens an Urgent ticket.

``HealthBoard`` is the port adapters report to (``report("discord", Link.DISCONNECTED, "gateway closed")``);
it keeps the latest state of each and when it began (this process's view). ``IncidentWatch`` looks at it
every few seconds: an adapter disconnected or unauthorized for longer than the grace opens one Urgent ticket
(seen on the platforms still up, in the API and the CLI); when the adapter is connected again the ticket gets
a note and is closed. The ticket is keyed by the adapter (``core.rules.AutoTickets.open_once``), so replicas
and restarts share it; an adapter that goes down again soon after (``reopen_within``) reopens the same ticket
instead of opening a second one, so a flapping connection makes one ticket, not a stream of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from core import render
from core.commands import AddNote, Close, OpenTicket, Reopen, SystemMessage
from core.model import PLATFORM_NAMES, Priority, Status
from core.ports import Clock
from core.rules import AutoTickets

log = logging.getLogger(__name__)


class Link(enum.StrEnum):
    """An adapter's connection to its platform, as the adapter knows it."""

    STARTING = "starting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    UNAUTHORIZED = "unauthorized"


@dataclass(frozen=True)
class AdapterState:
    adapter: str
    link: Link
    since: datetime
    detail: str = ""

    @property
    def up(self) -> bool:
        return self.link is Link.CONNECTED


class HealthPort(Protocol):
    """What an adapter reports to: its connection, whenever it changes."""

    def report(self, adapter: str, link: Link, detail: str = "") -> None: ...


class HealthBoard:
    """The latest connection state of each configured adapter (in this process)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._states: dict[str, AdapterState] = {}

    def expect(self, adapter: str) -> None:
        """An adapter that is configured: it counts for readiness from now on (starting until it reports)."""
        if adapter not in self._states:
            self._states[adapter] = AdapterState(adapter, Link.STARTING, self.clock.now())

    def report(self, adapter: str, link: Link, detail: str = "") -> None:
        """What an adapter calls on every change of its connection; ``since`` stays while the link does."""
        old = self._states.get(adapter)
        if old is not None and old.link is link:
            if detail and detail != old.detail:
                self._states[adapter] = AdapterState(adapter, link, old.since, detail)
            return
        down = old is not None and not old.up and old.link is not Link.STARTING
        if link in (Link.DISCONNECTED, Link.UNAUTHORIZED) and down and old is not None:
            since = old.since  # still down, for another reason: the outage began earlier
        else:
            since = self.clock.now()
        self._states[adapter] = AdapterState(adapter, link, since, detail)
        level = logging.INFO if link is Link.CONNECTED else logging.WARNING
        log.log(level, "%s %s%s", adapter, link.value, f": {detail}" if detail else "")

    def states(self) -> list[AdapterState]:
        return sorted(self._states.values(), key=lambda s: s.adapter)

    def state(self, adapter: str) -> AdapterState | None:
        return self._states.get(adapter)

    def problems(self) -> list[str]:
        """Why this process is not ready, adapter by adapter (empty when every one is connected)."""
        return [
            f"{s.adapter} {s.link.value}" + (f" ({s.detail})" if s.detail else "") for s in self.states() if not s.up
        ]


class IncidentWatch:
    """Opens, notes and closes the integration-failure tickets from what the board shows."""

    def __init__(
        self,
        auto: AutoTickets,
        board: HealthBoard,
        *,
        grace: timedelta,
        reopen_within: timedelta = timedelta(hours=1),
    ) -> None:
        self.auto = auto
        self.desk = auto.desk
        self.board = board
        self.grace = grace
        self.reopen_within = reopen_within

    @staticmethod
    def key(adapter: str) -> str:
        return f"adapter:{adapter}"

    async def check(self) -> None:
        """One look at every adapter: open, reopen or close its incident ticket as its state says."""
        now = self.desk.clock.now()
        for state in self.board.states():
            if state.up:
                await self._recovered(state, now)
            elif state.link is not Link.STARTING and now - state.since >= self.grace:
                await self._down(state, now)

    async def run(self, stop: asyncio.Event, interval: float = 5.0) -> None:
        while not stop.is_set():
            try:
                await self.check()
            except Exception:
                log.exception("the integration-failure check failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def _down(self, state: AdapterState, now: datetime) -> None:
        key = self.key(state.adapter)
        if await self.auto.open_ticket_for(key) is not None:
            return  # already reported; a flap while it is open changes nothing
        name = PLATFORM_NAMES.get(state.adapter, state.adapter)
        what = _what(state)
        body = (
            f"{name} has been {what} since {state.since:%Y-%m-%d %H:%M} UTC "
            f"({render.duration(now - state.since)}). {state.detail}".strip()
        )
        last = await self.auto.last_ticket_for(key)
        recent = last is not None and last.closed_at is not None and now - last.closed_at < self.reopen_within
        if last is not None and recent:
            await self.desk.execute(Reopen(last.id), self.auto.system)
            await self.desk.execute(SystemMessage(last.id, f"Down again: {body}"), self.auto.system)
            log.warning("integration failure: %s reopened for %s", last.id, state.adapter)
            return
        command = OpenTicket(f"{name} is {what}", body, priority=Priority.URGENT)
        ticket, created = await self.auto.open_once(key, command)
        if created:
            log.warning(
                "integration failure: %s opened for %s", ticket.id, state.adapter, extra={"ticket_id": ticket.id}
            )

    async def _recovered(self, state: AdapterState, now: datetime) -> None:
        ticket = await self.auto.open_ticket_for(self.key(state.adapter))
        if ticket is None or ticket.status is Status.CLOSED:
            return
        name = PLATFORM_NAMES.get(state.adapter, state.adapter)
        note = f"{name} is connected again (since {state.since:%H:%M} UTC)."
        await self.desk.execute(AddNote(ticket.id, note), self.auto.system)
        await self.desk.execute(Close(ticket.id, f"{name} recovered"), self.auto.system)
        log.info("integration failure %s closed: %s recovered", ticket.id, state.adapter)


def _what(state: AdapterState) -> str:
    return "refusing ticketbot's token" if state.link is Link.UNAUTHORIZED else "disconnected"
