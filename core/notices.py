"""What the bot says on its own, in words every platform shares: the acknowledgement of a new ticket, SLA
reminders to staff, the stale-ticket reminder to the requester.

Adapters add their markup (emoji, links, date tags, the one escalation mention) around these words; nothing
here is user text, so nothing here needs escaping — subjects are added by the adapters, escaped their way.

Whether a reminder still holds is decided on the ticket as it is when the event is delivered (an event may
arrive late, after a 429): ``sla_alert_holds`` / ``stale_reminder_holds`` say so, and a notifier posts nothing
for an event the ticket has moved past (answered, paused, closed, its clock restarted).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from core.events import SlaBreached, SlaWarning, StaleReminder
from core.model import Status, Ticket
from core.render import duration, when
from core.sla import SlaPolicy

_TINY = timedelta(microseconds=1)


# ------------------------------------------------------------------------------------------ acknowledgement
def response_target(ticket: Ticket, policy: SlaPolicy) -> str:
    """``We usually answer High tickets within 4 h`` (``… 4 h of support hours`` with business hours)."""
    target = duration(policy.target(ticket.priority))
    hours = " of support hours" if policy.hours is not None else ""
    return f"We usually answer {ticket.priority.value} tickets within {target}{hours}"


def clock_starts(policy: SlaPolicy, now: datetime) -> datetime | None:
    """When the response clock starts again, if ``now`` is outside business hours (else None)."""
    if policy.hours is None:
        return None
    opening = policy.hours.add(now, _TINY) - _TINY
    return opening if opening > now else None


def acknowledgement(
    ticket: Ticket, policy: SlaPolicy, now: datetime, *, moment: Callable[[datetime], str] | None = None
) -> str:
    """What a requester reads when their ticket is opened: the response target of its priority and, outside
    business hours, when the clock starts. ``moment`` shows that instant the platform's way (a date tag);
    by default it is written in the business hours' time zone."""
    text = response_target(ticket, policy) + "."
    starts = clock_starts(policy, now)
    if policy.hours is not None and starts is not None:
        shown = moment(starts) if moment is not None else when(starts, policy.hours.tz.key)
        text += f" It is outside support hours ({policy.hours}) now: the clock starts {shown}."
    return text


# ------------------------------------------------------------------------------------------ SLA reminders
def sla_alert_holds(ticket: Ticket, event: SlaWarning | SlaBreached, now: datetime) -> bool:
    """Whether the reminder is still true: the requester still waits on support and, for a warning, the
    response is not overdue yet (the breach alert says that), for a breach, it is."""
    if ticket.status is not Status.OPEN or ticket.sla_due_at is None:
        return False
    if isinstance(event, SlaWarning):
        return now < ticket.sla_due_at
    return now >= ticket.sla_due_at


def sla_alert(ticket: Ticket, event: SlaWarning | SlaBreached, now: datetime) -> str:
    """``SLA warning: TKT-B3X9C (High) is due in 55 min``; ``SLA breached: … is overdue by 5 min``;
    ``Still unanswered (reminder 2): … is overdue by 8 h 5 min``. The due time is the ticket's current one."""
    due = ticket.sla_due_at or event.due_at
    what = f"{ticket.id} ({ticket.priority.value})"
    if isinstance(event, SlaWarning):
        return f"SLA warning: {what} is due in {duration(max(due - now, timedelta(0)))}"
    overdue = f"is overdue by {duration(max(now - due, timedelta(0)))}"
    if event.repeat:
        return f"Still unanswered (reminder {event.repeat}): {what} {overdue}"
    return f"SLA breached: {what} {overdue}"


def sla_alert_title(event: SlaWarning | SlaBreached) -> str:
    if isinstance(event, SlaWarning):
        return "SLA warning"
    return f"Still unanswered (reminder {event.repeat})" if event.repeat else "SLA breached"


# ------------------------------------------------------------------------------------------ stale tickets
def stale_reminder_holds(ticket: Ticket) -> bool:
    """Still waiting on the requester (an answer in the meantime made it Open; a close ends it)."""
    return ticket.status is Status.PENDING


def stale_reminder(ticket: Ticket, event: StaleReminder, now: datetime) -> str:
    """``Support is waiting for your answer on TKT-B3X9C (for 3 d). Reply here to keep it open; otherwise it
    closes automatically in 4 d.``"""
    text = f"Support is waiting for your answer on {ticket.id} (for {duration(now - event.pending_since)})."
    if event.closes_at is not None and event.closes_at > now:
        left = duration(event.closes_at - now)
        return f"{text} Reply here to keep it open; otherwise it closes automatically in {left}."
    return f"{text} Reply here when you can."
