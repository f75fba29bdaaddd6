"""Domain events: what happened to a ticket. Recorded in the outbox in the same transaction as the change.

Events name the ticket and what changed; consumers load the ticket's current state to render it, so an
event delivered late still shows the truth. ``actor`` tells a consumer where the change came from (an
adapter skips echoing a message back to the platform it came from).
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.model import Actor


def new_event_id() -> str:
    return uuid.uuid4().hex[:16]


@dataclass(frozen=True)
class Event:
    """``event_id`` is the same for every consumer and every redelivery of one event: a notifier uses it to do
    a non-idempotent step (post a note) once, even when a later step fails and the event comes again."""

    name: ClassVar[str] = "event"
    ticket_id: str
    actor: Actor
    event_id: str = field(default_factory=new_event_id, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["actor"] = dataclasses.asdict(self.actor)
        return data


@dataclass(frozen=True)
class TicketOpened(Event):
    name: ClassVar[str] = "ticket_opened"


@dataclass(frozen=True)
class MessageAdded(Event):
    """A requester reply, staff reply, internal note or system message."""

    name: ClassVar[str] = "message_added"
    message_id: int = 0
    role: str = "requester"
    internal: bool = False


@dataclass(frozen=True)
class StatusChanged(Event):
    name: ClassVar[str] = "status_changed"
    old: str = ""
    new: str = ""


@dataclass(frozen=True)
class TicketUpdated(Event):
    """Priority, category or assignee changed (``field`` names which)."""

    name: ClassVar[str] = "ticket_updated"
    field: str = ""
    old: str | None = None
    new: str | None = None


@dataclass(frozen=True)
class TicketRated(Event):
    name: ClassVar[str] = "ticket_rated"
    rating: int = 0


EVENT_TYPES: dict[str, type[Event]] = {
    cls.name: cls for cls in (TicketOpened, MessageAdded, StatusChanged, TicketUpdated, TicketRated)
}


def event_from_dict(name: str, data: dict[str, Any]) -> Event:
    """Rebuild an event stored in the outbox; an unknown name fails loudly."""
    cls = EVENT_TYPES[name]
    fields = dict(data)
    fields["actor"] = Actor(**fields["actor"])
    return cls(**fields)
