"""The ``email`` outbox consumer: tells the requester by mail what happened to their ticket.

- ``TicketOpened``: the acknowledgement (category, priority, the response target, their first message); it
  starts the thread.
- ``MessageAdded``: a public staff reply, or a system message meant for the requester. Never an internal
  note, never the requester's own message, never the close note (the closed mail carries the reason).
- ``StatusChanged``: closed (with its reason, whoever closed it); reopened, Pending or Open again when
  someone other than the requester did it — except the Pending that a staff reply causes
  (``StatusChanged.by_message``: the reply mail already says so).
- ``StaleReminder``: the ticket waits on their answer (and when it closes by itself).
- Anything else (priority, category, assignee, rating, SLA alerts for staff, the digest): no mail.

A requester without a usable address gets nothing. A failed send raises, so the dispatcher retries the event
with backoff; a retried mail has the same ``Message-ID`` (see ``compose``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage

from adapters.email import compose
from adapters.email.compose import Sender
from adapters.email.sender import SmtpSender
from adapters.email.settings import SmtpSettings
from core import render
from core.events import Event, MessageAdded, StaleReminder, StatusChanged, TicketOpened
from core.model import Role, Status, Ticket
from core.ports import Clock, SystemClock
from core.queries import Queries

log = logging.getLogger(__name__)

CONSUMER = "email"


class EmailNotifier:
    """Implements ``core.ports.Notifier`` (consumer name "email")."""

    name = CONSUMER

    def __init__(
        self,
        queries: Queries,
        settings: SmtpSettings,
        *,
        sender: SmtpSender | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.queries = queries
        self.sender = sender or SmtpSender(settings)
        self.identity = Sender.from_settings(settings)
        self.clock = clock or SystemClock()

    async def notify(self, event: Event) -> None:
        if isinstance(event, TicketOpened):
            await self._opened(event)
        elif isinstance(event, MessageAdded):
            await self._message_added(event)
        elif isinstance(event, StatusChanged):
            await self._status_changed(event)
        elif isinstance(event, StaleReminder):
            await self.send_stale_reminder(
                event.ticket_id, event_id=event.event_id, waiting_since=event.pending_since, closes_at=event.closes_at
            )

    async def send_stale_reminder(
        self, ticket_id: str, *, event_id: str, waiting_since: datetime | None, closes_at: datetime | None
    ) -> None:
        """The stale reminder (Pending, no answer from the requester) — for the scheduler's event."""
        ticket = await self.queries.ticket(ticket_id)
        if ticket.status is not Status.PENDING or compose.recipient(ticket) is None:
            return  # answered (or closed) since the reminder fell due
        mail = compose.stale_reminder(
            ticket, waiting_since=waiting_since, closes_at=closes_at, event_id=event_id, sender=self.identity,
            now=self.clock.now(),
        )  # fmt: skip
        await self._send(ticket, mail, "stale reminder")

    # ------------------------------------------------------------------------------------------ events
    async def _opened(self, event: TicketOpened) -> None:
        ticket = await self.queries.ticket(event.ticket_id)
        if compose.recipient(ticket) is None:
            return
        public = await self.queries.thread(ticket.id, include_internal=False)
        first = next((m for m in public if m.role is Role.REQUESTER and not m.internal), None)
        mail = compose.ticket_created(
            ticket, description=first, sender=self.identity, now=self.clock.now(),
            acknowledgement=render.acknowledgement(event),
        )  # fmt: skip
        await self._send(ticket, mail, "ticket created")

    async def _message_added(self, event: MessageAdded) -> None:
        if event.internal or event.role not in (Role.STAFF, Role.SYSTEM):
            return  # notes stay internal; the requester wrote their own messages
        message = await self.queries.message(event.message_id)
        ticket = await self.queries.ticket(event.ticket_id)
        if message.internal or compose.recipient(ticket) is None or ticket.is_requester(message.author):
            return
        now = self.clock.now()
        if message.role is Role.STAFF:
            mail = compose.staff_reply(ticket, message, event_id=event.event_id, sender=self.identity, now=now)
            await self._send(ticket, mail, "staff reply")
        elif message.role is Role.SYSTEM:
            mail = compose.system_update(ticket, message, event_id=event.event_id, sender=self.identity, now=now)
            await self._send(ticket, mail, "update")

    async def _status_changed(self, event: StatusChanged) -> None:
        old, new = event.old, event.new
        ticket = await self.queries.ticket(event.ticket_id)
        if compose.recipient(ticket) is None:
            return
        now = self.clock.now()
        if new is Status.CLOSED:
            mail = compose.ticket_closed(
                ticket,
                reason=event.reason or ticket.close_reason,
                by=event.actor,
                event_id=event.event_id,
                sender=self.identity,
                now=now,
            )
            await self._send(ticket, mail, "closed")
            return
        if ticket.is_requester(event.actor):
            return  # they did it themselves (a reply that reopened it, their own reopen)
        if old is None or (new is Status.PENDING and event.by_message):
            return  # the reply mail they just got says we wait for them
        mail = compose.status_changed(
            ticket, old=old, new=new, by=event.actor, event_id=event.event_id, sender=self.identity, now=now
        )
        await self._send(ticket, mail, f"status {old.value} → {new.value}")

    # ------------------------------------------------------------------------------------------ pieces
    async def _send(self, ticket: Ticket, mail: EmailMessage, what: str) -> None:
        to = compose.recipient(ticket)
        assert to is not None  # every caller checked
        await self.sender.send(mail, to=to)
        log.info("email: %s mail sent to the requester", what, extra={"ticket_id": ticket.id})
