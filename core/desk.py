"""The service API: everything a support desk does, one transaction per call.

Adapters, the CLI and plain Python call ``Desk``; it checks permissions, applies the status machine
(``core.lifecycle``), keeps the statistics and search index current and records domain events in the
outbox — all in the same transaction, so a change and its consequences land together or not at all.
Method names follow the source document's API (``create_ticket``, ``admin_reply_to_ticket``…).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, case, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from core import lifecycle, stats
from core.errors import InvalidInput, InvalidTransition, LimitReached, NotFound, NotPermitted
from core.events import Event, MessageAdded, StatusChanged, TicketOpened, TicketRated, TicketUpdated
from core.ids import TicketIdGenerator, normalize_ticket_id
from core.lifecycle import FieldChange, Rules
from core.model import (
    DEFAULT_CATEGORIES,
    Actor,
    Attachment,
    Change,
    Link,
    Message,
    Priority,
    Role,
    Status,
    Ticket,
    clean_body,
    clean_subject,
    origin_kind,
    parse_category,
)
from core.ports import Clock, SystemClock
from core.search import SearchQuery, parse_query
from core.storage.tables import tickets
from core.storage.tickets import ticket_from_row
from core.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

ID_ATTEMPTS = 20
MAX_PAGE = 100


@dataclass(frozen=True)
class SearchPage:
    items: list[Ticket]
    total: int  # capped at core.storage.fulltext.RESULT_CAP
    offset: int = 0

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total


@dataclass
class Desk:
    """The support desk. Build one per process (see ``bot.bootstrap``); it holds no ticket state."""

    engine: AsyncEngine
    clock: Clock = field(default_factory=SystemClock)
    ids: Callable[[], str] = field(default_factory=TicketIdGenerator)
    categories: Sequence[str] = DEFAULT_CATEGORIES
    rules: Rules = field(default_factory=Rules)
    max_open_per_user: int | None = None
    consumers: list[str] = field(default_factory=list)  # outbox consumers, one row per event each
    on_commit: list[Callable[[], None]] = field(default_factory=list)  # e.g. wake the outbox dispatcher

    def _committed(self) -> None:
        for callback in self.on_commit:
            callback()

    # ------------------------------------------------------------------ creating
    async def create_ticket(
        self,
        *,
        subject: str,
        message: str = "",
        category: str | None = None,
        priority: str | Priority | None = None,
        requester: Actor | None = None,
        user_id: str | None = None,
        email: str | None = None,
        attachments: Sequence[Attachment] = (),
        idempotency_key: str | None = None,
    ) -> Ticket:
        """Open a ticket for ``requester`` (or ``Actor("api", user_id, email=email)``).

        The same ``idempotency_key`` again returns the ticket it made, with no second effect.
        """
        if requester is None:
            if not user_id:
                raise InvalidInput("a requester (user_id) is required")
            requester = Actor(platform="api", user_id=str(user_id), email=email)
        ticket = Ticket(
            id="",
            subject=clean_subject(subject),
            category=parse_category(category or "General", self.categories),
            priority=Priority.parse(priority or Priority.MEDIUM),
            status=Status.OPEN,
            requester=requester.as_person(),
            created_at=self.clock.now(),
            updated_at=self.clock.now(),
        )
        body = clean_body(message, required=False)
        async with UnitOfWork(self.engine) as uow:
            if idempotency_key:
                new, existing, _ = await uow.tickets.claim_key(idempotency_key, ticket.created_at)
                if not new and existing:
                    found = await uow.tickets.get(existing)
                    assert found is not None
                    return found[1]
            await self._check_open_limit(uow, requester)
            await self._insert_ticket(uow, ticket, body, attachments, requester)
            if idempotency_key:
                await uow.tickets.bind_key(idempotency_key, ticket.id)
        self._committed()
        log.info("ticket opened", extra={"ticket_id": ticket.id, "platform": requester.platform})
        return ticket

    async def _check_open_limit(self, uow: UnitOfWork, requester: Actor) -> None:
        if self.max_open_per_user is None or requester.is_staff:
            return
        if uow.tickets.conn.dialect.name == "postgresql":  # serialise one requester's concurrent opens
            await uow.tickets.conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": "open:" + requester.key}
            )
        if await uow.tickets.count_open_for(requester) >= self.max_open_per_user:
            raise LimitReached(
                f"you already have {self.max_open_per_user} open tickets; close one or reply in an existing ticket"
            )

    async def _insert_ticket(
        self, uow: UnitOfWork, ticket: Ticket, body: str, attachments: Sequence[Attachment], actor: Actor
    ) -> int:
        lifecycle.open_new(ticket, self.rules)
        for _ in range(ID_ATTEMPTS):
            ticket.id = self.ids()
            pk = await uow.tickets.insert_if_new(ticket)
            if pk is not None:
                break
            log.info("ticket id collision, drawing again", extra={"ticket_id": ticket.id})
        else:
            raise RuntimeError(f"no free ticket id after {ID_ATTEMPTS} attempts")
        if body or attachments:
            await uow.tickets.add_message(
                ticket_id=ticket.id,
                author=actor,
                role=Role.REQUESTER,
                body=body,
                internal=False,
                attachments=attachments,
                at=ticket.created_at,
            )
        await uow.search.index_ticket(pk, ticket.subject, body)
        await uow.stats.add(stats.difference(None, ticket))
        await uow.tickets.add_history([Change(ticket.id, "status", None, Status.OPEN.value, actor, ticket.created_at)])
        await uow.outbox.add([TicketOpened(ticket.id, actor.as_person())], self.consumers, ticket.created_at)
        return pk

    # ------------------------------------------------------------------ messages
    async def add_message(
        self,
        *,
        ticket_id: str,
        actor: Actor,
        content: str,
        attachments: Sequence[Attachment] = (),
        idempotency_key: str | None = None,
        origin: Link | None = None,
    ) -> Message:
        """A message typed in the ticket's conversation: the requester's reply, or a public staff reply."""
        return await self._message(ticket_id, actor, content, attachments, idempotency_key, origin, internal=False)

    async def reply_to_ticket(
        self,
        *,
        ticket_id: str,
        content: str,
        actor: Actor | None = None,
        user_id: str | None = None,
        attachments: Sequence[Attachment] = (),
        idempotency_key: str | None = None,
        origin: Link | None = None,
    ) -> Message:
        """The requester replies. Pending → Open; a closed ticket reopens within the reopen window, and
        after it the reply opens a new ticket that links the old one (the returned message says where)."""
        actor = actor or Actor(platform="api", user_id=str(user_id or ""))
        return await self._message(
            ticket_id, actor, content, attachments, idempotency_key, origin, internal=False, as_role=Role.REQUESTER
        )

    async def admin_reply_to_ticket(
        self,
        *,
        ticket_id: str,
        content: str,
        actor: Actor | None = None,
        staff_id: str | None = None,
        attachments: Sequence[Attachment] = (),
        idempotency_key: str | None = None,
        origin: Link | None = None,
    ) -> Message:
        """Support replies publicly: first response recorded, SLA judged, Open → Pending."""
        actor = actor or Actor(platform="api", user_id=str(staff_id or "admin"), is_staff=True)
        return await self._message(
            ticket_id, actor, content, attachments, idempotency_key, origin, internal=False, as_role=Role.STAFF
        )

    async def add_note(
        self,
        *,
        ticket_id: str,
        content: str,
        actor: Actor,
        attachments: Sequence[Attachment] = (),
        idempotency_key: str | None = None,
        origin: Link | None = None,
    ) -> Message:
        """An internal note: staff only, never shown to the requester, never changes the status."""
        return await self._message(
            ticket_id, actor, content, attachments, idempotency_key, origin, internal=True, as_role=Role.STAFF
        )

    async def _message(
        self,
        ticket_id: str,
        actor: Actor,
        content: str,
        attachments: Sequence[Attachment],
        idempotency_key: str | None,
        origin: Link | None,
        *,
        internal: bool,
        as_role: Role | None = None,
    ) -> Message:
        """Add a message in one transaction; ``origin`` (where it was typed on a platform) is saved with it."""
        tid = normalize_ticket_id(ticket_id)
        body = clean_body(content, required=not attachments)
        async with UnitOfWork(self.engine) as uow:
            now = self.clock.now()
            if idempotency_key:
                new, _, message_id = await uow.tickets.claim_key(idempotency_key, now)
                if not new and message_id is not None:
                    found = await uow.tickets.message(message_id)
                    assert found is not None
                    return found
            message = await self._add_message(uow, tid, actor, body, attachments, now, internal, as_role)
            if origin is not None:
                await uow.tickets.save_link(replace(origin, ticket_id=message.ticket_id, kind=origin_kind(message.id)))
            if idempotency_key:
                await uow.tickets.bind_key(idempotency_key, message.ticket_id, message.id)
        self._committed()
        return message

    async def _add_message(
        self, uow: UnitOfWork, tid: str, actor: Actor, body: str, attachments: Sequence[Attachment],
        now: datetime, internal: bool, as_role: Role | None,
    ) -> Message:  # fmt: skip
        pk, before = await self._load(uow, tid, actor, lock=True)
        role = as_role or (Role.REQUESTER if before.is_requester(actor) else Role.STAFF)
        if role is Role.REQUESTER and not before.is_requester(actor):
            raise NotPermitted(f"only the requester can reply to {tid} as the requester")
        if role is Role.STAFF and not actor.is_staff:
            raise NotPermitted("only support staff can do that")
        after = before.copy()
        if internal:
            changes: list[FieldChange] = []
        elif role is Role.STAFF:
            changes = lifecycle.staff_reply(after, now, self.rules)
        else:
            try:
                changes = lifecycle.requester_message(after, now, self.rules)
            except InvalidTransition:  # closed too long ago: the reply opens a follow-up ticket
                return await self._follow_up(uow, before, actor, body, attachments, now)
        message = await uow.tickets.add_message(
            ticket_id=tid, author=actor, role=role, body=body, internal=internal, attachments=attachments, at=now
        )
        await uow.search.append(pk, body, internal=internal)
        extra: list[Event] = [MessageAdded(tid, actor.as_person(), message.id, role.value, internal)]
        await self._persist(uow, before, after, changes, actor, now, extra)
        return message

    async def _follow_up(
        self, uow: UnitOfWork, old: Ticket, actor: Actor, body: str, attachments: Sequence[Attachment],
        now: datetime,
    ) -> Message:  # fmt: skip
        ticket = Ticket(
            id="", subject=old.subject, category=old.category, priority=old.priority, status=Status.OPEN,
            requester=old.requester, created_at=now, updated_at=now, reopened_from=old.id,
        )  # fmt: skip
        await self._check_open_limit(uow, actor)
        await self._insert_ticket(uow, ticket, body, attachments, actor)
        thread = await uow.tickets.thread(ticket.id, include_internal=False)
        return thread[-1]

    # ------------------------------------------------------------------ changes
    async def admin_update_ticket_status(
        self, *, ticket_id: str, status: str | Status, actor: Actor | None = None, staff_id: str | None = None
    ) -> Ticket:
        actor = actor or Actor(platform="api", user_id=str(staff_id or "admin"), is_staff=True)
        new = Status.parse(status)
        return await self._change(
            ticket_id, actor, lambda t, now: lifecycle.set_status(t, new, now, self.rules), staff_only=True
        )

    async def close_ticket(self, *, ticket_id: str, actor: Actor, reason: str | None = None) -> Ticket:
        note = clean_body(reason or "", required=False)
        return await self._change(
            ticket_id, actor, lambda t, now: lifecycle.close(t, now, self.rules), system_note=note and f"Closed: {note}"
        )

    async def reopen_ticket(self, *, ticket_id: str, actor: Actor) -> Ticket:
        return await self._change(
            ticket_id, actor, lambda t, now: lifecycle.reopen(t, now, self.rules, by_staff=actor.is_staff)
        )

    async def assign_ticket(self, *, ticket_id: str, actor: Actor, assignee: Actor | None) -> Ticket:
        return await self._change(ticket_id, actor, lambda t, now: lifecycle.assign(t, assignee, now), staff_only=True)

    async def claim_ticket(self, *, ticket_id: str, actor: Actor) -> Ticket:
        return await self.assign_ticket(ticket_id=ticket_id, actor=actor, assignee=actor)

    async def set_priority(self, *, ticket_id: str, priority: str | Priority, actor: Actor) -> Ticket:
        new = Priority.parse(priority)
        return await self._change(
            ticket_id, actor, lambda t, now: lifecycle.set_priority(t, new, now, self.rules), staff_only=True
        )

    async def set_category(self, *, ticket_id: str, category: str, actor: Actor) -> Ticket:
        new = parse_category(category, self.categories)
        return await self._change(ticket_id, actor, lambda t, now: lifecycle.set_category(t, new, now), staff_only=True)

    async def rate_ticket(self, *, ticket_id: str, rating: int, actor: Actor) -> Ticket:
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            raise InvalidInput("a rating is a whole number from 1 to 5")
        tid = normalize_ticket_id(ticket_id)

        def apply(t: Ticket, now: datetime) -> list[FieldChange]:
            if not t.is_requester(actor):
                raise NotPermitted(f"only the requester can rate {tid}")
            return lifecycle.rate(t, rating, now)

        return await self._change(tid, actor, apply)

    async def _change(
        self,
        ticket_id: str,
        actor: Actor,
        apply: Callable[[Ticket, datetime], list[FieldChange]],
        *,
        staff_only: bool = False,
        system_note: str = "",
    ) -> Ticket:
        tid = normalize_ticket_id(ticket_id)
        if staff_only and not actor.is_staff:
            raise NotPermitted("only support staff can do that")
        async with UnitOfWork(self.engine) as uow:
            pk, before = await self._load(uow, tid, actor, lock=True)
            now = self.clock.now()
            after = before.copy()
            changes = apply(after, now)
            extra: list[Event] = []
            if system_note:
                message = await uow.tickets.add_message(
                    ticket_id=tid, author=actor, role=Role.SYSTEM, body=system_note, internal=False,
                    attachments=(), at=now,
                )  # fmt: skip
                await uow.search.append(pk, system_note, internal=False)
                extra.append(MessageAdded(tid, actor.as_person(), message.id, Role.SYSTEM.value, False))
            await self._persist(uow, before, after, changes, actor, now, extra)
        self._committed()
        return after

    async def _load(self, uow: UnitOfWork, tid: str, actor: Actor, *, lock: bool) -> tuple[int, Ticket]:
        found = await uow.tickets.get(tid, for_update=lock)
        if found is None or not (actor.is_staff or found[1].is_requester(actor)):
            raise NotFound(f"ticket {tid} not found")
        return found

    async def _persist(
        self,
        uow: UnitOfWork,
        before: Ticket,
        after: Ticket,
        changes: list[FieldChange],
        actor: Actor,
        now: datetime,
        extra_events: list[Event],
    ) -> None:
        """Write the ticket, its history, the statistics delta and the events of one change."""
        await uow.tickets.update(after)
        await uow.tickets.add_history(
            [Change(after.id, f, old, new, actor.as_person(), now) for f, old, new in changes]
        )
        delta = stats.difference(before, after)
        if delta:
            await uow.stats.add(delta)
        who = actor.as_person()
        events = list(extra_events)
        for name, old, new in changes:
            if name == "status":
                events.append(StatusChanged(after.id, who, old or "", new or ""))
            elif name == "rating":
                events.append(TicketRated(after.id, who, after.rating or 0))
            else:
                events.append(TicketUpdated(after.id, who, name, old, new))
        await uow.outbox.add(events, self.consumers, now)

    # ------------------------------------------------------------------ reading
    async def get_ticket(self, *, ticket_id: str, actor: Actor) -> Ticket:
        async with UnitOfWork(self.engine, read_only=True) as uow:
            return (await self._load(uow, normalize_ticket_id(ticket_id), actor, lock=False))[1]

    async def get_thread(self, *, ticket_id: str, actor: Actor) -> list[Message]:
        tid = normalize_ticket_id(ticket_id)
        async with UnitOfWork(self.engine, read_only=True) as uow:
            await self._load(uow, tid, actor, lock=False)
            return await uow.tickets.thread(tid, include_internal=actor.is_staff)

    async def load_ticket(self, ticket_id: str) -> Ticket:
        """For notifiers: the ticket's current state, without a permission check."""
        return await self.get_ticket(ticket_id=ticket_id, actor=Actor.system())

    async def get_message(self, message_id: int) -> Message:
        async with UnitOfWork(self.engine, read_only=True) as uow:
            found = await uow.tickets.message(message_id)
        if found is None:
            raise NotFound(f"message {message_id} not found")
        return found

    async def history(self, *, ticket_id: str, actor: Actor) -> list[Change]:
        tid = normalize_ticket_id(ticket_id)
        async with UnitOfWork(self.engine, read_only=True) as uow:
            await self._load(uow, tid, actor, lock=False)
            return await uow.tickets.history(tid)

    async def list_tickets(
        self,
        *,
        actor: Actor,
        status: str | Status | Sequence[str | Status] | None = None,
        mine: bool = False,
        limit: int = 20,
        offset: int = 0,
    ) -> list[Ticket]:
        """Requesters see their own tickets, newest first. Staff see the queue: unassigned first, then by SLA
        due time; ``mine`` narrows staff to their assigned tickets. ``status`` defaults to not closed."""
        limit, offset = _page(limit, offset)
        if status is None:
            statuses = [Status.OPEN, Status.PENDING]
        elif isinstance(status, str | Status):
            statuses = [Status.parse(status)]
        else:
            statuses = [Status.parse(s) for s in status]
        stmt = select(tickets).where(tickets.c.status.in_([s.value for s in statuses]))
        if not actor.is_staff:
            stmt = stmt.where(
                tickets.c.requester_platform == actor.platform, tickets.c.requester_id == actor.user_id
            ).order_by(tickets.c.created_at.desc())
        else:
            if mine:
                stmt = stmt.where(
                    and_(tickets.c.assignee_platform == actor.platform, tickets.c.assignee_id == actor.user_id)
                )
            stmt = stmt.order_by(
                case((tickets.c.assignee_id.is_(None), 0), else_=1),
                case((tickets.c.sla_due_at.is_(None), 1), else_=0),
                tickets.c.sla_due_at,
                tickets.c.created_at,
            )
        async with UnitOfWork(self.engine, read_only=True) as uow:
            rows = await uow.tickets.conn.execute(stmt.limit(limit).offset(offset))
            return [ticket_from_row(r) for r in rows]

    async def search(self, *, query: str | SearchQuery, actor: Actor, limit: int = 20, offset: int = 0) -> SearchPage:
        """Search with the query language of ``core.search``; requesters search only their own tickets."""
        limit, offset = _page(limit, offset)
        parsed = (
            query
            if isinstance(query, SearchQuery)
            else parse_query(query, now=self.clock.now(), categories=self.categories)
        )
        parsed = _resolve_me(parsed, actor)
        requester = None if actor.is_staff else actor
        async with UnitOfWork(self.engine, read_only=True) as uow:
            items, total = await uow.search.search(
                parsed, requester=requester, staff=actor.is_staff, limit=limit, offset=offset
            )
        return SearchPage(items=items, total=total, offset=offset)

    async def stats(self, *, actor: Actor, now: datetime | None = None, oldest: int = 5) -> stats.Stats:
        """All-time figures from the maintained aggregates, plus last-24 h / 7 d counts from indexed ranges."""
        if not actor.is_staff:
            raise NotPermitted("only support staff can see statistics")
        now = now or self.clock.now()
        async with UnitOfWork(self.engine, read_only=True) as uow:
            result = stats.summarize(await uow.stats.rows())
            day, week = now - timedelta(days=1), now - timedelta(days=7)
            result.opened_24h = await uow.stats.count_created_between(day, now)
            result.closed_24h = await uow.stats.count_closed_between(day, now)
            result.opened_7d = await uow.stats.count_created_between(week, now)
            result.closed_7d = await uow.stats.count_closed_between(week, now)
            result.oldest_open = await uow.stats.oldest_open(oldest)
        result.generated_at = now
        return result

    async def due_tickets(self, *, before: datetime, limit: int = 100) -> list[Ticket]:
        """Tickets whose SLA response is due before ``before``, soonest first (one indexed range scan)."""
        stmt = (
            select(tickets)
            .where(tickets.c.sla_due_at.is_not(None), tickets.c.sla_due_at <= before)
            .order_by(tickets.c.sla_due_at)
            .limit(limit)
        )
        async with UnitOfWork(self.engine, read_only=True) as uow:
            return [ticket_from_row(r) for r in await uow.tickets.conn.execute(stmt)]

    # ------------------------------------------------------------------ platform links, idempotency
    async def save_link(self, link: Link) -> None:
        async with UnitOfWork(self.engine) as uow:
            await uow.tickets.save_link(link)

    async def get_link(self, *, ticket_id: str, platform: str, kind: str) -> Link | None:
        async with UnitOfWork(self.engine, read_only=True) as uow:
            return await uow.tickets.get_link(normalize_ticket_id(ticket_id), platform, kind)

    async def find_ticket_by_link(
        self, *, platform: str, channel_id: str, thread_id: str | None = None, kind: str | None = None
    ) -> Ticket | None:
        async with UnitOfWork(self.engine, read_only=True) as uow:
            tid = await uow.tickets.find_by_link(platform, channel_id, thread_id, kind)
            if tid is None:
                return None
            found = await uow.tickets.get(tid)
            return found[1] if found else None


def _page(limit: int, offset: int) -> tuple[int, int]:
    if limit < 1 or offset < 0:
        raise InvalidInput("page size must be positive and offset not negative")
    return min(limit, MAX_PAGE), offset


def _resolve_me(query: SearchQuery, actor: Actor) -> SearchQuery:
    def swap(values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(actor.user_id if v.lower() == "me" else v for v in values)

    return replace(query, requesters=swap(query.requesters), assignees=swap(query.assignees))
