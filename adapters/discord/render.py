"""Core objects → Discord text, embeds and transcript files. Pure functions; nothing here talks to Discord.

Words come from ``core.render`` (platform names, people, roles, durations, SLA state, what a command changed,
the transcript); this module only maps them to Discord: mentions, timestamp tags, embeds, Markdown escaping.
Every string is cut to Discord's limits (2,000 per message; embed title 256, description 4,096, field 1,024,
6,000 in total) so a long subject or body never turns into a 400. Relayed text is sent with ``NO_MENTIONS``:
nobody is pinged by what a user typed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime

import discord

from core import notices
from core import render as words
from core.commands import Changed, Page, Posted
from core.digest import Digest, digest_text
from core.events import AssigneeChanged, SlaBreached, SlaWarning, StaleReminder, StatusChanged
from core.model import Actor, Message, Role, Status, Ticket
from core.stats import Stats

CONTENT_MAX = 2000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELD_MAX = 1024
EMBED_TOTAL_MAX = 6000
THREAD_NAME_MAX = 100
CHOICE_NAME_MAX = 100

NO_MENTIONS = discord.AllowedMentions.none()
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


def stamp(moment: datetime | None, style: str = "f") -> str:
    """A Discord timestamp tag: shown in the reader's own timezone, and live (``R`` counts as time passes)."""
    return f"<t:{int(moment.timestamp())}:{style}>" if moment else "—"


def who(actor: Actor | None) -> str:
    """A person as shown in embeds: a Discord mention (embeds never ping) or name and platform."""
    if actor is not None and actor.platform == "discord" and actor.user_id.isdigit():
        return f"<@{actor.user_id}>"
    return cut(words.person(actor), 100)


def outcome(result: Changed | Posted) -> str:
    """The ephemeral answer to a command that changed something: ``core.render``'s words, Markdown-escaped."""
    if isinstance(result, Posted):
        text = words.post_words(result)
        emoji = "📝" if result.message.internal else ""
    else:
        text = words.change_words(result)
        first = result.events[0] if result.events else None
        emoji = ""
        if isinstance(first, StatusChanged):
            emoji = "🔒" if first.closed else "🔓" if first.reopened else ""
        elif isinstance(first, AssigneeChanged):
            emoji = "🙋"
    line = discord.utils.escape_markdown(one_line(text, 1900))
    return cut(f"{emoji} {line}" if emoji else line, CONTENT_MAX)


def thread_name(ticket: Ticket) -> str:
    """Set once at creation: Discord allows 2 renames per 10 minutes, so status lives in the embed."""
    return cut(f"{ticket.id} {ticket.subject}", THREAD_NAME_MAX)


def sla_text(ticket: Ticket, now: datetime) -> str:
    """The SLA state in words (``core.render.sla_state``): paused, closed, overdue by…; while the clock runs,
    the due time as live Discord tags, because a card is only edited on changes and "due in 2 h" would go
    stale on it."""
    state = words.sla_state(ticket, now)
    due = ticket.sla_due_at
    if ticket.status is not Status.OPEN or due is None:
        return state  # "paused — waiting on the requester", or "—" once closed
    if words.sla_overdue(ticket, now):
        return f"⚠️ {state} (due {stamp(due, 'R')})"
    if ticket.sla_breached:
        return f"⚠️ breached (due {stamp(due, 'R')})"
    return f"{stamp(due, 'f')} ({stamp(due, 'R')})"


def ticket_embed(ticket: Ticket, description: str, now: datetime) -> discord.Embed:
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
    embed.add_field(name="SLA due", value=sla_text(ticket, now))
    if ticket.rating is not None:
        embed.add_field(name="Rating", value=words.stars(ticket.rating))
    if ticket.status is Status.CLOSED and ticket.close_reason:
        embed.add_field(name="Close reason", value=cut(ticket.close_reason, 500), inline=False)
    footer = f"Opened via {words.platform_name(ticket.requester.platform)}"
    if ticket.reopened_from:
        footer += f" · follow-up of {ticket.reopened_from}"
    embed.set_footer(text=footer)
    return fit(embed)


def moment(at: datetime) -> str:
    """A moment as Discord shows it to each reader in their own time zone (``Monday, 30 November 2026 09:00``)."""
    return stamp(at, "F")


def opening_content(ticket: Ticket, *, acknowledgement: str | None = None) -> str:
    """The text above the card: mentioning the requester is what adds them to the private thread; they also
    read the response target of the ticket's priority (``core.notices.acknowledgement``)."""
    if ticket.requester.platform == "discord":
        text = f"<@{ticket.requester.user_id}>, this is your private ticket thread. Support will answer here."
        return cut(f"{text}\n{acknowledgement}" if acknowledgement else text, CONTENT_MAX)
    return cut(f"New ticket from {words.person(ticket.requester)}.", CONTENT_MAX)


def attachment_lines(message: Message) -> list[str]:
    lines = []
    for att in message.attachments:
        size = f", {words.file_size(att.size)}" if att.size is not None else ""
        label = cut(att.name, 100) + size
        url = words.web_url(att.url)
        lines.append(f"📎 [{_md_link_text(label)}]({url})" if url else f"📎 {label}")
    return lines


def relay_text(message: Message) -> str:
    """A message from another platform as posted in the Discord thread: author, platform, role, text."""
    platform = words.platform_name(message.source_platform)
    head = f"**{_md_escape(cut(message.author.display, 80))}** · {platform} · {words.role_name(message)}"
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


def reopened_text(ticket: Ticket, actor: Actor) -> str:
    return f"🔓 **{ticket.id}** was reopened by {who(actor)}."


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


def status_embed(ticket: Ticket, thread: Sequence[Message], now: datetime) -> discord.Embed:
    """``/ticket status``: the card plus the last few messages."""
    first = next((m.body for m in thread if m.role is Role.REQUESTER), "")
    embed = ticket_embed(ticket, first, now)
    recent = [
        f"{'🔒 ' if m.internal else ''}**{_md_escape(cut(m.author.display, 40))}** "
        f"({words.platform_name(m.source_platform)}): {one_line(m.body, 150)}"
        for m in list(thread)[-5:]
    ]
    if recent:
        embed.add_field(name="Latest messages", value=_fit_lines(recent, EMBED_FIELD_MAX), inline=False)
    return fit(embed)


def search_embed(page: Page) -> discord.Embed:
    """One page of search results; the query is kept in a field so the page buttons can read it back."""
    pages = max(1, -(-page.total // page.limit))
    count = f"more than {page.total}" if page.total_capped else str(page.total)
    embed = discord.Embed(
        title=f"Search: {count} result{'s' if page.total != 1 or page.total_capped else ''}",
        description=_fit_lines([ticket_line(t) for t in page.items]) or "Nothing matches.",
    )
    embed.add_field(name="Query", value=cut(page.query or "", EMBED_FIELD_MAX), inline=False)
    embed.set_footer(text=f"Page {page.page_number}/{pages}")
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
        value=f"first: {words.duration(stats.avg_first_response)}\nresolution: {words.duration(stats.avg_resolution)}",
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


def transcript_files(ticket: Ticket, thread: Sequence[Message]) -> list[discord.File]:
    """``core.render.transcript`` in both formats as upload-ready files (fresh objects: a File is sent once)."""
    return [
        discord.File(
            io.BytesIO(words.transcript(ticket, thread, fmt=fmt).encode()), filename=f"{ticket.id}-transcript.{fmt}"
        )
        for fmt in ("md", "html")
    ]


def transcript_caption(ticket: Ticket, closer: Actor) -> str:
    return cut(
        f"📄 Transcript of **{ticket.id}** — {_md_escape(one_line(ticket.subject, 150))} "
        f"(closed by {who(closer)}; requester {who(ticket.requester)})",
        CONTENT_MAX,
    )


def transcript_dm(ticket: Ticket) -> str:
    return cut(
        f"Your ticket **{ticket.id}** — {_md_escape(one_line(ticket.subject, 150))} — was closed. "
        "Here is its transcript.",
        CONTENT_MAX,
    )


# ---------------------------------------------------------------------------------- on the bot's own
def thread_url(guild_id: int | None, thread_id: str | None) -> str | None:
    """The link that opens a ticket's thread (for the staff channel, DMs and the digest)."""
    if guild_id is None or not thread_id:
        return None
    return f"https://discord.com/channels/{guild_id}/{thread_id}"


def subject_line(ticket: Ticket, limit: int = 150) -> str:
    """A subject shown in the bot's own messages: one line, Markdown and mentions made inert."""
    return discord.utils.escape_mentions(_md_escape(one_line(ticket.subject, limit)))


def role_mentions(role_id: int | None) -> discord.AllowedMentions:
    """Nobody may be pinged, except the escalation role when it is named (the one mention the bot makes)."""
    if role_id is None:
        return NO_MENTIONS
    return discord.AllowedMentions(everyone=False, users=False, replied_user=False, roles=[discord.Object(role_id)])


def _sla_icon(event: SlaWarning | SlaBreached) -> str:
    return "⏳" if isinstance(event, SlaWarning) else "🔔" if event.repeat else "🚨"


def sla_alert(
    ticket: Ticket,
    event: SlaWarning | SlaBreached,
    now: datetime,
    *,
    thread_url: str | None,
    escalate_to: int | None = None,
) -> str:
    """The reminder in the staff channel: what is due, whose it is, the thread; an unassigned breach names the
    escalation role (sent with ``role_mentions(escalate_to)``)."""
    due = ticket.sla_due_at or event.due_at
    owner = f"assigned to {who(ticket.assignee)}" if ticket.assignee else "**unassigned**"
    where = f" · [open the thread]({thread_url})" if thread_url else ""
    text = f"{_sla_icon(event)} **{notices.sla_alert(ticket, event, now)}** (due {stamp(due, 'R')}) · {owner}{where}"
    text += f"\n> {subject_line(ticket)}"
    if escalate_to is not None:
        text += f"\n<@&{escalate_to}> please pick it up."
    return cut(text, CONTENT_MAX)


def sla_dm(ticket: Ticket, event: SlaWarning | SlaBreached, now: datetime, *, thread_url: str | None) -> str:
    """The reminder to the assignee, by DM."""
    where = f"\n[Open the thread]({thread_url}) to answer it." if thread_url else ""
    return cut(
        f"{_sla_icon(event)} **{notices.sla_alert(ticket, event, now)}** — a ticket assigned to you: "
        f"{subject_line(ticket)}{where}",
        CONTENT_MAX,
    )


def stale_reminder(ticket: Ticket, event: StaleReminder, now: datetime) -> str:
    """The one reminder to a requester support is waiting on, in their thread."""
    return cut(f"👋 <@{ticket.requester.user_id}>, {notices.stale_reminder(ticket, event, now)}", CONTENT_MAX)


def digest_post(
    digest: Digest, chart: bytes, link: Callable[[Ticket], str | None]
) -> tuple[discord.Embed, discord.File]:
    """The digest as an embed (its text, the listed tickets linked to their threads) with the chart attached
    and shown as the embed's image."""

    def ref(ticket: Ticket) -> str:
        url = link(ticket)
        return f"[{ticket.id}]({url})" if url else f"`{ticket.id}`"

    head, _, rest = digest_text(
        digest, escape=lambda text: discord.utils.escape_mentions(_md_escape(text)), ref=ref
    ).partition("\n")
    filename = f"digest-{digest.day.isoformat()}.png"
    embed = discord.Embed(
        title=cut(head, EMBED_TITLE_MAX), description=cut(rest, EMBED_DESCRIPTION_MAX), colour=0x4C78A8
    )
    embed.set_image(url=f"attachment://{filename}")
    return fit(embed), discord.File(io.BytesIO(chart), filename=filename)


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


def _md_escape(text: str) -> str:
    return discord.utils.escape_markdown(text)


def _md_link_text(text: str) -> str:
    return text.replace("[", "(").replace("]", ")")
