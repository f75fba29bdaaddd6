"""The ticket and its parts, as plain values. No I/O here: storage and adapters build and read these."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Self

from core.errors import InvalidInput

SUBJECT_MAX = 150
BODY_MAX = 40_000
DEFAULT_CATEGORIES: tuple[str, ...] = ("Technical", "Billing", "General")
PLATFORM_NAMES = {
    "slack": "Slack", "discord": "Discord", "console": "console", "api": "API", "cli": "CLI", "email": "email",
    "web": "web", "system": "ticketbot", "webhook": "webhook", "alertmanager": "Alertmanager", "grafana": "Grafana",
}  # fmt: skip


class _Choice(enum.StrEnum):
    """An enum whose input is case-insensitive (``"high"``, ``"HIGH"`` and ``"High"`` are one value)."""

    @classmethod
    def parse(cls, value: str | _Choice) -> Self:
        if isinstance(value, cls):
            return value
        text = str(value).strip().lower()
        for member in cls:
            if member.value.lower() == text:
                return member
        choices = ", ".join(m.value for m in cls)
        raise InvalidInput(f"unknown {cls.__name__.lower()} {str(value)!r}; choose one of {choices}")


class Status(_Choice):
    OPEN = "Open"
    PENDING = "Pending"
    CLOSED = "Closed"


class Priority(_Choice):
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"
    URGENT = "Urgent"


class Role(_Choice):
    REQUESTER = "requester"
    STAFF = "staff"
    SYSTEM = "system"


def parse_category(value: str, categories: Sequence[str]) -> str:
    """Match ``value`` case-insensitively against the configured categories; return the canonical name."""
    text = str(value).strip().lower()
    for name in categories:
        if name.lower() == text:
            return name
    raise InvalidInput(f"unknown category {str(value)!r}; choose one of {', '.join(categories)}")


_SURROGATE = re.compile("[\ud800-\udfff]")
_EMAIL = re.compile(
    r"[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)


def repair(text: str) -> str:
    """Text that is not valid Unicode (lone surrogates, as a platform's JSON escapes or a shell's argv can
    carry) has them replaced by U+FFFD, so it can be stored and shown; everything else is kept as received."""
    return _SURROGATE.sub("\ufffd", text)


def clean_email(email: str | None) -> str | None:
    """An email address as given, trimmed; ``None`` for blank; ``InvalidInput`` when it is not one address."""
    text = repair(str(email or "")).strip()
    if not text:
        return None
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise InvalidInput(f"{text[:60]!r} is not an email address (like ann@example.com)")
    return text


def clean_subject(subject: str) -> str:
    text = " ".join(repair(str(subject or "")).split())
    if not text:
        raise InvalidInput("the subject is required")
    if len(text) > SUBJECT_MAX:
        raise InvalidInput(f"the subject is {len(text)} characters; at most {SUBJECT_MAX} are allowed")
    return text


def clean_body(body: str, *, required: bool = True) -> str:
    text = repair(str(body or "")).strip()
    if required and not text:
        raise InvalidInput("the message is empty")
    if len(text) > BODY_MAX:
        raise InvalidInput(f"the message is {len(text)} characters; at most {BODY_MAX} are allowed")
    return text


@dataclass(frozen=True)
class Actor:
    """Someone acting on a ticket: a user of one platform. Adapters decide ``is_staff``."""

    platform: str
    user_id: str
    name: str = ""
    email: str | None = None
    is_staff: bool = False

    def __post_init__(self) -> None:  # ids and names can come from argv or JSON with lone surrogates
        for name in ("user_id", "name"):
            value = getattr(self, name)
            if _SURROGATE.search(value):
                object.__setattr__(self, name, repair(value))

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.user_id}"

    @property
    def display(self) -> str:
        return self.name or self.user_id

    @property
    def label(self) -> str:
        """``Ann (Discord)``: a name and where that person is (the bot itself is just its name)."""
        if self.platform == "system":
            return self.display
        return f"{self.display} ({PLATFORM_NAMES.get(self.platform, self.platform)})"

    @property
    def is_bot(self) -> bool:
        """ticketbot itself (``Actor.system()``): what it says or does is never a person's response."""
        return self.platform == "system"

    def same_person(self, other: Actor | None) -> bool:
        return other is not None and (self.platform, self.user_id) == (other.platform, other.user_id)

    @classmethod
    def system(cls) -> Actor:
        return cls(platform="system", user_id="ticketbot", name="ticketbot", is_staff=True)

    def as_person(self) -> Actor:
        """The identity without the staff flag, as stored on a ticket (requester, assignee)."""
        return replace(self, is_staff=False)


@dataclass(frozen=True)
class Attachment:
    """Metadata of a file attached on a platform; files themselves stay where they were uploaded."""

    name: str
    url: str = ""
    size: int | None = None
    content_type: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "url": self.url, "size": self.size, "content_type": self.content_type}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Attachment:
        size = data.get("size")
        return cls(
            name=str(data.get("name") or ""),
            url=str(data.get("url") or ""),
            size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
            content_type=str(data["content_type"]) if data.get("content_type") else None,
        )


@dataclass(frozen=True)
class Message:
    id: int
    ticket_id: str
    author: Actor
    role: Role
    body: str
    created_at: datetime
    internal: bool = False
    attachments: tuple[Attachment, ...] = ()

    @property
    def source_platform(self) -> str:
        return self.author.platform


@dataclass(frozen=True)
class Change:
    """One line of a ticket's history."""

    ticket_id: str
    field: str
    old: str | None
    new: str | None
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class Link:
    """Where a ticket (or one of its messages) lives on a platform. Secondary to the id; re-creatable.

    ``kind`` names the role of the place, e.g. ``"staff_card"``, ``"requester_dm"``, ``"thread"``.
    """

    ticket_id: str
    platform: str
    kind: str
    channel_id: str
    thread_id: str | None = None
    message_id: str | None = None


def origin_kind(message_id: int) -> str:
    """The ``Link.kind`` recording where a message was typed on a platform (saved with the message), so a
    notifier can skip echoing it back into the thread it came from."""
    return f"origin:{message_id}"


@dataclass
class Ticket:
    """A support ticket. Mutated only through ``core.lifecycle``; persisted by ``core.storage``."""

    id: str
    subject: str
    category: str
    priority: Priority
    status: Status
    requester: Actor
    created_at: datetime
    updated_at: datetime
    assignee: Actor | None = None
    first_response_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    waiting_since: datetime | None = None
    sla_due_at: datetime | None = None
    sla_breached: bool = False
    rating: int | None = None
    reopened_from: str | None = None
    close_reason: str | None = None
    version: int = 1

    def copy(self) -> Ticket:
        return replace(self)

    def is_requester(self, actor: Actor | None) -> bool:
        return self.requester.same_person(actor)
