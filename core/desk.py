"""The service layer: every command a person can give (``core.commands``), carried out in one transaction.

``Desk.execute(command, actor)`` looks the command up in one handler table, checks permissions and rules,
applies the status machine (``core.lifecycle``) and writes the ticket, its history, the statistics delta and
the outbox events together — a change and its consequences land together or not at all. Every adapter (chat,
CLI, REST) goes through ``execute``; the seed-named methods at the end (``create_ticket``,
``admin_reply_to_ticket``…) are the same commands for Python callers.

Rules decided here, once, for every platform: a requester reads, replies to, closes, reopens and rates only
their own tickets (anyone else's answer ``NotFound``) and may search their own; staff-only commands answer
``NotPermitted``; an assignee must be staff. SQL lives in ``core.storage``; transactions are sync functions
handed to the ``Database`` port (see ``core.ports``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from core import lifecycle, stats, timers
from core.commands import (
    OPEN_STATUSES,
    AddNote,
    Assign,
    Changed,
    ChangeStatus,
    Claim,
    Close,
    Command,
    History,
    ListTickets,
    OpenTicket,
    Page,
    Posted,
    Rate,
    Reopen,
    Reply,
    Resolver,
    Result,
    Search,
    SetCategory,
    SetPriority,
    ShowHistory,
    Shown,
    ShowStats,
    ShowTicket,
    SystemMessage,
    UserRef,
)
from core.delivery import Deliveries
from core.errors import InvalidInput, InvalidTransition, LimitReached, NotFound, NotPermitted
from core.events import DigestDue, Event, MessageAdded
from core.ids import TicketIdGenerator, normalize_ticket_id
from core.lifecycle import Rules
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
    clean_email,
    clean_subject,
    origin_kind,
    parse_category,
)
from core.ports import Clock, Database, SystemClock
from core.queries import Queries
from core.timers import DigestPlan, TimerKind

if TYPE_CHECKING:
    from core.search import SearchQuery
    from core.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

ID_ATTEMPTS = 20
MAX_PAGE = 100
REASON_MAX = 500

Apply = Callable[[Ticket, datetime], list[Event]]


@dataclass
class Desk:
    """The support desk. Build one per process (see ``bot.bootstrap``); it holds no ticket state.

    ``queries`` (the read port) and ``deliveries`` (links, do-it-once steps) serve notifiers and views.
    """

    db: Database
    clock: Clock = field(default_factory=SystemClock)
    ids: Callable[[], str] = field(default_factory=TicketIdGenerator)
    categories: Sequence[str] = DEFAULT_CATEGORIES
    rules: Rules = field(default_factory=Rules)
    max_open_per_user: int | None = None
    consumers: list[str] = field(default_factory=list)  # outbox consumers, one row per event each
    digest: DigestPlan | None = None  # when and where the daily digest goes (None: no digest)
    on_commit: list[Callable[[], None]] = field(default_factory=list)  # e.g. wake the outbox dispatcher
    queries: Queries = field(init=False)
    deliveries: Deliveries = field(init=False)

    def __post_init__(self) -> None:
        if not self.categories:
            raise ValueError("at least one category is needed")
        self.queries = Queries(self.db)
        self.deliveries = Deliveries(self.db, self.clock)

    @property
    def default_category(self) -> str:
        return self.categories[0]

    # ------------------------------------------------------------------ the one entry point
    async def execute(self, command: Command, actor: Actor, *, resolve: Resolver | None = None) -> Result:
        """Carry out ``command`` for ``actor``. ``resolve`` maps a ``UserRef`` (``@ann``) to a person.

        Raises a ``TicketError`` (with a message fit to show the user) when the command is refused; nothing
        has changed then.
        """
        handler = _HANDLERS.get(type(command))
        if handler is None:
            raise TypeError(f"no handler for {type(command).__name__}")
        if isinstance(command, Assign) and isinstance(command.assignee, UserRef):
            command = replace(command, assignee=await _resolve(command.assignee, actor, resolve))
        return await handler(self, command, actor)

    async def _write(self, fn: Callable[[UnitOfWork], Any]) -> Any:
        result = await self.db.write(fn)
        for callback in self.on_commit:
            callback()
        return result

    # ------------------------------------------------------------------ opening
    async def _open(self, cmd: OpenTicket, actor: Actor) -> Changed:
        requester = cmd.requester or actor
        if not requester.same_person(actor) and not actor.is_staff:
            raise NotPermitted("only support staff can open a ticket for someone else")
        if requester.email:
            requester = replace(requester, email=clean_email(requester.email))
        now = self.clock.now()
        ticket = Ticket(
            id="",
            subject=clean_subject(cmd.subject),
            category=parse_category(cmd.category or self.default_category, self.categories),
            priority=Priority.parse(cmd.priority or Priority.MEDIUM),
            status=Status.OPEN,
            requester=requester.as_person(),
            created_at=now,
            updated_at=now,
        )
        body = clean_body(cmd.description, required=False)
        key = cmd.idempotency_key

        def tx(uow: UnitOfWork) -> Changed:
            if key:
                new, existing, _ = uow.tickets.claim_key(key, now)
                if not new and existing:
                    return Changed(self._get(uow, existing)[1])
            self._check_open_limit(uow, requester)
            events = self._insert_ticket(uow, ticket, body, cmd.attachments, requester)
            if key:
                uow.tickets.bind_key(key, ticket.id)
            return Changed(ticket, tuple(events))

        result: Changed = await self._write(tx)
        if result.events:
            log.info("ticket opened", extra={"ticket_id": ticket.id, "platform": requester.platform})
        return result

    def _check_open_limit(self, uow: UnitOfWork, requester: Actor) -> None:
        if self.max_open_per_user is None or requester.is_staff:
            return
        uow.tickets.lock_requester(requester)
        if uow.tickets.count_open_for(requester) >= self.max_open_per_user:
            raise LimitReached(
                f"you already have {self.max_open_per_user} open tickets; close one or reply in an existing ticket"
            )

    def _insert_ticket(
        self, uow: UnitOfWork, ticket: Ticket, body: str, attachments: Sequence[Attachment], author: Actor
    ) -> list[Event]:
        lifecycle.open_new(ticket, self.rules)
        for _ in range(ID_ATTEMPTS):
            ticket.id = self.ids()
            pk = uow.tickets.insert_if_new(ticket)
            if pk is not None:
                break
            log.info("ticket id collision, drawing again", extra={"ticket_id": ticket.id})
        else:
            raise RuntimeError(f"no free ticket id after {ID_ATTEMPTS} attempts")
        who = author.as_person()
        if body or attachments:  # the description: shown with the opening, so no MessageAdded of its own
            uow.tickets.add_message(
                ticket_id=ticket.id, author=author, role=Role.REQUESTER, body=body, internal=False,
                attachments=attachments, at=ticket.created_at,
            )  # fmt: skip
        uow.search.index_ticket(pk, ticket.subject, body)
        uow.stats.add(stats.difference(None, ticket))
        uow.tickets.add_history([Change(ticket.id, "status", None, Status.OPEN.value, who, ticket.created_at)])
        uow.timers.apply(ticket.id, timers.reschedule(None, ticket, ticket.created_at, self.rules), ticket.created_at)
        events: list[Event] = [timers.opened(ticket, who, self.rules.sla)]
        uow.outbox.add(events, self.consumers, ticket.created_at)
        return events

    # ------------------------------------------------------------------ messages
    async def _post(self, cmd: Reply | AddNote | SystemMessage, actor: Actor) -> Posted:
        """The one message entry point: a public reply (either side), an internal note or a system line."""
        if isinstance(cmd, SystemMessage) and actor.platform != "system":
            raise NotPermitted("only ticketbot itself posts system messages")
        tid = normalize_ticket_id(cmd.ticket_id)
        internal = isinstance(cmd, AddNote)
        body = clean_body(cmd.body, required=not cmd.attachments)
        key = cmd.idempotency_key

        def tx(uow: UnitOfWork) -> Posted:
            now = self.clock.now()
            if key:
                new, _, message_id = uow.tickets.claim_key(key, now)
                if not new and message_id is not None:
                    message = uow.tickets.message(message_id)
                    assert message is not None
                    return Posted(message, self._get(uow, message.ticket_id)[1], (), tid)
            posted = self._add_message(uow, cmd, tid, actor, body, now, internal)
            if cmd.origin is not None:
                origin = replace(cmd.origin, ticket_id=posted.ticket.id, kind=origin_kind(posted.message.id))
                uow.tickets.save_link(origin)
            if key:
                uow.tickets.bind_key(key, posted.ticket.id, posted.message.id)
            return posted

        result: Posted = await self._write(tx)
        return result

    def _add_message(
        self, uow: UnitOfWork, cmd: Reply | AddNote | SystemMessage, tid: str, actor: Actor, body: str,
        now: datetime, internal: bool,
    ) -> Posted:  # fmt: skip
        pk, before = self._load(uow, tid, actor, lock=True)
        if isinstance(cmd, SystemMessage):  # no side in the conversation: the status stays as it is
            return self._insert_message(uow, pk, before, before.copy(), [], cmd, actor, Role.SYSTEM, body, now, False)
        as_staff = True if internal else getattr(cmd, "as_staff", None)
        if as_staff is None:
            as_staff = not before.is_requester(actor)
        role = Role.STAFF if as_staff else Role.REQUESTER
        if role is Role.REQUESTER and not before.is_requester(actor):
            raise NotPermitted(f"only the requester can reply to {tid} as the requester")
        if role is Role.STAFF:
            require_staff(actor)
        after = before.copy()
        if internal:
            events: list[Event] = []
        elif role is Role.STAFF:
            events = lifecycle.staff_reply(after, now, self.rules, actor)
        else:
            try:
                events = lifecycle.requester_message(after, now, self.rules, actor)
            except InvalidTransition:  # closed too long ago: the reply opens a follow-up ticket
                return self._follow_up(uow, before, actor, body, cmd.attachments, now)
        return self._insert_message(uow, pk, before, after, events, cmd, actor, role, body, now, internal)

    def _insert_message(
        self, uow: UnitOfWork, pk: int, before: Ticket, after: Ticket, events: list[Event],
        cmd: Reply | AddNote | SystemMessage, actor: Actor, role: Role, body: str, now: datetime, internal: bool,
    ) -> Posted:  # fmt: skip
        tid = before.id
        message = uow.tickets.add_message(
            ticket_id=tid, author=actor, role=role, body=body, internal=internal, attachments=cmd.attachments, at=now
        )
        uow.search.append(pk, body, internal=internal)
        events.insert(0, MessageAdded(tid, actor.as_person(), message.id, role, internal))
        self._persist(uow, before, after, events, now)
        return Posted(message, after, tuple(events), tid)

    def _follow_up(
        self, uow: UnitOfWork, old: Ticket, actor: Actor, body: str, attachments: Sequence[Attachment],
        now: datetime,
    ) -> Posted:  # fmt: skip
        ticket = Ticket(
            id="", subject=old.subject, category=old.category, priority=old.priority, status=Status.OPEN,
            requester=old.requester, created_at=now, updated_at=now, reopened_from=old.id,
        )  # fmt: skip
        self._check_open_limit(uow, actor)
        events = self._insert_ticket(uow, ticket, body, attachments, actor)
        message = uow.tickets.thread(ticket.id, include_internal=False)[-1]
        return Posted(message, ticket, tuple(events), old.id)

    # ------------------------------------------------------------------ changes
    async def _change_status(self, cmd: ChangeStatus, actor: Actor) -> Changed:
        new = Status.parse(cmd.status)
        return await self._change(
            cmd.ticket_id, actor, lambda t, now: lifecycle.set_status(t, new, now, self.rules, actor), staff_only=True
        )

    async def _close(self, cmd: Close, actor: Actor) -> Changed:
        reason = clean_body(cmd.reason or "", required=False) or None
        if reason and len(reason) > REASON_MAX:
            raise InvalidInput(f"the reason is {len(reason)} characters; at most {REASON_MAX} are allowed")
        return await self._change(
            cmd.ticket_id, actor, lambda t, now: lifecycle.close(t, now, self.rules, actor, reason)
        )

    async def _reopen(self, cmd: Reopen, actor: Actor) -> Changed:
        return await self._change(cmd.ticket_id, actor, lambda t, now: lifecycle.reopen(t, now, self.rules, actor))

    async def _assign(self, cmd: Assign, actor: Actor) -> Changed:
        assignee = cmd.assignee
        assert not isinstance(assignee, UserRef)  # resolved by execute
        require_staff(actor)
        if assignee is not None and not assignee.is_staff:
            raise InvalidInput(f"{assignee.display} is not in the support team; only staff can be assigned")
        return await self._change(
            cmd.ticket_id, actor, lambda t, now: lifecycle.assign(t, assignee, now, actor), staff_only=True
        )

    async def _claim(self, cmd: Claim, actor: Actor) -> Changed:
        return await self._assign(Assign(cmd.ticket_id, actor), actor)

    async def _set_priority(self, cmd: SetPriority, actor: Actor) -> Changed:
        new = Priority.parse(cmd.priority)
        return await self._change(
            cmd.ticket_id, actor, lambda t, now: lifecycle.set_priority(t, new, now, self.rules, actor), staff_only=True
        )

    async def _set_category(self, cmd: SetCategory, actor: Actor) -> Changed:
        new = parse_category(cmd.category, self.categories)
        return await self._change(
            cmd.ticket_id, actor, lambda t, now: lifecycle.set_category(t, new, now, actor), staff_only=True
        )

    async def _rate(self, cmd: Rate, actor: Actor) -> Changed:
        rating = cmd.rating
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise InvalidInput("a rating is a whole number from 1 to 5")
        tid = normalize_ticket_id(cmd.ticket_id)

        def apply(t: Ticket, now: datetime) -> list[Event]:
            if not t.is_requester(actor):
                raise NotPermitted(f"only the requester can rate {tid}")
            return lifecycle.rate(t, rating, now, actor)

        return await self._change(tid, actor, apply)

    async def _change(self, ticket_id: str, actor: Actor, apply: Apply, *, staff_only: bool = False) -> Changed:
        tid = normalize_ticket_id(ticket_id)
        if staff_only:
            require_staff(actor)

        def tx(uow: UnitOfWork) -> Changed:
            _, before = self._load(uow, tid, actor, lock=True)
            now = self.clock.now()
            after = before.copy()
            events = apply(after, now)
            self._persist(uow, before, after, events, now)
            return Changed(after, tuple(events))

        result: Changed = await self._write(tx)
        return result

    def _load(self, uow: UnitOfWork, tid: str, actor: Actor, *, lock: bool) -> tuple[int, Ticket]:
        found = uow.tickets.get(tid, for_update=lock)
        if found is None or not (actor.is_staff or found[1].is_requester(actor)):
            raise NotFound(f"ticket {tid} not found")
        return found

    @staticmethod
    def _get(uow: UnitOfWork, tid: str) -> tuple[int, Ticket]:
        found = uow.tickets.get(tid)
        if found is None:
            raise NotFound(f"ticket {tid} not found")
        return found

    def _persist(self, uow: UnitOfWork, before: Ticket, after: Ticket, events: list[Event], now: datetime) -> None:
        """Write one change: see ``_persist_all``."""
        self._persist_all(uow, [(before, after, events)], now)

    def _persist_all(
        self, uow: UnitOfWork, changes: Sequence[tuple[Ticket, Ticket, list[Event]]], now: datetime
    ) -> None:
        """Write changed tickets, the history lines their events describe, the statistics delta, their timers and
        the events — one statement per kind however many tickets (the scheduler's tick changes many at once).

        Locks are taken in one order everywhere: the tickets, then the statistics rows (in key order), then the
        tickets' timers — so concurrent changes and ticks never deadlock.
        """
        uow.tickets.update_changed([(before, after) for before, after, _ in changes])
        uow.tickets.add_history(
            [Change(after.id, *line, e.actor, now) for _, after, events in changes for e in events
             if (line := e.history_line()) is not None]
        )  # fmt: skip
        deltas: dict[stats.Key, stats.Vector] = {}
        for before, after, _ in changes:
            stats.accumulate(deltas, stats.difference(before, after))
        if any(any(v for v in vec.values()) for vec in deltas.values()):
            uow.stats.add(deltas)
        for before, after, _ in changes:
            change = timers.reschedule(before, after, now, self.rules)
            if change:
                uow.timers.apply(after.id, change, now)
        uow.outbox.add([e for _, _, events in changes for e in events], self.consumers, now)

    # ------------------------------------------------------------------ time (the scheduler's work)
    async def fire_timers(self, limit: int = 100) -> int:
        """Turn due timers into events (``core.timers``): SLA warnings and breaches (the breach marks the ticket),
        stale reminders and auto-closes, the digest. One transaction: the timers taken are deleted with the
        events written, so each fires exactly once. Returns how many timers were taken."""
        now = self.clock.now()

        def tx(uow: UnitOfWork) -> int:
            taken = uow.timers.claim_due(now, limit)
            due: dict[str, tuple[Ticket, list[timers.Timer]]] = {}
            for timer, _, ticket in taken:
                due.setdefault(ticket.id, (ticket, []))[1].append(timer)
            changes: list[tuple[Ticket, Ticket, list[Event]]] = []
            then: list[timers.Timer] = []
            for before, ticket_timers in due.values():
                after, events = before.copy(), []
                for timer in ticket_timers:
                    closes_at = None
                    if timer.kind is TimerKind.STALE_REMIND:  # the close taken in this tick too, or still pending
                        closing = [t.due_at for t in ticket_timers if t.kind is TimerKind.STALE_CLOSE]
                        closes_at = min(closing) if closing else uow.timers.due_of(before.id, TimerKind.STALE_CLOSE)
                    firing = timers.fire(timer, after, now, self.rules, closes_at=closes_at)
                    events += firing.events
                    then += firing.then
                changes.append((before, after, events))
            self._persist_all(uow, changes, now)  # a breach marks its ticket; a stale close closes it
            uow.timers.add(then, now)
            return len(taken) + self._fire_digest(uow, now)

        fired: int = await self.db.write(tx)
        if fired:
            for callback in self.on_commit:
                callback()
        return fired

    def _fire_digest(self, uow: UnitOfWork, now: datetime) -> int:
        taken = uow.timers.claim_digest(now)
        if taken and self.digest is not None:
            day = self.digest.day_of(taken[-1].due_at)
            for consumer, event in self.digest.events(day).items():
                uow.outbox.add([event], [consumer], now)
            uow.timers.add([self.digest.timer(now)], now)
            log.info("digest for %s due in %s", day, ", ".join(self.digest.channels) or "no channel")
        return len(taken)

    async def schedule_digest(self) -> datetime | None:
        """Make sure the next digest is scheduled (at start-up; firing one schedules the next): returns when it
        posts. Replicas starting together agree on one row; a digest missed while nothing ran stays due and
        posts now; a changed posting time replaces the pending one."""
        plan = self.digest
        if plan is None or not plan.channels:
            return None
        now = self.clock.now()

        def tx(uow: UnitOfWork) -> datetime:
            pending = uow.timers.digest_timers()
            if any(t.due_at <= now for t in pending):
                return min(t.due_at for t in pending)
            want = plan.timer(now)
            uow.timers.remove(t.id for t in pending if t.due_at != want.due_at and t.id is not None)
            uow.timers.add([want], now)
            return want.due_at

        at: datetime = await self.db.write(tx)
        return at

    async def queue_digest(self) -> dict[str, DigestDue]:
        """Queue the digest of the last complete day for every digest channel now (``ticketbot digest --now``),
        even when that day's digest was posted already."""
        plan = self.digest
        if plan is None or not plan.channels:
            raise InvalidInput("no digest channel is configured")
        now = self.clock.now()
        queued = plan.events(plan.day_of(now), on_demand=True)

        def tx(uow: UnitOfWork) -> None:
            for consumer, event in queued.items():
                uow.outbox.add([event], [consumer], now)

        await self._write(tx)
        return queued  # by consumer

    # ------------------------------------------------------------------ reading
    async def _show(self, cmd: ShowTicket, actor: Actor) -> Shown:
        tid = normalize_ticket_id(cmd.ticket_id)

        def read(uow: UnitOfWork) -> Shown:
            ticket = self._load(uow, tid, actor, lock=False)[1]
            return Shown(ticket, tuple(uow.tickets.thread(tid, include_internal=actor.is_staff)))

        result: Shown = await self.db.read(read)
        return result

    async def _history(self, cmd: ShowHistory, actor: Actor) -> History:
        tid = normalize_ticket_id(cmd.ticket_id)

        def read(uow: UnitOfWork) -> History:
            self._load(uow, tid, actor, lock=False)
            return History(tid, tuple(uow.tickets.history(tid)))

        result: History = await self.db.read(read)
        return result

    async def _list(self, cmd: ListTickets, actor: Actor) -> Page:
        """Requesters see their own tickets, newest first. Staff see the queue: unassigned first, then by SLA
        due time; ``mine`` narrows staff to their assigned tickets. Default: not closed."""
        _check_page(cmd.limit, cmd.offset)
        statuses = tuple(Status.parse(s) for s in cmd.statuses) or OPEN_STATUSES

        def read(uow: UnitOfWork) -> tuple[list[Ticket], int, bool]:
            if actor.is_staff:
                mine = actor if cmd.mine else None
                return uow.tickets.queue_page(statuses, assignee=mine, limit=cmd.limit, offset=cmd.offset)
            return uow.tickets.requester_page(actor, statuses, limit=cmd.limit, offset=cmd.offset)

        items, total, capped = await self.db.read(read)
        return Page(tuple(items), total, cmd.offset, cmd.limit, capped, statuses=statuses, mine=cmd.mine)

    async def _search(self, cmd: Search, actor: Actor) -> Page:
        """The query language of ``core.search``; requesters search only their own tickets."""
        _check_page(cmd.limit, cmd.offset)
        from core.search import parse_query  # the query language, loaded by the first search

        parsed = _resolve_me(parse_query(cmd.query, now=self.clock.now(), categories=self.categories), actor)
        requester = None if actor.is_staff else actor

        def read(uow: UnitOfWork) -> tuple[list[Ticket], int, bool]:
            return uow.search.search(
                parsed, requester=requester, staff=actor.is_staff, limit=cmd.limit, offset=cmd.offset
            )

        items, total, capped = await self.db.read(read)
        return Page(tuple(items), total, cmd.offset, cmd.limit, capped, query=cmd.query)

    async def _stats(self, cmd: ShowStats, actor: Actor) -> stats.Stats:
        """All-time figures from the maintained aggregates, plus last-24 h / 7 d counts from indexed ranges."""
        if not actor.is_staff:
            require_staff(actor, "see statistics")
        now = self.clock.now()

        def read(uow: UnitOfWork) -> stats.Stats:
            result = stats.summarize(uow.stats.rows())
            day, week = now - timedelta(days=1), now - timedelta(days=7)
            result.opened_24h = uow.stats.count_created_between(day, now)
            result.closed_24h = uow.stats.count_closed_between(day, now)
            result.opened_7d = uow.stats.count_created_between(week, now)
            result.closed_7d = uow.stats.count_closed_between(week, now)
            result.oldest_open = uow.stats.oldest_open(5)
            result.generated_at = now
            return result

        result: stats.Stats = await self.db.read(read)
        return result

    # ------------------------------------------------------------------ the source document's API
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
        command = OpenTicket(subject, message, category, priority, tuple(attachments), idempotency_key=idempotency_key)
        return (await self._open(command, requester)).ticket

    async def reply_to_ticket(
        self, *, ticket_id: str, content: str, actor: Actor | None = None, user_id: str | None = None,
        attachments: Sequence[Attachment] = (), idempotency_key: str | None = None,
    ) -> Message:  # fmt: skip
        """The requester replies. Pending → Open; a closed ticket reopens within the reopen window, and
        after it the reply opens a new ticket that links the old one (the returned message says where)."""
        actor = actor or Actor(platform="api", user_id=str(user_id or ""))
        command = Reply(ticket_id, content, tuple(attachments), False, idempotency_key)
        return (await self._post(command, actor)).message

    async def admin_reply_to_ticket(
        self, *, ticket_id: str, content: str, actor: Actor | None = None, staff_id: str | None = None,
        attachments: Sequence[Attachment] = (), idempotency_key: str | None = None,
    ) -> Message:  # fmt: skip
        """Support replies publicly: first response recorded, SLA judged, Open → Pending."""
        actor = actor or Actor(platform="api", user_id=str(staff_id or "admin"), is_staff=True)
        command = Reply(ticket_id, content, tuple(attachments), True, idempotency_key)
        return (await self._post(command, actor)).message

    async def add_message(
        self, *, ticket_id: str, actor: Actor, content: str, attachments: Sequence[Attachment] = (),
        idempotency_key: str | None = None, origin: Link | None = None,
    ) -> Message:  # fmt: skip
        """A public message by whoever ``actor`` is on this ticket (the requester, or staff)."""
        command = Reply(ticket_id, content, tuple(attachments), None, idempotency_key, origin)
        return (await self._post(command, actor)).message

    async def add_note(
        self, *, ticket_id: str, content: str, actor: Actor, attachments: Sequence[Attachment] = (),
        idempotency_key: str | None = None, origin: Link | None = None,
    ) -> Message:  # fmt: skip
        """An internal note: staff only, never shown to the requester, never changes the status."""
        command = AddNote(ticket_id, content, tuple(attachments), idempotency_key, origin)
        return (await self._post(command, actor)).message

    async def admin_update_ticket_status(
        self, *, ticket_id: str, status: str | Status, actor: Actor | None = None, staff_id: str | None = None
    ) -> Ticket:
        actor = actor or Actor(platform="api", user_id=str(staff_id or "admin"), is_staff=True)
        return (await self._change_status(ChangeStatus(ticket_id, status), actor)).ticket

    async def close_ticket(self, *, ticket_id: str, actor: Actor, reason: str | None = None) -> Ticket:
        return (await self._close(Close(ticket_id, reason), actor)).ticket

    async def reopen_ticket(self, *, ticket_id: str, actor: Actor) -> Ticket:
        return (await self._reopen(Reopen(ticket_id), actor)).ticket

    async def assign_ticket(self, *, ticket_id: str, actor: Actor, assignee: Actor | None) -> Ticket:
        return (await self._assign(Assign(ticket_id, assignee), actor)).ticket

    async def claim_ticket(self, *, ticket_id: str, actor: Actor) -> Ticket:
        return (await self._claim(Claim(ticket_id), actor)).ticket

    async def set_priority(self, *, ticket_id: str, priority: str | Priority, actor: Actor) -> Ticket:
        return (await self._set_priority(SetPriority(ticket_id, priority), actor)).ticket

    async def set_category(self, *, ticket_id: str, category: str, actor: Actor) -> Ticket:
        return (await self._set_category(SetCategory(ticket_id, category), actor)).ticket

    async def rate_ticket(self, *, ticket_id: str, rating: int, actor: Actor) -> Ticket:
        return (await self._rate(Rate(ticket_id, rating), actor)).ticket

    async def get_ticket(self, *, ticket_id: str, actor: Actor) -> Ticket:
        return (await self._show(ShowTicket(ticket_id), actor)).ticket

    async def get_thread(self, *, ticket_id: str, actor: Actor) -> list[Message]:
        return list((await self._show(ShowTicket(ticket_id), actor)).thread)

    async def history(self, *, ticket_id: str, actor: Actor) -> list[Change]:
        return list((await self._history(ShowHistory(ticket_id), actor)).changes)

    async def list_tickets(
        self,
        *,
        actor: Actor,
        status: str | Status | Sequence[str | Status] | None = None,
        mine: bool = False,
        limit: int = 20,
        offset: int = 0,
    ) -> list[Ticket]:
        if status is None:
            statuses = OPEN_STATUSES
        elif isinstance(status, str | Status):
            statuses = (Status.parse(status),)
        else:
            statuses = tuple(Status.parse(s) for s in status)
        return list((await self._list(ListTickets(statuses, mine, limit, offset), actor)).items)

    async def search(self, *, query: str, actor: Actor, limit: int = 20, offset: int = 0) -> Page:
        return await self._search(Search(query, limit, offset), actor)

    async def stats(self, *, actor: Actor) -> stats.Stats:
        return await self._stats(ShowStats(), actor)


_HANDLERS: dict[type[Command], Callable[[Desk, Any, Actor], Awaitable[Result]]] = {
    OpenTicket: Desk._open,
    Reply: Desk._post,
    AddNote: Desk._post,
    SystemMessage: Desk._post,
    ChangeStatus: Desk._change_status,
    Close: Desk._close,
    Reopen: Desk._reopen,
    Assign: Desk._assign,
    Claim: Desk._claim,
    SetPriority: Desk._set_priority,
    SetCategory: Desk._set_category,
    Rate: Desk._rate,
    ShowTicket: Desk._show,
    ShowHistory: Desk._history,
    ListTickets: Desk._list,
    Search: Desk._search,
    ShowStats: Desk._stats,
}
"""The handler table: one desk method per command (cosmicpython's message bus, without the bus)."""


def require_staff(actor: Actor, what: str = "do that") -> None:
    """The one staff rule; adapters call it for platform-only affordances (posting Discord's ticket panel)."""
    if not actor.is_staff:
        raise NotPermitted(f"only support staff can {what}")


async def _resolve(ref: UserRef, actor: Actor, resolve: Resolver | None) -> Actor | None:
    text = ref.text.strip()
    if text.lower() in ("none", "nobody", "-"):
        return None
    if text.lower() == "me":
        return actor
    found = await resolve(text) if resolve is not None else None
    if found is None:
        raise InvalidInput(f"unknown user {text[:40]!r}")
    return found


def _check_page(limit: int, offset: int) -> None:
    if limit < 1 or offset < 0:
        raise InvalidInput("a page size must be positive and an offset not negative")
    if limit > MAX_PAGE:
        raise InvalidInput(f"a page holds at most {MAX_PAGE} tickets; ask for the next page to see more")


def _resolve_me(query: SearchQuery, actor: Actor) -> SearchQuery:
    def swap(values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(actor.user_id if v.lower() == "me" else v for v in values)

    return replace(query, requesters=swap(query.requesters), assignees=swap(query.assignees))
