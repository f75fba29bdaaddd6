"""The status machine and the SLA clock, as pure functions on a ``Ticket``.

Each function mutates the ticket it is given and returns the field changes it made, as
``(field, old, new)`` tuples, for the history and the events. The caller works on a copy and persists it.

Status rules (PRODUCT.md): Open = new or the requester wrote last; Pending = support answered and waits;
Closed = resolved. The SLA clock runs from ``waiting_since`` while the requester waits on support and stops
(``sla_due_at`` = None) when staff answer publicly, the ticket goes Pending, or it closes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.errors import InvalidTransition
from core.model import Actor, Priority, Status, Ticket
from core.sla import SlaPolicy

FieldChange = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class Rules:
    sla: SlaPolicy = field(default_factory=SlaPolicy)
    reopen_window: timedelta = timedelta(days=7)
    pending_on_staff_reply: bool = True


def _status(ticket: Ticket, new: Status, now: datetime, rules: Rules) -> list[FieldChange]:
    old = ticket.status
    if old is new:
        return []
    ticket.status = new
    if new is Status.CLOSED:
        ticket.closed_at = now
        _stop_clock(ticket)
    elif new is Status.PENDING:
        _stop_clock(ticket)
    else:  # back to Open: the requester waits on support again
        if old is Status.CLOSED:
            ticket.reopened_at = now
            ticket.closed_at = None
        _start_clock(ticket, now, rules)
    ticket.updated_at = now
    return [("status", old.value, new.value)]


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


def requester_message(ticket: Ticket, now: datetime, rules: Rules) -> list[FieldChange]:
    """A public message from the requester: Pending → Open, Closed (within the window) → reopened.

    A closed ticket past the reopen window raises ``InvalidTransition``; the desk then opens a new ticket.
    """
    changes: list[FieldChange] = []
    if ticket.status is Status.CLOSED:
        if not within_reopen_window(ticket, now, rules):
            raise InvalidTransition(f"{ticket.id} was closed more than {rules.reopen_window.days} days ago")
        changes += _status(ticket, Status.OPEN, now, rules)
    elif ticket.status is Status.PENDING:
        changes += _status(ticket, Status.OPEN, now, rules)
    else:
        _start_clock(ticket, now, rules)
    ticket.updated_at = now
    return changes


def staff_reply(ticket: Ticket, now: datetime, rules: Rules) -> list[FieldChange]:
    """A public reply from support: records the first response, judges the SLA, stops the clock."""
    if ticket.status is Status.CLOSED:
        raise InvalidTransition(f"{ticket.id} is closed; reopen it before replying")
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    if ticket.sla_due_at is not None and now > ticket.sla_due_at:
        ticket.sla_breached = True
    _stop_clock(ticket)
    changes: list[FieldChange] = []
    if ticket.status is Status.OPEN and rules.pending_on_staff_reply:
        changes += _status(ticket, Status.PENDING, now, rules)
    ticket.updated_at = now
    return changes


def set_status(ticket: Ticket, new: Status, now: datetime, rules: Rules) -> list[FieldChange]:
    if ticket.status is new:
        raise InvalidTransition(f"{ticket.id} is already {new.value}")
    return _status(ticket, new, now, rules)


def close(ticket: Ticket, now: datetime, rules: Rules) -> list[FieldChange]:
    if ticket.status is Status.CLOSED:
        raise InvalidTransition(f"{ticket.id} is already closed")
    return _status(ticket, Status.CLOSED, now, rules)


def reopen(ticket: Ticket, now: datetime, rules: Rules, *, by_staff: bool) -> list[FieldChange]:
    if ticket.status is not Status.CLOSED:
        raise InvalidTransition(f"{ticket.id} is not closed")
    if not by_staff and not within_reopen_window(ticket, now, rules):
        raise InvalidTransition(
            f"{ticket.id} was closed more than {rules.reopen_window.days} days ago; open a new ticket"
        )
    return _status(ticket, Status.OPEN, now, rules)


def set_priority(ticket: Ticket, priority: Priority, now: datetime, rules: Rules) -> list[FieldChange]:
    if ticket.priority is priority:
        raise InvalidTransition(f"{ticket.id} is already {priority.value} priority")
    old = ticket.priority
    ticket.priority = priority
    if ticket.waiting_since is not None:  # the running clock now counts against the new target
        ticket.sla_due_at = rules.sla.due_at(ticket.waiting_since, priority)
    ticket.updated_at = now
    return [("priority", old.value, priority.value)]


def set_category(ticket: Ticket, category: str, now: datetime) -> list[FieldChange]:
    if ticket.category == category:
        raise InvalidTransition(f"{ticket.id} is already in {category}")
    old = ticket.category
    ticket.category = category
    ticket.updated_at = now
    return [("category", old, category)]


def assign(ticket: Ticket, assignee: Actor | None, now: datetime) -> list[FieldChange]:
    old = ticket.assignee
    if (old is None and assignee is None) or (assignee is not None and assignee.same_person(old)):
        who = assignee.display if assignee else "nobody"
        raise InvalidTransition(f"{ticket.id} is already assigned to {who}")
    ticket.assignee = assignee.as_person() if assignee else None
    ticket.updated_at = now
    return [("assignee", old.key if old else None, assignee.key if assignee else None)]


def rate(ticket: Ticket, rating: int, now: datetime) -> list[FieldChange]:
    if ticket.status is not Status.CLOSED:
        raise InvalidTransition(f"{ticket.id} can be rated once it is closed")
    old = ticket.rating
    ticket.rating = rating
    ticket.updated_at = now
    return [("rating", str(old) if old is not None else None, str(rating))]
