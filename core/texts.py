"""Plain-text views of tickets, lists, history and statistics: what the console and the CLI print.

Times are shown in the reader's time zone with a relative part ("3 h ago", "due in 40 min"); the SLA line
is in words. Output is still raw user text: a terminal printer passes it through ``core.render.printable``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from core.commands import Page
from core.model import Change, Message, Status, Ticket
from core.render import duration, person, platform_name, role_name, sla_state, when, when_relative
from core.stats import Stats


def ticket_line(t: Ticket, now: datetime) -> str:
    sla = "" if t.status is Status.CLOSED else f" · {sla_state(t, now)}"
    return f"{t.id}  [{t.status.value}] [{t.priority.value}] [{t.category}]  {t.subject}{sla}"


def ticket_list(tickets: Sequence[Ticket], now: datetime, empty: str = "No tickets.") -> str:
    return "\n".join(ticket_line(t, now) for t in tickets) if tickets else empty


def page_text(page: Page, now: datetime, *, next_hint: str = "") -> str:
    """A page of a list or search with where it stands: ``showing 1–20 of 25`` and how to see more."""
    if not page.items:
        if page.offset:
            return f"Nothing on page {page.page_number} (there are {page.total})."
        return "Nothing matches." if page.query is not None else "No tickets."
    total = f"{page.total:,}+" if page.total_capped else f"{page.total:,}"
    head = f"showing {page.first}–{page.last} of {total}"
    if page.has_more and next_hint:
        head += f" · next page: {next_hint}"
    return head + "\n" + ticket_list(page.items, now)


def ticket_detail(t: Ticket, thread: Iterable[Message], now: datetime, tz: str | None = None) -> str:
    lines = [
        f"{t.id} — {t.subject}",
        f"Status: {t.status.value}   Priority: {t.priority.value}   Category: {t.category}",
        f"Requester: {person(t.requester)}" + (f" <{t.requester.email}>" if t.requester.email else "")
        + f"   Assignee: {person(t.assignee)}",
        f"Created: {when_relative(t.created_at, now, tz)}   Updated: {when_relative(t.updated_at, now, tz)}",
    ]  # fmt: skip
    if t.closed_at:
        reason = f" — {t.close_reason}" if t.close_reason else ""
        lines.append(f"Closed: {when_relative(t.closed_at, now, tz)}{reason}")
    else:
        lines.append(f"SLA: {sla_state(t, now)}" + (f" (due {when(t.sla_due_at, tz)})" if t.sla_due_at else ""))
    if t.sla_breached:
        lines.append("SLA target missed for this ticket")
    if t.rating is not None:
        lines.append(f"Rating: {'★' * t.rating}{'☆' * (5 - t.rating)} ({t.rating}/5)")
    if t.reopened_from:
        lines.append(f"Follow-up of {t.reopened_from}")
    for m in thread:
        lines.append(message_line(m, now, tz))
    return "\n".join(lines)


def message_line(m: Message, now: datetime, tz: str | None = None) -> str:
    files = f"  [{len(m.attachments)} file(s)]" if m.attachments else ""
    return (
        f"  {when_relative(m.created_at, now, tz)}  {m.author.display} ({role_name(m)}, "
        f"{platform_name(m.source_platform)}): {m.body}{files}"
    )


def history_text(changes: Sequence[Change], now: datetime, tz: str | None = None) -> str:
    if not changes:
        return "No changes."
    return "\n".join(
        f"{when_relative(c.at, now, tz)}  {c.field}: {c.old or '—'} → {c.new or '—'}  by {person(c.actor)}"
        for c in changes
    )


def stats_text(s: Stats, now: datetime) -> str:
    pct = f"{s.sla_attainment:.0%}" if s.sla_attainment is not None else "—"
    csat = f"{s.csat_average:.2f} ({s.csat_count})" if s.csat_average is not None else "—"
    lines = [
        f"Tickets: {s.total} total · {s.open} open · {s.pending} pending · {s.closed} closed",
        f"Average first response: {duration(s.avg_first_response)} · average resolution: {duration(s.avg_resolution)}",
        f"SLA attainment: {pct} · CSAT: {csat}",
        f"Last 24 h: {s.opened_24h} opened, {s.closed_24h} closed · "
        f"last 7 d: {s.opened_7d} opened, {s.closed_7d} closed",
    ]
    if s.by_category:
        lines.append("By category: " + ", ".join(f"{k} {b.total}" for k, b in s.by_category.items()))
    if s.by_priority:
        lines.append("By priority: " + ", ".join(f"{k} {b.total}" for k, b in s.by_priority.items()))
    if s.oldest_open:
        lines.append("Oldest open:")
        lines += [f"  {ticket_line(t, now)}" for t in s.oldest_open]
    return "\n".join(lines)
