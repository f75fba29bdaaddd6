"""Commands: everything a person can ask of the desk, as frozen values, and the typed results.

Every entry point builds these — the ``/ticket`` grammar (console, Slack), Discord's slash options and
buttons, Slack's buttons and modals, the CLI, the REST API — and hands them to ``Desk.execute`` with the
actor who asked. Permissions and rules are decided there, once; an adapter only translates and renders.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from core.events import Event, StatusChanged
from core.model import Actor, Attachment, Change, Link, Message, Priority, Status, Ticket
from core.stats import Stats

Resolver = Callable[[str], Awaitable[Actor | None]]
"""Maps a user reference typed in chat (``@ann``, ``<@U123>``, an id) to a person, with ``is_staff`` set by
the platform that knows; ``None`` when nobody matches."""

OPEN_STATUSES: tuple[Status, ...] = (Status.OPEN, Status.PENDING)


class Command:
    """Base of every command (a marker: handlers are looked up by the concrete class)."""


@dataclass(frozen=True)
class OpenTicket(Command):
    """Open a ticket. ``requester`` lets staff open one on someone's behalf (default: the actor)."""

    subject: str
    description: str = ""
    category: str | None = None
    priority: Priority | str | None = None
    attachments: tuple[Attachment, ...] = ()
    requester: Actor | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Reply(Command):
    """A public message in the ticket's conversation. ``as_staff``: None = by who the actor is (the requester
    writes as requester, anyone else as staff); True/False insist on one side."""

    ticket_id: str
    body: str
    attachments: tuple[Attachment, ...] = ()
    as_staff: bool | None = None
    idempotency_key: str | None = None
    origin: Link | None = None  # where it was typed on a platform (saved with the message)


@dataclass(frozen=True)
class AddNote(Command):
    """An internal note: staff only, never shown to the requester, never changes the status."""

    ticket_id: str
    body: str
    attachments: tuple[Attachment, ...] = ()
    idempotency_key: str | None = None
    origin: Link | None = None


@dataclass(frozen=True)
class SystemMessage(Command):
    """A public line from ticketbot itself (an alert fired again, an integration recovered): shown in the
    conversation, changes no status. Only the system actor (``Actor.system()``) posts one."""

    ticket_id: str
    body: str
    attachments: tuple[Attachment, ...] = ()
    idempotency_key: str | None = None
    origin: Link | None = None


@dataclass(frozen=True)
class ChangeStatus(Command):
    ticket_id: str
    status: Status | str


@dataclass(frozen=True)
class Close(Command):
    ticket_id: str
    reason: str | None = None


@dataclass(frozen=True)
class Reopen(Command):
    ticket_id: str


@dataclass(frozen=True)
class UserRef:
    """A person as typed in chat, resolved by the adapter's ``Resolver`` when the command runs."""

    text: str


@dataclass(frozen=True)
class Assign(Command):
    """``assignee``: a person, a reference to resolve, or None to unassign. The assignee must be staff."""

    ticket_id: str
    assignee: Actor | UserRef | None


@dataclass(frozen=True)
class Claim(Command):
    """Assign the ticket to the actor."""

    ticket_id: str


@dataclass(frozen=True)
class SetPriority(Command):
    ticket_id: str
    priority: Priority | str


@dataclass(frozen=True)
class SetCategory(Command):
    ticket_id: str
    category: str


@dataclass(frozen=True)
class Rate(Command):
    ticket_id: str
    rating: int


@dataclass(frozen=True)
class ShowTicket(Command):
    ticket_id: str


@dataclass(frozen=True)
class ShowHistory(Command):
    ticket_id: str


@dataclass(frozen=True)
class ListTickets(Command):
    """Requesters: their own tickets, newest first. Staff: the queue (``mine``: assigned to the actor)."""

    statuses: tuple[Status, ...] = OPEN_STATUSES
    mine: bool = False
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class Search(Command):
    """The query language of ``core.search``; requesters search their own tickets."""

    query: str
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class ShowStats(Command):
    """All-time statistics (staff)."""


# ------------------------------------------------------------------------------------------------ results
@dataclass(frozen=True)
class Changed:
    """A ticket was opened or changed: its state now and the events the change caused."""

    ticket: Ticket
    events: tuple[Event, ...] = ()

    @property
    def status_change(self) -> StatusChanged | None:
        return next((e for e in self.events if isinstance(e, StatusChanged)), None)


@dataclass(frozen=True)
class Posted:
    """A message was added. ``ticket`` is where it landed: a reply to a ticket closed too long ago opens a
    follow-up, so ``ticket.id`` may differ from the id asked for (``followed_up`` says so)."""

    message: Message
    ticket: Ticket
    events: tuple[Event, ...] = ()
    asked_for: str = ""

    @property
    def followed_up(self) -> bool:
        return bool(self.asked_for) and self.ticket.id != self.asked_for

    @property
    def status_change(self) -> StatusChanged | None:
        return next((e for e in self.events if isinstance(e, StatusChanged)), None)


@dataclass(frozen=True)
class Shown:
    ticket: Ticket
    thread: tuple[Message, ...] = ()


@dataclass(frozen=True)
class History:
    ticket_id: str
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Page:
    """One page of a list or search. ``total`` is counted up to a cap (``total_capped``: "more than")."""

    items: tuple[Ticket, ...]
    total: int
    offset: int = 0
    limit: int = 20
    total_capped: bool = False
    query: str | None = None  # the search it answers, None for a list
    statuses: tuple[Status, ...] = field(default=OPEN_STATUSES)
    mine: bool = False

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total

    @property
    def first(self) -> int:
        """1-based position of the first item shown (0 when empty)."""
        return self.offset + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.offset + len(self.items)

    @property
    def page_number(self) -> int:
        return self.offset // self.limit + 1 if self.limit else 1


Result = Changed | Posted | Shown | History | Page | Stats
