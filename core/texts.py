"""Plain-text renderings of core objects, shared by the console, the CLI and as fallbacks by adapters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from core.model import Actor, Change, Message, Role, Ticket
from core.stats import Stats


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def duration(delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m"


def person(actor: Actor | None) -> str:
    return f"{actor.display} ({actor.platform})" if actor else "unassigned"


def ticket_line(t: Ticket) -> str:
    due = f" · due {when(t.sla_due_at)}" if t.sla_due_at else ""
    return f"{t.id}  [{t.status.value}] [{t.priority.value}] [{t.category}]  {t.subject}{due}"


def ticket_list(tickets: Sequence[Ticket], empty: str = "No tickets.") -> str:
    return "\n".join(ticket_line(t) for t in tickets) if tickets else empty


def ticket_detail(t: Ticket, thread: Iterable[Message] = ()) -> str:
    lines = [
        f"{t.id} — {t.subject}",
        f"Status: {t.status.value}   Priority: {t.priority.value}   Category: {t.category}",
        f"Requester: {person(t.requester)}   Assignee: {person(t.assignee)}",
        f"Created: {when(t.created_at)}   Updated: {when(t.updated_at)}"
        + (f"   Closed: {when(t.closed_at)}" if t.closed_at else ""),
    ]
    if t.sla_due_at:
        lines.append(f"SLA response due: {when(t.sla_due_at)}" + ("  (breached)" if t.sla_breached else ""))
    if t.reopened_from:
        lines.append(f"Follow-up of {t.reopened_from}")
    for m in thread:
        lines.append(message_line(m))
    return "\n".join(lines)


def message_line(m: Message) -> str:
    tag = {Role.REQUESTER: "requester", Role.STAFF: "staff", Role.SYSTEM: "system"}[m.role]
    if m.internal:
        tag = "internal note"
    files = f"  [{len(m.attachments)} file(s)]" if m.attachments else ""
    return f"  {when(m.created_at)}  {m.author.display} ({tag}, {m.source_platform}): {m.body}{files}"


def history_text(changes: Sequence[Change]) -> str:
    if not changes:
        return "No changes."
    return "\n".join(f"{when(c.at)}  {c.field}: {c.old or '—'} → {c.new or '—'}  by {c.actor.display}" for c in changes)


def stats_text(s: Stats) -> str:
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
        lines += [f"  {ticket_line(t)}" for t in s.oldest_open]
    return "\n".join(lines)
