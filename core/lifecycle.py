"""The status machine and the SLA clock, as pure functions on a ``Ticket``.

Each function mutates the ticket it is given and returns the events the change causes (``core.events``);
the desk writes them as history lines and outbox rows. The caller works on a copy and persists it.

Status rules (PRODUCT.md): Open = new or the requester wrote last; Pending = support answered and waits;
Closed = resolved. The SLA clock runs from ``waiting_since`` while the requester waits on support and stops
(``sla_due_at`` = None) when staff answer publicly, the ticket goes Pending, or it closes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.errors import InvalidTransition
from core.events import (
    AssigneeChanged,
    CategoryChanged,
    Event,
    PriorityChanged,
    StatusChanged,
    TicketRated,
)
from core.model import Actor, Priority, Status, Ticket
from core.sla import SlaPolicy


@dataclass(frozen=True)
class Rules:
    """``stale_remind_after`` / ``stale_close_after``: a Pending ticket with no answer from the requester gets one
    reminder / is closed this long after it became Pending (None: never; see ``core.timers``)."""

    sla: SlaPolicy = field(default_factory=SlaPolicy)
    reopen_window: timedelta = timedelta(days=7)
    pending_on_staff_reply: bool = True
    stale_remind_after: timedelta | None = timedelta(days=3)
    stale_close_after: timedelta | None = timedelta(days=7)


def _status(
    ticket: Ticket, new: Status, now: datetime, rules: Rules, actor: Actor, reason: str | None = None,
    *, by_message: bool = False,
) -> list[Event]:  # fmt: skip
    old = ticket.status
    if old is new:
        return []
    ticket.status = new
    if new is Status.CLOSED:
        ticket.closed_at = now
        ticket.close_reason = reason
        _stop_clock(ticket)
    elif new is Status.PENDING:
        _stop_clock(ticket)
    else:  # back to Open: the requester waits on support again
        if old is Status.CLOSED:
            ticket.reopened_at = now
            ticket.closed_at = None
            ticket.close_reason = None
        _start_clock(ticket, now, rules)
    ticket.updated_at = now
    return [StatusChanged(ticket.id, actor.as_person(), old, new, reason, by_message)]


def _start_clock(ticket: Ticket, now: datetime, rules: Rules) -> None:
    if ticket.waiting_since is None:
        ticket.waiting_since = now
        ticket.sla_due_at = rules.sla.due_at(now, ticket.priority)


def _stop_clock(ticket: Ticket) -> None:
    ticket.waiting_since = None
    ticket.sla_due_at = None


def open_new(ticket: Ticket, rules: Rules) -> None:
    """Start the first-response clock of a freshly created ticket."""
    _start_clock(ticket, ticket.created_at, rules)


def within_reopen_window(ticket: Ticket, now: datetime, rules: Rules) -> bool:
    return ticket.closed_at is not None and now - ticket.closed_at <= rules.reopen_window


def requester_message(ticket: Ticket, now: datetime, rules: Rules, actor: Actor) -> list[Event]:
    """A public message from the requester: Pending → Open, Closed (within the window) → reopened.

    A closed ticket past the reopen window raises ``InvalidTransition``; the desk then opens a new ticket.
    """
    events: list[Event] = []
    if ticket.status is Status.CLOSED:
        if not within_reopen_window(ticket, now, rules):
            raise InvalidTransition(f"{ticket.id} was closed more than {rules.reopen_window.days} days ago")
        events += _status(ticket, Status.OPEN, now, rules, actor, by_message=True)
    elif ticket.status is Status.PENDING:
        events += _status(ticket, Status.OPEN, now, rules, actor, by_message=True)
    else:
        _start_clock(ticket, now, rules)
    ticket.updated_at = now
    return events


def staff_reply(ticket: Ticket, now: datetime, rules: Rules, actor: Actor) -> list[Event]:
    """A public reply from support: records the first response, judges the SLA, stops the clock.

    The bot's own messages (an acknowledgement, a notice) are no response: the requester still waits on a person.
    """
    if ticket.status is Status.CLOSED:
        raise InvalidTransition(f"{ticket.id} is closed; reopen it before replying")
    if actor.is_bot:
        return []
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    if ticket.sla_due_at is not None and now > ticket.sla_due_at:
        ticket.sla_breached = True
    _stop_clock(ticket)
    events: list[Event] = []
    if ticket.status is Status.OPEN and rules.pending_on_staff_reply:
        events += _status(ticket, Status.PENDING, now, rules, actor, by_message=True)
    ticket.updated_at = now
    return events


def set_status(ticket: Ticket, new: Status, now: datetime, rules: Rules, actor: Actor) -> list[Event]:
    if ticket.status is new:
        raise InvalidTransition(f"{ticket.id} is already {new.value}")
    return _status(ticket, new, now, rules, actor)


def close(ticket: Ticket, now: datetime, rules: Rules, actor: Actor, reason: str | None = None) -> list[Event]:
    if ticket.status is Status.CLOSED:
        raise InvalidTransition(f"{ticket.id} is already closed")
    return _status(ticket, Status.CLOSED, now, rules, actor, reason or None)


def reopen(ticket: Ticket, now: datetime, rules: Rules, actor: Actor) -> list[Event]:
    if ticket.status is not Status.CLOSED:
        raise InvalidTransition(f"{ticket.id} is not closed")
    if not actor.is_staff and not within_reopen_window(ticket, now, rules):
        raise InvalidTransition(
            f"{ticket.id} was closed more than {rules.reopen_window.days} days ago; open a new ticket"
        )
    return _status(ticket, Status.OPEN, now, rules, actor)


def set_priority(ticket: Ticket, priority: Priority, now: datetime, rules: Rules, actor: Actor) -> list[Event]:
    if ticket.priority is priority:
        raise InvalidTransition(f"{ticket.id} is already {priority.value} priority")
    old = ticket.priority
    ticket.priority = priority
    if ticket.waiting_since is not None:  # the running clock now counts against the new target
        ticket.sla_due_at = rules.sla.due_at(ticket.waiting_since, priority)
    ticket.updated_at = now
    return [PriorityChanged(ticket.id, actor.as_person(), old, priority)]


def set_category(ticket: Ticket, category: str, now: datetime, actor: Actor) -> list[Event]:
    if ticket.category == category:
        raise InvalidTransition(f"{ticket.id} is already in {category}")
    old = ticket.category
    ticket.category = category
    ticket.updated_at = now
    return [CategoryChanged(ticket.id, actor.as_person(), old, category)]


def assign(ticket: Ticket, assignee: Actor | None, now: datetime, actor: Actor) -> list[Event]:
    old = ticket.assignee
    if (old is None and assignee is None) or (assignee is not None and assignee.same_person(old)):
        who = assignee.display if assignee else "nobody"
        raise InvalidTransition(f"{ticket.id} is already assigned to {who}")
    ticket.assignee = assignee.as_person() if assignee else None
    ticket.updated_at = now
    return [AssigneeChanged(ticket.id, actor.as_person(), old, ticket.assignee)]


def rate(ticket: Ticket, rating: int, now: datetime, actor: Actor) -> list[Event]:
    """The requester rates a closed ticket, once (a rating is a verdict, not a slider)."""
    if ticket.status is not Status.CLOSED:
        raise InvalidTransition(f"{ticket.id} can be rated once it is closed")
    if ticket.rating is not None:
        raise InvalidTransition(f"{ticket.id} was already rated {ticket.rating}/5")
    ticket.rating = rating
    ticket.updated_at = now
    return [TicketRated(ticket.id, actor.as_person(), rating, None)]
