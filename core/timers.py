"""Time as an input: which timers a ticket needs, and what a due timer does. Pure: no I/O, no clock.

A timer is a row (``core.storage.timers``): a kind, a ticket, a due instant. The desk keeps a ticket's timers
in step with the ticket in the transaction that changes it (``reschedule``), and the scheduler's tick turns
due timers into events in one transaction (``fire``), so a restart loses none and fires none twice.

- SLA (``core.sla``): while the requester waits on support, a warning at ``warn_fraction`` of the target and the
  breach at the due instant. The breach marks the ticket ``sla_breached`` and schedules a reminder one target
  period later (SLA time: business hours count), and so on while the ticket stays overdue. A staff reply, a
  Pending or a close stops the clock and cancels them; a requester's reply starts a new clock with new timers.
- Stale: a ticket Pending for ``stale_remind_after`` gets one reminder to the requester; after
  ``stale_close_after`` (both from when it became Pending) it is closed by ticketbot, with the reason.
- Digest: one row (ticket id ``DIGEST_KEY``) at the next posting instant; firing it writes a ``DigestDue`` per
  channel and schedules the next day's.

A timer found late (nothing ran at its due time) still fires once, but never says something already stale: a
warning whose breach is due too is dropped, a reminder whose close is due too is dropped, and breach reminders
missed meanwhile are skipped rather than sent in a burst.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core import lifecycle
from core.digest import digest_day
from core.events import DIGEST_KEY, DigestDue, Event, SlaBreached, SlaWarning, StaleReminder, TicketOpened
from core.lifecycle import Rules
from core.model import Actor, Status, Ticket
from core.render import duration
from core.sla import SlaPolicy, first_instant


class TimerKind(enum.StrEnum):
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"
    STALE_REMIND = "stale_remind"
    STALE_CLOSE = "stale_close"
    DIGEST = "digest"


SLA_KINDS = frozenset({TimerKind.SLA_WARNING, TimerKind.SLA_BREACH})
STALE_KINDS = frozenset({TimerKind.STALE_REMIND, TimerKind.STALE_CLOSE})


@dataclass(frozen=True)
class Timer:
    """``since``: when the clock it measures started (SLA: ``waiting_since``; stale: when it became Pending);
    ``repeat``: which breach reminder (0 is the breach itself)."""

    kind: TimerKind
    ticket_id: str
    due_at: datetime
    since: datetime | None = None
    repeat: int = 0
    id: int | None = None


@dataclass(frozen=True)
class Reschedule:
    """What a change does to a ticket's timers: the kinds to cancel, then the timers to add."""

    cancel: frozenset[TimerKind] = frozenset()
    add: tuple[Timer, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.cancel or self.add)


@dataclass
class Firing:
    """What a due timer did: the events to deliver, and the timers it schedules (a breach's next reminder)."""

    events: list[Event] = field(default_factory=list)
    then: list[Timer] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ scheduling
def reschedule(before: Ticket | None, after: Ticket, now: datetime, rules: Rules) -> Reschedule:
    """The timer changes a ticket's change calls for (``before`` is None for a new ticket)."""
    cancel: set[TimerKind] = set()
    add: list[Timer] = []
    if _sla_clock(before) != _sla_clock(after):
        cancel |= SLA_KINDS
        add += sla_timers(after, now, rules.sla)
    if _pending(before) != _pending(after):
        cancel |= STALE_KINDS
        if _pending(after):
            add += stale_timers(after.id, now, rules)
    if before is None:
        cancel = set()
    return Reschedule(frozenset(cancel), tuple(add))


def sla_timers(ticket: Ticket, now: datetime, policy: SlaPolicy) -> list[Timer]:
    """The warning and the breach of a running response clock (no warning once the breach is due)."""
    if ticket.status is Status.CLOSED or ticket.sla_due_at is None or ticket.waiting_since is None:
        return []
    since, due = ticket.waiting_since, ticket.sla_due_at
    out = [Timer(TimerKind.SLA_BREACH, ticket.id, due, since)]
    warning = policy.warning_at(since, ticket.priority)
    if now < due and warning < due:
        out.insert(0, Timer(TimerKind.SLA_WARNING, ticket.id, warning, since))
    return out


def stale_timers(ticket_id: str, pending_since: datetime, rules: Rules) -> list[Timer]:
    """The reminder and the auto-close of a ticket that became Pending at ``pending_since``."""
    out: list[Timer] = []
    close = pending_since + rules.stale_close_after if rules.stale_close_after else None
    if rules.stale_remind_after:
        remind = pending_since + rules.stale_remind_after
        if close is None or remind < close:
            out.append(Timer(TimerKind.STALE_REMIND, ticket_id, remind, pending_since))
    if close is not None:
        out.append(Timer(TimerKind.STALE_CLOSE, ticket_id, close, pending_since))
    return out


def _sla_clock(ticket: Ticket | None) -> tuple[datetime | None, datetime | None]:
    if ticket is None or ticket.status is Status.CLOSED:
        return None, None
    return ticket.waiting_since, ticket.sla_due_at


def _pending(ticket: Ticket | None) -> bool:
    return ticket is not None and ticket.status is Status.PENDING


# ------------------------------------------------------------------------------------------ firing
def fire(timer: Timer, ticket: Ticket, now: datetime, rules: Rules, *, closes_at: datetime | None = None) -> Firing:
    """Fire a due ticket timer on ``ticket`` (a copy the caller persists: a breach marks it, a stale close
    closes it). ``closes_at``: the ticket's pending auto-close, for the stale reminder. A timer that no longer
    matches the ticket does nothing (the change that made it obsolete cancels it in its own transaction; this
    is the second line of defence)."""
    bot = Actor.system()
    if timer.kind in SLA_KINDS:
        if ticket.status is not Status.OPEN or ticket.sla_due_at is None or ticket.waiting_since != timer.since:
            return Firing()
        due = ticket.sla_due_at
        if timer.kind is TimerKind.SLA_WARNING:
            return Firing([SlaWarning(ticket.id, bot, due)] if now < due else [])
        ticket.sla_breached = True
        n, at = rules.sla.reminder_after(due, ticket.priority, now)
        follow = Timer(TimerKind.SLA_BREACH, ticket.id, at, timer.since, n)
        return Firing([SlaBreached(ticket.id, bot, due, timer.repeat)], [follow])
    if timer.kind in STALE_KINDS:
        if ticket.status is not Status.PENDING or timer.since is None:
            return Firing()
        if timer.kind is TimerKind.STALE_REMIND:
            if closes_at is not None and closes_at <= now:
                return Firing()  # the close is due too: it says it all
            return Firing([StaleReminder(ticket.id, bot, timer.since, closes_at)])
        reason = stale_close_reason(timer.due_at - timer.since)
        return Firing(lifecycle.close(ticket, now, rules, bot, reason))
    raise ValueError(f"{timer.kind} is not a ticket timer")


def stale_close_reason(waited: timedelta) -> str:
    """Why ticketbot closed a ticket: shown on every platform (``StatusChanged.reason``, ``close_reason``)."""
    return f"closed automatically: no answer from the requester for {duration(waited)}"


# ------------------------------------------------------------------------------------------ acknowledgement
def opened(ticket: Ticket, who: Actor, policy: SlaPolicy) -> TicketOpened:
    """The ``TicketOpened`` event with what the requester is told: the target, and when the clock starts if the
    ticket came in outside business hours."""
    starts = policy.clock_start(ticket.created_at)
    zone = policy.hours.tz.key if policy.hours is not None else None
    late = starts if starts > ticket.created_at else None
    return TicketOpened(ticket.id, who, ticket.priority, policy.target(ticket.priority), late, zone)


# ------------------------------------------------------------------------------------------ digest
@dataclass(frozen=True)
class DigestPlan:
    """When and where the daily digest goes: local ``at`` in ``tz``; ``channels`` maps an outbox consumer
    (``slack``, ``discord``) to its digest channel."""

    at: time
    tz: ZoneInfo
    channels: Mapping[str, str]

    def next_at(self, now: datetime) -> datetime:
        """The first posting instant after ``now``: today's, or tomorrow's. On a DST change day a time that does
        not exist posts when the clock jumps past it; a time that happens twice posts at the first."""
        local = now.astimezone(self.tz).date()
        for day in (local - timedelta(days=1), local, local + timedelta(days=1)):
            at = first_instant(day, self.at, self.tz)
            if at > now:
                return at
        raise AssertionError("a day has a posting instant")

    def day_of(self, due_at: datetime) -> date:
        """The local day the digest posted at ``due_at`` covers (the last complete one)."""
        return digest_day(due_at, self.tz)

    def events(self, day: date, *, on_demand: bool = False) -> dict[str, DigestDue]:
        """One ``DigestDue`` per consumer with a channel."""
        bot = Actor.system()
        return {
            consumer: DigestDue(DIGEST_KEY, bot, day.isoformat(), channel, on_demand, self.tz.key)
            for consumer, channel in self.channels.items()
        }

    def timer(self, now: datetime) -> Timer:
        return Timer(TimerKind.DIGEST, DIGEST_KEY, self.next_at(now))
