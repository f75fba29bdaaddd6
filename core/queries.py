"""The read port for notifiers and views: tickets, threads, messages and platform links as they are now.

These reads check no permission: they serve the bot's own work (rendering a card, mirroring a message), never
a person's request — a person's reads go through ``Desk.execute`` (``ShowTicket``…), which checks who asks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from core.digest import Digest
from core.errors import NotFound
from core.events import DigestDue
from core.ids import normalize_ticket_id
from core.model import Link, Message, Role, Ticket
from core.ports import Database

if TYPE_CHECKING:
    from core.digest import Digest
    from core.storage.uow import UnitOfWork


class Queries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ticket(self, ticket_id: str) -> Ticket:
        found = await self.find_ticket(ticket_id)
        if found is None:
            raise NotFound(f"ticket {ticket_id} not found")
        return found

    async def find_ticket(self, ticket_id: str) -> Ticket | None:
        tid = normalize_ticket_id(ticket_id)
        found = await self.db.read(lambda uow: uow.tickets.get(tid))
        return found[1] if found else None

    async def thread(self, ticket_id: str, *, include_internal: bool) -> list[Message]:
        return await self.db.read(lambda uow: uow.tickets.thread(ticket_id, include_internal=include_internal))

    async def description(self, ticket_id: str) -> str:
        """The requester's first message: what the ticket is about, beyond its subject."""
        thread = await self.thread(ticket_id, include_internal=False)
        return next((m.body for m in thread if m.role is Role.REQUESTER), "")

    async def message(self, message_id: int) -> Message:
        found = await self.db.read(lambda uow: uow.tickets.message(message_id))
        if found is None:
            raise NotFound(f"message {message_id} not found")
        return found

    async def link(self, ticket_id: str, platform: str, kind: str) -> Link | None:
        return await self.db.read(lambda uow: uow.tickets.get_link(ticket_id, platform, kind))

    async def ticket_by_link(
        self, *, platform: str, channel_id: str, thread_id: str | None = None, kind: str | None = None
    ) -> Ticket | None:
        def read(uow: UnitOfWork) -> Ticket | None:
            tid = uow.tickets.find_by_link(platform, channel_id, thread_id, kind)
            found = uow.tickets.get(tid) if tid else None
            return found[1] if found else None

        return await self.db.read(read)

    async def digest(self, due: DigestDue, *, now: datetime) -> Digest:
        """The digest a ``DigestDue`` asks for: its day in its time zone, the backlog as of ``now``; all figures
        from one snapshot. Render it with ``core.digest.digest_text`` and ``core.chart.render_chart``."""
        day, tz = date.fromisoformat(due.day), ZoneInfo(due.zone)
        return await self.db.read(lambda uow: uow.digest(now=now, tz=tz, day=day), snapshot=True)

    async def due_tickets(self, *, before: datetime, limit: int = 100) -> list[Ticket]:
        """Tickets whose SLA response is due before ``before``, soonest first (one indexed range scan)."""
        return await self.db.read(lambda uow: uow.tickets.due_before(before, limit))
