"""Core objects → Discord text, embeds and transcript files. Pure functions; nothing here talks to Discord.

Every string is cut to Discord's limits (2,000 per message; embed title 256, description 4,096, field
1,024, 6,000 in total) so a long subject or body never turns into a 400. Relayed text is sent with
``NO_MENTIONS``: nobody is pinged by what a user typed.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from datetime import datetime

import discord

from core.model import Actor, Message, Role, Status, Ticket
from core.stats import Stats
from core.texts import duration

CONTENT_MAX = 2000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELD_MAX = 1024
EMBED_TOTAL_MAX = 6000
THREAD_NAME_MAX = 100
CHOICE_NAME_MAX = 100

NO_MENTIONS = discord.AllowedMentions.none()
PLATFORM_NAMES = {"discord": "Discord", "slack": "Slack", "console": "console", "api": "API", "system": "ticketbot"}
STATUS_COLOURS = {Status.OPEN: 0x3B82F6, Status.PENDING: 0xF59E0B, Status.CLOSED: 0x6B7280}
STATUS_EMOJI = {Status.OPEN: "🟦", Status.PENDING: "🟧", Status.CLOSED: "⬜"}


def cut(text: str | None, limit: int) -> str:
    """``text`` shortened to ``limit`` characters, marking the cut with an ellipsis."""
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def one_line(text: str, limit: int = 300) -> str:
    return cut(" ".join(str(text).split()), limit)


def error_line(error: Exception | str) -> str:
    """The one-line ephemeral answer for something the user can fix."""
    return cut("⚠️ " + one_line(str(error), 1900), CONTENT_MAX)


def when(moment: datetime | None, style: str = "f") -> str:
    """A Discord timestamp tag (rendered in the reader's own timezone)."""
    return f"<t:{int(moment.timestamp())}:{style}>" if moment else "—"


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


def who(actor: Actor | None) -> str:
    """A person as shown in embeds: a Discord mention (embeds never ping) or name and platform."""
    if actor is None:
        return "unassigned"
    if actor.platform == "discord" and actor.user_id.isdigit():
        return f"<@{actor.user_id}>"
    return f"{cut(actor.display, 80)} ({platform_name(actor.platform)})"


def thread_name(ticket: Ticket) -> str:
    """Set once at creation: Discord allows 2 renames per 10 minutes, so status lives in the embed."""
    return cut(f"{ticket.id} {ticket.subject}", THREAD_NAME_MAX)


def sla_text(ticket: Ticket) -> str:
    if ticket.status is Status.CLOSED or ticket.sla_due_at is None:
        return "—"
    if ticket.sla_breached:
        return f"⚠️ breached ({when(ticket.sla_due_at, 'R')})"
    return f"{when(ticket.sla_due_at, 'f')} ({when(ticket.sla_due_at, 'R')})"


def ticket_embed(ticket: Ticket, description: str = "") -> discord.Embed:
    """The ticket card pinned at the top of its thread (edited in place on every change)."""
    embed = discord.Embed(
        title=cut(f"{ticket.id} · {ticket.subject}", EMBED_TITLE_MAX),
        description=cut(description, 1500) or None,
        colour=STATUS_COLOURS[ticket.status],
        timestamp=ticket.created_at,
    )
    embed.add_field(name="Status", value=f"{STATUS_EMOJI[ticket.status]} {ticket.status.value}")
    embed.add_field(name="Priority", value=ticket.priority.value)
    embed.add_field(name="Category", value=cut(ticket.category, 100))
    embed.add_field(name="Requester", value=who(ticket.requester))
    embed.add_field(name="Assignee", value=who(ticket.assignee))
    embed.add_field(name="SLA due", value=sla_text(ticket))
    if ticket.rating is not None:
        embed.add_field(name="Rating", value="★" * ticket.rating + "☆" * (5 - ticket.rating))
    footer = f"Opened via {platform_name(ticket.requester.platform)}"
    if ticket.reopened_from:
        footer += f" · follow-up of {ticket.reopened_from}"
    embed.set_footer(text=footer)
    return fit(embed)


def opening_content(ticket: Ticket) -> str:
    """The text above the card: mentioning the requester is what adds them to the private thread."""
    if ticket.requester.platform == "discord":
        return f"<@{ticket.requester.user_id}>, this is your private ticket thread. Support will answer here."
    return f"New ticket from {cut(ticket.requester.display, 80)} ({platform_name(ticket.requester.platform)})."


def attachment_lines(message: Message) -> list[str]:
    lines = []
    for att in message.attachments:
        size = f", {_size(att.size)}" if att.size is not None else ""
        label = cut(att.name, 100) + size
        lines.append(f"📎 [{_md_link_text(label)}]({att.url})" if att.url else f"📎 {label}")
    return lines


def relay_text(message: Message) -> str:
    """A message from another platform as posted in the Discord thread: author, platform, role, text."""
    role = {Role.STAFF: "support", Role.REQUESTER: "requester", Role.SYSTEM: "system"}[message.role]
    head = f"**{_md_escape(cut(message.author.display, 80))}** · {platform_name(message.source_platform)} · {role}"
    body = "\n".join([message.body, *attachment_lines(message)]).strip()
    return cut(f"{head}\n{body}", CONTENT_MAX)


def closing_text(ticket: Ticket, closer: Actor, reason: str | None, *, ask_rating: bool) -> str:
    text = f"🔒 **{ticket.id}** was closed by {who(closer)}."
    if reason:
        text += f"\nReason: {one_line(reason, 500)}"
    if ask_rating:
        text += f"\n<@{ticket.requester.user_id}>, how did we do? Rate this ticket from 1 to 5."
    text += "\nStaff (or you) can reopen it with the Reopen button or `/ticket reopen`."
    return cut(text, CONTENT_MAX)


def ticket_line(ticket: Ticket) -> str:
    assignee = f" · {who(ticket.assignee)}" if ticket.assignee else ""
    return cut(
        f"**{ticket.id}** {STATUS_EMOJI[ticket.status]} {ticket.status.value} · {ticket.priority.value} · "
        f"{_md_escape(cut(ticket.subject, 80))}{assignee}",
        300,
    )


def ticket_list_embed(tickets: Sequence[Ticket], title: str, empty: str = "No tickets.") -> discord.Embed:
    lines = [ticket_line(t) for t in tickets]
    return fit(discord.Embed(title=cut(title, EMBED_TITLE_MAX), description=_fit_lines(lines) or empty))


def status_embed(ticket: Ticket, thread: Sequence[Message]) -> discord.Embed:
    """``/ticket status``: the card plus the last few messages."""
    first = next((m.body for m in thread if m.role is Role.REQUESTER), "")
    embed = ticket_embed(ticket, first)
    recent = [
        f"{'🔒 ' if m.internal else ''}**{_md_escape(cut(m.author.display, 40))}** "
        f"({platform_name(m.source_platform)}): {one_line(m.body, 150)}"
        for m in list(thread)[-5:]
    ]
    if recent:
        embed.add_field(name="Latest messages", value=_fit_lines(recent, EMBED_FIELD_MAX), inline=False)
    return fit(embed)


def search_embed(query: str, items: Sequence[Ticket], total: int, offset: int, page_size: int) -> discord.Embed:
    pages = max(1, -(-total // page_size))
    page = offset // page_size + 1
    embed = discord.Embed(
        title=f"Search: {total} result{'s' if total != 1 else ''}",
        description=_fit_lines([ticket_line(t) for t in items]) or "Nothing matches.",
    )
    embed.add_field(name="Query", value=cut(query, EMBED_FIELD_MAX), inline=False)
    embed.set_footer(text=f"Page {page}/{pages}")
    return fit(embed)


def query_of(embed: discord.Embed) -> str | None:
    """Read the search query back from a results embed (pagination keeps no state in memory)."""
    for fld in embed.fields:
        if fld.name == "Query":
            return fld.value
    return None


def stats_embed(stats: Stats) -> discord.Embed:
    embed = discord.Embed(title="Support statistics", colour=0x10B981)
    embed.add_field(name="Tickets", value=f"{stats.total} total\n{stats.open} open · {stats.pending} pending")
    embed.add_field(name="Closed", value=str(stats.closed))
    embed.add_field(
        name="Response",
        value=f"first: {duration(stats.avg_first_response)}\nresolution: {duration(stats.avg_resolution)}",
    )
    sla = f"{stats.sla_attainment:.0%}" if stats.sla_attainment is not None else "—"
    csat = f"{stats.csat_average:.2f} / 5 ({stats.csat_count})" if stats.csat_average is not None else "—"
    embed.add_field(name="SLA attainment", value=sla)
    embed.add_field(name="CSAT", value=csat)
    embed.add_field(
        name="Recent",
        value=f"24 h: {stats.opened_24h} opened, {stats.closed_24h} closed\n"
        f"7 d: {stats.opened_7d} opened, {stats.closed_7d} closed",
    )
    if stats.by_category:
        embed.add_field(
            name="By category",
            value=cut("\n".join(f"{k}: {b.total}" for k, b in stats.by_category.items()), EMBED_FIELD_MAX),
        )
    if stats.by_priority:
        embed.add_field(
            name="By priority",
            value=cut("\n".join(f"{k}: {b.total}" for k, b in stats.by_priority.items()), EMBED_FIELD_MAX),
        )
    if stats.oldest_open:
        embed.add_field(
            name="Oldest open",
            value=_fit_lines([ticket_line(t) for t in stats.oldest_open], EMBED_FIELD_MAX),
            inline=False,
        )
    return fit(embed)


def panel_embed() -> discord.Embed:
    return discord.Embed(
        title="Need help?",
        description="Open a support ticket: press the button, or pick a category first. "
        "You get a private thread with the support team.",
        colour=0x3B82F6,
    )


def choice_name(ticket: Ticket) -> str:
    return cut(f"{ticket.id} · {ticket.status.value} · {ticket.subject}", CHOICE_NAME_MAX)


# ---------------------------------------------------------------------------------- transcripts
def _role_label(message: Message) -> str:
    if message.internal:
        return "internal note"
    return {Role.REQUESTER: "requester", Role.STAFF: "support", Role.SYSTEM: "system"}[message.role]


def _iso(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _plain_person(actor: Actor | None) -> str:
    return "unassigned" if actor is None else f"{actor.display} ({platform_name(actor.platform)})"


def transcript_markdown(ticket: Ticket, thread: Sequence[Message]) -> str:
    lines = [
        f"# {ticket.id} — {ticket.subject}",
        "",
        f"- Requester: {_plain_person(ticket.requester)}",
        f"- Assignee: {_plain_person(ticket.assignee)}",
        f"- Category: {ticket.category} · Priority: {ticket.priority.value} · Status: {ticket.status.value}",
        f"- Opened: {_iso(ticket.created_at)} · Closed: {_iso(ticket.closed_at)}",
    ]
    if ticket.rating is not None:
        lines.append(f"- Rating: {ticket.rating}/5")
    lines += ["", "## Conversation", ""]
    for m in thread:
        lines.append(
            f"**{m.author.display}** ({_role_label(m)}, {platform_name(m.source_platform)}) — {_iso(m.created_at)}"
        )
        lines.append("")
        lines.append(m.body or "")
        for att in m.attachments:
            size = f", {_size(att.size)}" if att.size is not None else ""
            kind = f", {att.content_type}" if att.content_type else ""
            lines.append(f"- Attachment: [{att.name}]({att.url}){size}{kind}")
        lines.append("")
    return "\n".join(lines)


def transcript_html(ticket: Ticket, thread: Sequence[Message]) -> str:
    e = html.escape
    rows = []
    for m in thread:
        files = "".join(
            f'<li><a href="{e(a.url, quote=True)}">{e(a.name)}</a>'
            f"{e(', ' + _size(a.size)) if a.size is not None else ''}"
            f"{e(', ' + a.content_type) if a.content_type else ''}</li>"
            for a in m.attachments
        )
        rows.append(
            f'<article class="msg {e(_role_label(m).replace(" ", "-"))}">'
            f"<header><strong>{e(m.author.display)}</strong> "
            f"<span>{e(_role_label(m))} · {e(platform_name(m.source_platform))} · "
            f"{e(_iso(m.created_at))}</span></header>"
            f"<p>{e(m.body or '').replace(chr(10), '<br>')}</p>" + (f"<ul>{files}</ul>" if files else "") + "</article>"
        )
    rating = f"<li>Rating: {ticket.rating}/5</li>" if ticket.rating is not None else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(ticket.id)} — {e(ticket.subject)}</title>"
        "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}"
        ".msg{border-left:3px solid #3b82f6;padding:.25rem .75rem;margin:1rem 0}"
        ".msg.support{border-color:#10b981}.msg.internal-note{border-color:#f59e0b;background:#fffbeb}"
        ".msg.system{border-color:#9ca3af}header span{color:#6b7280;font-size:.85em}</style></head><body>"
        f"<h1>{e(ticket.id)} — {e(ticket.subject)}</h1><ul>"
        f"<li>Requester: {e(_plain_person(ticket.requester))}</li>"
        f"<li>Assignee: {e(_plain_person(ticket.assignee))}</li>"
        f"<li>Category: {e(ticket.category)} · Priority: {e(ticket.priority.value)} · "
        f"Status: {e(ticket.status.value)}</li>"
        f"<li>Opened: {e(_iso(ticket.created_at))} · Closed: {e(_iso(ticket.closed_at))}</li>{rating}</ul>"
        f"<h2>Conversation</h2>{''.join(rows)}</body></html>\n"
    )


def transcript_files(ticket: Ticket, thread: Sequence[Message]) -> list[discord.File]:
    """Both transcript formats as upload-ready files (fresh objects: a File can be sent once)."""
    return [
        discord.File(io.BytesIO(transcript_markdown(ticket, thread).encode()), filename=f"{ticket.id}-transcript.md"),
        discord.File(io.BytesIO(transcript_html(ticket, thread).encode()), filename=f"{ticket.id}-transcript.html"),
    ]


# ---------------------------------------------------------------------------------- helpers
def fit(embed: discord.Embed) -> discord.Embed:
    """Trim the description so the whole embed stays within Discord's 6,000 characters."""
    excess = len(embed) - EMBED_TOTAL_MAX
    if excess > 0 and embed.description:
        embed.description = cut(embed.description, max(1, len(embed.description) - excess - 1))
    return embed


def _fit_lines(lines: Sequence[str], limit: int = EMBED_DESCRIPTION_MAX) -> str:
    out: list[str] = []
    used = 0
    for n, line in enumerate(lines):
        if used + len(line) + 1 > limit - 20:
            out.append(f"… and {len(lines) - n} more")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def _size(size: int | None) -> str:
    if size is None:
        return ""
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return ""


def _md_escape(text: str) -> str:
    return discord.utils.escape_markdown(text)


def _md_link_text(text: str) -> str:
    return text.replace("[", "(").replace("]", ")")
