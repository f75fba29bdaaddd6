"""Neutral rendering, shared by every adapter: names of platforms, people and roles, durations and times in
words, the SLA state in words, what a command changed in words, and the ticket transcript (Jinja2).

Adapters map these to their own format (Block Kit, embeds, a terminal line); nothing here knows a platform's
markup. ``printable`` makes text safe for a terminal: stored text stays as received, rendering neutralises it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from core.commands import Changed, Posted
from core.events import (
    AssigneeChanged,
    CategoryChanged,
    PriorityChanged,
    StatusChanged,
    TicketOpened,
    TicketRated,
)
from core.model import PLATFORM_NAMES, Actor, Attachment, Message, Role, Status, Ticket, repair

ROLE_NAMES = {Role.REQUESTER: "requester", Role.STAFF: "support", Role.SYSTEM: "system"}
STATUS_MEANING = {
    Status.OPEN: "waiting on support",
    Status.PENDING: "waiting on the requester",
    Status.CLOSED: "resolved",
}


# ------------------------------------------------------------------------------------------ people
def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


def person(actor: Actor | None, *, with_platform: bool = True, nobody: str = "unassigned") -> str:
    """``Ann (Discord)``; the bot itself is just ``ticketbot``."""
    if actor is None:
        return nobody
    return actor.label if with_platform else actor.display


def role_name(message: Message) -> str:
    return "internal note" if message.internal else ROLE_NAMES[message.role]


# ------------------------------------------------------------------------------------------ time
def duration(delta: timedelta | None) -> str:
    """``2 h 10 min``, ``3 d 4 h``, ``45 s``: the two largest units, in words a person reads at a glance."""
    if delta is None:
        return "—"
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def relative(moment: datetime | None, now: datetime) -> str:
    """``3 h ago`` or ``in 40 min`` (``just now`` within a minute)."""
    if moment is None:
        return "—"
    delta = moment - now
    if abs(delta) < timedelta(minutes=1):
        return "just now"
    return f"in {duration(delta)}" if delta > timedelta(0) else f"{duration(delta)} ago"


@functools.cache
def zone(name: str | None) -> tzinfo:
    return ZoneInfo(name) if name and name != "UTC" else UTC


def when(moment: datetime | None, tz: str | None = None) -> str:
    """``2026-12-01 14:05 CET`` in the reader's time zone (UTC by default)."""
    if moment is None:
        return "—"
    local = moment.astimezone(zone(tz))
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")


def when_relative(moment: datetime | None, now: datetime, tz: str | None = None) -> str:
    """``2026-12-01 14:05 UTC (3 h ago)``."""
    return "—" if moment is None else f"{when(moment, tz)} ({relative(moment, now)})"


# ------------------------------------------------------------------------------------------ SLA
def sla_state(ticket: Ticket, now: datetime) -> str:
    """The response clock in words: ``due in 2 h 10 min``, ``overdue by 25 min``, ``paused — waiting on the
    requester``; ``—`` once closed."""
    if ticket.status is Status.CLOSED:
        return "—"
    if ticket.status is Status.PENDING or ticket.sla_due_at is None:
        return "paused — waiting on the requester"
    if now > ticket.sla_due_at:
        return f"overdue by {duration(now - ticket.sla_due_at)}"
    return f"due in {duration(ticket.sla_due_at - now)}"


def acknowledgement(opened: TicketOpened) -> str | None:
    """What the requester is told when their ticket opens: ``We usually answer High tickets within 4 h.`` and,
    outside business hours, when the clock starts. None for an event that carries no target (written by 0.1)."""
    if opened.priority is None or opened.target is None:
        return None
    text = f"We usually answer {opened.priority.value} tickets within {duration(opened.target)}"
    if opened.hours_zone is None:
        return text + "."
    text += " of support hours."
    if opened.clock_starts is not None:
        local = opened.clock_starts.astimezone(zone(opened.hours_zone))
        text += (
            f" Support is closed now: the clock starts {local:%A} {local.day} {local:%B} at {local:%H:%M}"
            f" ({opened.hours_zone})."
        )
    return text


def sla_overdue(ticket: Ticket, now: datetime) -> bool:
    return ticket.status is not Status.CLOSED and ticket.sla_due_at is not None and now > ticket.sla_due_at


# ------------------------------------------------------------------------------------------ outcomes
def status_words(status: Status) -> str:
    return f"{status.value} ({STATUS_MEANING[status]})"


def change_words(result: Changed) -> str:
    """What a change did, in words: ``TKT-B3X9C is now Closed (resolved): works now``."""
    t = result.ticket
    if not result.events:
        return f"{t.id} is unchanged."
    parts = []
    for event in result.events:
        if isinstance(event, StatusChanged):
            reason = f" — {event.reason}" if event.reason else ""
            if event.old is None:
                parts.append(f"Opened {t.id}: {t.subject}")
            elif event.reopened:
                parts.append(f"{t.id} is reopened")
            else:
                parts.append(f"{t.id} is now {status_words(event.new)}{reason}")
        elif isinstance(event, PriorityChanged):
            parts.append(f"{t.id} is now {event.new.value} priority (was {event.old.value})")
        elif isinstance(event, CategoryChanged):
            parts.append(f"{t.id} is now in {event.new} (was {event.old})")
        elif isinstance(event, AssigneeChanged):
            parts.append(f"{t.id} is assigned to {person(event.new)}" if event.new else f"{t.id} is no longer assigned")
        elif isinstance(event, TicketRated):
            parts.append(f"Thank you: {t.id} is rated {stars(event.rating)} ({event.rating}/5)")
        elif event.name == "ticket_opened":
            parts.append(f"Opened {t.id}: {t.subject}")
    return "; ".join(parts) + "."


def post_words(result: Posted) -> str:
    """What a message did: where it went and what it changed (``Sent to the requester; TKT-… is now
    Pending (waiting on the requester).``)."""
    m, t = result.message, result.ticket
    if result.followed_up:
        return (
            f"{result.asked_for} was closed too long ago to reopen, so your message opened {t.id} "
            f"(a follow-up of {result.asked_for})."
        )
    if m.internal:
        head = f"Internal note added to {t.id} (never shown to the requester)"
    elif m.role is Role.STAFF:
        head = f"Sent to the requester of {t.id}"
    else:
        head = f"Added to {t.id}"
    change = result.status_change
    if change is not None:
        head += "; it is reopened" if change.reopened else f"; it is now {status_words(change.new)}"
    return head + "."


def stars(rating: int | None) -> str:
    return "—" if rating is None else "★" * rating + "☆" * (5 - rating)


# ------------------------------------------------------------------------------------------ terminals
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character shown inert (``\\x1b`` → ``␛``, others as ``\\xNN``), keeping
    newlines and tabs; lone surrogates become U+FFFD. A subject can never rewrite a staff member's terminal."""

    def show(match: re.Match[str]) -> str:
        ch = match.group(0)
        if ch == "\x1b":
            return "␛"
        return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"

    return _CONTROL.sub(show, repair(text))


# ------------------------------------------------------------------------------------------ transcript
def file_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""


def web_url(url: str) -> str:
    """``url`` when it is an http(s) link, else "" (a transcript never links ``javascript:`` or ``data:``)."""
    return url if re.match(r"(?i)https?://", url or "") else ""


def attachment_details(attachment: Attachment) -> str:
    """``1.2 KB, image/png`` (what is known of the file besides its name)."""
    return ", ".join(x for x in (file_size(attachment.size), attachment.content_type or "") if x)


@functools.cache
def _templates(autoescape: bool) -> object:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("core", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        person=person, when=when, role=role_name, platform=platform_name, details=attachment_details, web_url=web_url
    )
    return env


def transcript(ticket: Ticket, thread: Sequence[Message], *, fmt: str = "md", tz: str | None = None) -> str:
    """The ticket and its conversation as a Markdown (``md``) or HTML (``html``, escaped) document."""
    if fmt not in ("md", "html"):
        raise ValueError(f"unknown transcript format {fmt!r}")
    env = _templates(fmt == "html")
    template = env.get_template(f"transcript.{fmt}.j2")  # type: ignore[attr-defined]
    return str(template.render(ticket=ticket, thread=list(thread), tz=tz, stars=stars))
