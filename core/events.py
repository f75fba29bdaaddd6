"""Domain events: what happened to a ticket. Recorded in the outbox in the same transaction as the change.

Events are typed values (enums, actors), made by ``core.lifecycle`` as it changes a ticket; the desk writes
the history lines they describe and the outbox rows that carry them. Consumers load the ticket's current
state to render it, so an event delivered late still shows the truth. ``actor`` tells a consumer where the
change came from (an adapter skips echoing a message back to the platform it came from).
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from core.model import Actor, Priority, Role, Status


def new_event_id() -> str:
    return uuid.uuid4().hex[:16]


@dataclass(frozen=True)
class Event:
    """``event_id`` is the same for every consumer and every redelivery of one event: a notifier keys the
    steps it must do once on it (see ``core.delivery``)."""

    name: ClassVar[str] = "event"
    ticket_id: str
    actor: Actor
    event_id: str = field(default_factory=new_event_id, kw_only=True)

    def history_line(self) -> tuple[str, str | None, str | None] | None:
        """``(field, old, new)`` for the ticket's history, or None when the event is not a field change."""
        return None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _encode(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class TicketOpened(Event):
    """A new ticket. The acknowledgement the requester is owed comes with it (``core.render.acknowledgement``):
    the response ``target`` of its ``priority``; with business hours (their time zone: ``hours_zone``) the target
    counts support hours only, and ``clock_starts`` says when it starts if the ticket came in outside them."""

    name: ClassVar[str] = "ticket_opened"
    priority: Priority | None = None
    target: timedelta | None = None
    clock_starts: datetime | None = None
    hours_zone: str | None = None


@dataclass(frozen=True)
class MessageAdded(Event):
    """A requester reply, staff reply, internal note or system message."""

    name: ClassVar[str] = "message_added"
    message_id: int
    role: Role
    internal: bool = False


@dataclass(frozen=True)
class StatusChanged(Event):
    """``reason`` says why, when someone gave one (a close reason, "no answer for 7 days"); ``by_message``: a
    message caused it (a staff reply set Pending, a requester's reply reopened) — the message says as much."""

    name: ClassVar[str] = "status_changed"
    old: Status | None
    new: Status
    reason: str | None = None
    by_message: bool = False

    @property
    def closed(self) -> bool:
        return self.new is Status.CLOSED

    @property
    def reopened(self) -> bool:
        return self.old is Status.CLOSED and self.new is Status.OPEN

    def history_line(self) -> tuple[str, str | None, str | None]:
        return "status", self.old.value if self.old else None, self.new.value


@dataclass(frozen=True)
class PriorityChanged(Event):
    name: ClassVar[str] = "priority_changed"
    old: Priority
    new: Priority

    def history_line(self) -> tuple[str, str | None, str | None]:
        return "priority", self.old.value, self.new.value


@dataclass(frozen=True)
class CategoryChanged(Event):
    name: ClassVar[str] = "category_changed"
    old: str
    new: str

    def history_line(self) -> tuple[str, str | None, str | None]:
        return "category", self.old, self.new


@dataclass(frozen=True)
class AssigneeChanged(Event):
    name: ClassVar[str] = "assignee_changed"
    old: Actor | None
    new: Actor | None

    def history_line(self) -> tuple[str, str | None, str | None]:
        return "assignee", _person(self.old), _person(self.new)


@dataclass(frozen=True)
class TicketRated(Event):
    name: ClassVar[str] = "ticket_rated"
    rating: int
    old: int | None = None

    def history_line(self) -> tuple[str, str | None, str | None]:
        return "rating", str(self.old) if self.old is not None else None, str(self.rating)


@dataclass(frozen=True)
class SlaWarning(Event):
    """The response is due soon (``TICKETBOT_SLA__WARN_AT`` of the target has passed); staff are told."""

    name: ClassVar[str] = "sla_warning"
    due_at: datetime


@dataclass(frozen=True)
class SlaBreached(Event):
    """The response target passed with the requester still waiting. ``repeat`` 0 is the breach itself; 1, 2…
    the reminders, at most one per target period while still breached."""

    name: ClassVar[str] = "sla_breached"
    due_at: datetime
    repeat: int = 0


@dataclass(frozen=True)
class StaleReminder(Event):
    """A Pending ticket has had no answer from the requester for ``TICKETBOT_STALE__REMIND_AFTER``."""

    name: ClassVar[str] = "stale_reminder"
    pending_since: datetime
    closes_at: datetime | None = None


DIGEST_KEY = "digest"
"""The ``ticket_id`` of digest events: the outbox orders events per key, and a digest is about no ticket."""


@dataclass(frozen=True)
class DigestDue(Event):
    """The daily digest for ``day`` (ISO date in the digest's time zone) is due in ``channel``.

    The scheduler writes one per consumer with a digest channel (Slack's ``TICKETBOT_DIGEST__SLACK_CHANNEL``,
    Discord's ``__DISCORD_CHANNEL_ID``). A notifier posts it with ``desk.deliveries.once(event.once_key,
    f"digest:{channel}", …)``: once per day and channel across replicas and restarts. ``on_demand`` (``ticketbot
    digest --now``) posts again even when the day's digest was posted already.
    """

    name: ClassVar[str] = "digest_due"
    day: str
    channel: str | None = None
    on_demand: bool = False
    zone: str = "UTC"  # the digest's time zone (``TICKETBOT_DIGEST__TIMEZONE``): its days are local days

    @property
    def once_key(self) -> str:
        return f"digest:{self.day}:{self.event_id}" if self.on_demand else f"digest:{self.day}"


TicketUpdated = PriorityChanged | CategoryChanged | AssigneeChanged
"""The field changes a card shows (``isinstance(event, TicketUpdated)`` works on the union)."""

EVENT_TYPES: dict[str, type[Event]] = {
    cls.name: cls
    for cls in (
        TicketOpened, MessageAdded, StatusChanged, PriorityChanged, CategoryChanged, AssigneeChanged, TicketRated,
        SlaWarning, SlaBreached, StaleReminder, DigestDue,
    )
}  # fmt: skip


def register(cls: type[Event]) -> type[Event]:
    """Add an event type defined elsewhere in core (the scheduler's) to the outbox's decoder."""
    EVENT_TYPES[cls.name] = cls
    return cls


def _person(actor: Actor | None) -> str | None:
    """How a person reads in the history: their name, and where they are."""
    return actor.label if actor else None


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Actor):
        return dict(vars(value))  # its fields, flat (asdict's deep copy costs more than the rest of an event)
    return value


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = options[0] if len(options) == 1 else None
    if hint is Actor:
        return Actor(**value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is timedelta:
        return timedelta(seconds=value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    return value


_LEGACY_FIELDS: dict[str, type[Event]] = {"priority": PriorityChanged, "category": CategoryChanged}


def event_from_dict(name: str, data: dict[str, Any]) -> Event:
    """Rebuild an event stored in the outbox; an unknown name fails loudly."""
    data = dict(data)
    if name == "ticket_updated":  # rows written before events were typed (0.1)
        cls = _LEGACY_FIELDS.get(data.pop("field", ""), None)
        if cls is None:  # an assignee change: its old/new were keys; it only asks to refresh the card
            data.update(old=None, new=None)
            cls = AssigneeChanged
    else:
        cls = EVENT_TYPES[name]
    if name == "status_changed" and not data.get("old"):
        data["old"] = None
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: _decode(hints[k], v) for k, v in data.items() if k in known})
