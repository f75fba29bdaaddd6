"""Messages in threads and answers to one person: mirrored ticket messages, status lines, notices, lists, stats."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from adapters.slack.render.blocks import SlackMessage, context, mrkdwn, plain_text, section
from adapters.slack.render.cards import summary_fields, ticket_header, ticket_line
from adapters.slack.render.text import (
    FALLBACK_MAX,
    HEADER_MAX,
    MESSAGE_BLOCKS_MAX,
    PLATFORM_NAMES,
    SECTION_MAX,
    date_token,
    escape,
    fit,
    person,
    split_text,
    user_mrkdwn,
)
from core import texts
from core.model import Actor, Attachment, Change, Message, Role, Ticket
from core.stats import Stats

_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")


def _files_line(attachments: Iterable[Attachment]) -> str:
    parts = []
    for a in attachments:
        name = escape(fit(a.name or "file", 100))
        parts.append(f"<{a.url}|{name}>" if a.url and _SAFE_URL.match(a.url) and len(a.url) < 1500 else name)
    return (":paperclip: " + ", ".join(parts)) if parts else ""


def message_label(message: Message, *, for_requester: bool = False, markup: bool = True) -> str:
    """Who wrote it and what it is: ``*Ann* (Discord) · requester`` (``markup=False``: for fallback text)."""
    name = person(message.author, with_platform=False)
    who = f"*{name}*" if markup else name
    where = PLATFORM_NAMES.get(message.source_platform, escape(message.source_platform))
    icon = (lambda emoji: f"{emoji} ") if markup else (lambda emoji: "")
    if message.role is Role.SYSTEM:
        return f"{icon(':information_source:')}ticketbot"
    if for_requester:
        return f"{who} · support"
    if message.internal:
        return f"{icon(':lock:')}Internal note by {who} ({where}) · not sent to the requester"
    if message.role is Role.STAFF:
        return f"{icon(':leftwards_arrow_with_hook:')}{who} ({where}) replied to the requester"
    return f"{who} ({where}) · requester"


def thread_message(message: Message, *, for_requester: bool = False) -> SlackMessage:
    """A ticket message mirrored into a thread (staff card thread, or the requester's DM thread)."""
    label = message_label(message, for_requester=for_requester)
    body = escape(message.body)
    blocks: list[dict[str, Any]] = [context(label)]
    sections = split_text(body, SECTION_MAX, max_parts=MESSAGE_BLOCKS_MAX - 3)
    blocks += [{"type": "section", "text": mrkdwn(chunk)} for chunk in sections]
    files = _files_line(message.attachments)
    if files:
        blocks.append(context(files))
    plain_label = message_label(message, for_requester=for_requester, markup=False)
    text = fit(f"{plain_label}: {body}" if body else plain_label, FALLBACK_MAX)
    return SlackMessage(text=text, blocks=blocks[:MESSAGE_BLOCKS_MAX])


def status_note(ticket: Ticket, old: str, new: str, by: Actor | None, *, for_requester: bool) -> SlackMessage:
    """A line in a thread about a status change."""
    if for_requester:
        lines = {
            "Closed": "Your ticket was closed. Reply in this thread to reopen it.",
            "Pending": "Support answered and is waiting for your reply.",
            "Open": "Your ticket is open again; support will answer here.",
        }
        line = lines.get(new, f"Status: {escape(new)}")
        return SlackMessage(text=line, blocks=[context(line)])
    who = f" by {person(by)}" if by is not None and by.platform != "system" else ""
    before, after = escape(old) or "—", escape(new)
    text = fit(f"Status {before} → {after}{who}", FALLBACK_MAX)
    return SlackMessage(text=text, blocks=[context(f"Status {before} → *{after}*{who}")])


def notice(text: str) -> SlackMessage:
    """A short message from the bot (errors, confirmations); ``text`` is ours, but escaped anyway."""
    safe = user_mrkdwn(text, SECTION_MAX)
    return SlackMessage(text=fit(safe, FALLBACK_MAX), blocks=[section(safe)])


def ticket_done(ticket: Ticket, what: str = "Done") -> SlackMessage:
    """A confirmation after a change: ``Done: TKT-B3X9C is Closed · High · Technical · Alice``."""
    who = person(ticket.assignee, with_platform=False) if ticket.assignee else "unassigned"
    facts = f"{ticket.status.value} · {ticket.priority.value} · {escape(ticket.category)} · {who}"
    text = fit(f"{escape(what)}: {ticket.id} is {facts}", FALLBACK_MAX)
    return SlackMessage(text=text, blocks=[section(fit(f"{escape(what)}: *{ticket.id}* is {facts}", SECTION_MAX))])


def refusal(text: str) -> SlackMessage:
    return notice(f":no_entry: {text}")


def error_message(text: str) -> SlackMessage:
    return notice(f":warning: {text}")


def help_message(help_text: str) -> SlackMessage:
    body = "```" + escape(help_text).replace("```", "'''") + "```"
    return SlackMessage(text="ticketbot commands", blocks=[section(fit(body, SECTION_MAX))])


def ticket_list(
    tickets: Sequence[Ticket], *, title: str, empty: str = "No tickets.", total: int | None = None
) -> SlackMessage:
    """An ephemeral list (``/ticket list``, ``/ticket search``)."""
    shown = list(tickets)[: MESSAGE_BLOCKS_MAX - 3]
    blocks: list[dict[str, Any]] = [section(f"*{escape(title)}*")]
    if not shown:
        blocks.append(section(escape(empty)))
    blocks += [section(ticket_line(t)) for t in shown]
    if total is not None and total > len(shown):
        blocks.append(context(f"Showing {len(shown)} of {total}{'+' if total >= 1000 else ''}."))
    return SlackMessage(text=user_mrkdwn(f"{title}: {len(shown)} ticket(s)", FALLBACK_MAX), blocks=blocks)


def ticket_details(ticket: Ticket, thread: Sequence[Message], *, staff: bool) -> SlackMessage:
    """``/ticket show``: the summary and the latest messages of the conversation."""
    blocks: list[dict[str, Any]] = [ticket_header(ticket), {"type": "section", "fields": summary_fields(ticket)}]
    recent = list(thread)[-10:]
    if len(thread) > len(recent):
        blocks.append(context(f"{len(thread) - len(recent)} earlier message(s) not shown"))
    for m in recent:
        label = message_label(m, for_requester=not staff)
        blocks.append(context(f"{label} · {date_token(m.created_at)}"))
        if m.body:
            blocks.append(section(user_mrkdwn(m.body, 1200)))
    return SlackMessage(
        text=user_mrkdwn(f"{ticket.id}: {ticket.subject}", FALLBACK_MAX), blocks=blocks[:MESSAGE_BLOCKS_MAX]
    )


def history_message(ticket_id: str, changes: Sequence[Change]) -> SlackMessage:
    lines = [
        f"{date_token(c.at)} {escape(c.field)}: {escape(c.old or '—')} → {escape(c.new or '—')} by {person(c.actor)}"
        for c in changes[-40:]
    ]
    return SlackMessage(
        text=f"History of {ticket_id}",
        blocks=[section(f"*History of {ticket_id}*")]
        + [section(chunk) for chunk in split_text("\n".join(lines) or "No changes.", SECTION_MAX, 10)],
    )


def stats_message(stats: Stats) -> SlackMessage:
    pct = f"{stats.sla_attainment:.0%}" if stats.sla_attainment is not None else "—"
    csat = f"{stats.csat_average:.2f} ({stats.csat_count})" if stats.csat_average is not None else "—"
    fields = [
        mrkdwn(f"*Total*\n{stats.total}"),
        mrkdwn(f"*Open · Pending · Closed*\n{stats.open} · {stats.pending} · {stats.closed}"),
        mrkdwn(f"*Avg first response*\n{texts.duration(stats.avg_first_response)}"),
        mrkdwn(f"*Avg resolution*\n{texts.duration(stats.avg_resolution)}"),
        mrkdwn(f"*SLA attainment*\n{pct}"),
        mrkdwn(f"*CSAT*\n{csat}"),
        mrkdwn(f"*Last 24 h*\n{stats.opened_24h} opened · {stats.closed_24h} closed"),
        mrkdwn(f"*Last 7 days*\n{stats.opened_7d} opened · {stats.closed_7d} closed"),
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain_text("Support statistics", HEADER_MAX)},
        {"type": "section", "fields": fields},
    ]
    if stats.by_category:
        cats = ", ".join(f"{escape(k)} {b.total}" for k, b in stats.by_category.items())
        blocks.append(section(f"*By category:* {cats}"))
    if stats.by_priority:
        blocks.append(
            section("*By priority:* " + ", ".join(f"{escape(k)} {b.total}" for k, b in stats.by_priority.items()))
        )
    if stats.oldest_open:
        blocks.append(section("*Oldest open*\n" + "\n".join(ticket_line(t) for t in stats.oldest_open[:10])))
    return SlackMessage(text=f"Support statistics: {stats.total} tickets, {stats.open} open", blocks=blocks)
