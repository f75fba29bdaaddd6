"""Block Kit for every Slack surface ticketbot draws: staff card, requester DM, thread mirrors, modals, App Home.

Pure functions from core objects to Slack payloads. Two rules hold for every string a user could have typed:

* it is escaped for mrkdwn (``&``, ``<``, ``>``) and ``@here``-style words are broken with a zero-width
  space, so ``<!channel>``, ``<!subteam^…>`` or ``<@U…>`` show as text and never ping;
* it is cut to the Block Kit limit of the field it lands in, with "…", so Slack never answers
  ``invalid_blocks`` (sections 3,000 characters, headers 150, 50 blocks per message, 100 per view).

Only this module builds blocks; listeners and the notifier send what it returns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core import texts
from core.model import Actor, Attachment, Change, Message, Priority, Role, Status, Ticket
from core.stats import Stats

ELLIPSIS = "…"
SECTION_MAX = 3000
FIELD_MAX = 2000
HEADER_MAX = 150
CONTEXT_MAX = 3000
BUTTON_MAX = 75
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
INPUT_MAX = 3000
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
FALLBACK_MAX = 3000  # the notification text; Slack allows 40,000 but shows far less
MODAL_TITLE_MAX = 24
HOME_PAGE_SIZE = 20

# action_id / callback_id values (DESIGN.md: ``ticket_<action>``, ticket id in value/private_metadata)
A_CLAIM = "ticket_claim"
A_REPLY = "ticket_reply"
A_PENDING = "ticket_pending"
A_CLOSE = "ticket_close"
A_REOPEN = "ticket_reopen"
A_PRIORITY = "ticket_set_priority"
A_CATEGORY = "ticket_set_category"
A_HOME_PREV = "ticket_home_page_prev"
A_HOME_NEXT = "ticket_home_page_next"
A_HOME_PAGE_RE = re.compile(r"^ticket_home_page_(prev|next)$")
CB_NEW = "ticket_new"
CB_REPLY = "ticket_reply"
CB_SHORTCUT = "ticket_from_message"

# reactions that mark a message in the staff thread
MARK_SENT = "white_check_mark"  # reached the requester (delivered by us)
MARK_HANDED_OFF = "outbox_tray"  # handed to the requester's own platform for delivery
MARK_INTERNAL = "lock"  # internal note, never shown to the requester

PLATFORM_NAMES = {"slack": "Slack", "discord": "Discord", "console": "console", "api": "API", "system": "ticketbot"}
STATUS_EMOJI = {
    Status.OPEN: ":large_green_circle:",
    Status.PENDING: ":hourglass_flowing_sand:",
    Status.CLOSED: ":white_circle:",
}
PRIORITY_EMOJI = {
    Priority.LOW: ":small_blue_diamond:",
    Priority.MEDIUM: ":small_orange_diamond:",
    Priority.HIGH: ":large_orange_diamond:",
    Priority.URGENT: ":red_circle:",
}

_PING_WORDS = re.compile(r"@(?=(?:here|channel|everyone)\b)", re.IGNORECASE)
_ENTITY_TAIL = re.compile(r"&[a-z]{0,4}$")
_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")


@dataclass(frozen=True)
class SlackMessage:
    """A message ready for ``chat.postMessage``/``chat.update``/``respond``: fallback text and blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks, "unfurl_links": False, "unfurl_media": False}


# ---------------------------------------------------------------------------------------------- text
def _units(text: str) -> int:
    """Length as Slack may count it (UTF-16 code units): never less than ``len``."""
    return len(text.encode("utf-16-le")) // 2


def _cut_units(text: str, limit: int) -> str:
    out, used = [], 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > limit:
            break
        out.append(ch)
        used += size
    return "".join(out)


def fit(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, ending with "…" when cut; never splits an ``&amp;`` entity."""
    if _units(text) <= limit:
        return text
    head = _cut_units(text, limit - 1)
    head = _ENTITY_TAIL.sub("", head)  # "&am" would show as garbage
    return head + ELLIPSIS


def escape(text: object) -> str:
    """Make user text inert in mrkdwn: escape ``& < >`` and break ``@here``/``@channel``/``@everyone``."""
    value = str(text if text is not None else "")
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _PING_WORDS.sub("@\u200b", value)


def user_mrkdwn(text: object, limit: int = SECTION_MAX) -> str:
    """Escaped and cut: safe to put in any mrkdwn field of ``limit`` characters."""
    return fit(escape(text), limit)


def plain(text: object, limit: int, *, empty: str = "—") -> str:
    """For plain_text objects (never parsed for mentions): cut, never empty, single-line whitespace kept."""
    value = str(text if text is not None else "").strip()
    return fit(value, limit) if value else empty


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": plain(text, limit), "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text or " "}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(fit(text, SECTION_MAX))}


def _context(*parts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(fit(p, CONTEXT_MAX)) for p in parts[:10] if p]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": _plain(text, BUTTON_MAX),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _plain(label, OPTION_TEXT_MAX), "value": fit(value, OPTION_VALUE_MAX)}


def date_token(moment: datetime | None, *, fmt: str = "{date_short_pretty} {time}") -> str:
    """A Slack date token: each reader sees the time in their own timezone; the fallback is UTC."""
    if moment is None:
        return "—"
    return f"<!date^{int(moment.timestamp())}^{fmt}|{texts.when(moment)}>"


def person(actor: Actor | None, *, with_platform: bool = True) -> str:
    """A person as escaped text (never a mention): ``Ann Lee (Discord)``."""
    if actor is None:
        return "_unassigned_"
    name = escape(fit(actor.display, 80))
    if not with_platform:
        return name
    return f"{name} ({PLATFORM_NAMES.get(actor.platform, escape(actor.platform))})"


def split_text(text: str, limit: int = SECTION_MAX, max_parts: int = 40) -> list[str]:
    """Split escaped text into chunks of at most ``limit`` (on line or word breaks); "…" past ``max_parts``."""
    chunks: list[str] = []
    rest = text
    while rest and len(chunks) < max_parts:
        if _units(rest) <= limit:
            chunks.append(rest)
            rest = ""
            break
        head = _cut_units(rest, limit)
        cut = max(head.rfind("\n"), head.rfind(" "))
        if cut < limit // 2:
            cut = len(head)
        piece = _ENTITY_TAIL.sub("", head[:cut]) or head[:cut]
        chunks.append(piece)
        rest = rest[len(piece) :].lstrip("\n")
    if rest:
        chunks[-1] = fit(chunks[-1] + rest, limit)  # too long even for max_parts sections: cut the end
    return [c for c in chunks if c.strip()] or []


# ---------------------------------------------------------------------------------------------- card
def ticket_value(ticket: Ticket, choice: str) -> str:
    """A select option's value: which ticket and what was chosen (``TKT-B3X9C|High``)."""
    return f"{ticket.id}|{choice}"


def parse_choice(value: str) -> tuple[str, str]:
    ticket_id, _, choice = value.partition("|")
    return ticket_id, choice


def _summary_fields(ticket: Ticket) -> list[dict[str, Any]]:
    due = date_token(ticket.sla_due_at) if ticket.sla_due_at else "—"
    if ticket.sla_breached:
        due += "  :warning: *breached*"
    return [
        _mrkdwn(fit(f"*Requester*\n{person(ticket.requester)}", FIELD_MAX)),
        _mrkdwn(fit(f"*Category*\n{escape(ticket.category)}", FIELD_MAX)),
        _mrkdwn(f"*Priority*\n{PRIORITY_EMOJI[ticket.priority]} {ticket.priority.value}"),
        _mrkdwn(f"*Status*\n{STATUS_EMOJI[ticket.status]} {ticket.status.value}"),
        _mrkdwn(fit(f"*Assignee*\n{person(ticket.assignee)}", FIELD_MAX)),
        _mrkdwn(f"*SLA due*\n{due}"),
    ]


def _header(ticket: Ticket) -> dict[str, Any]:
    return {"type": "header", "text": _plain(f"{ticket.id} · {ticket.subject}", HEADER_MAX)}


def staff_actions(ticket: Ticket, categories: Sequence[str]) -> dict[str, Any]:
    """Claim · Reply · Pending · Close · Reopen, then the priority and category selects."""
    tid = ticket.id
    elements: list[dict[str, Any]] = []
    if ticket.status is not Status.CLOSED:
        elements.append(_button("Claim", A_CLAIM, tid, "primary" if ticket.assignee is None else None))
    elements.append(_button("Reply", A_REPLY, tid))
    if ticket.status is Status.OPEN:
        elements.append(_button("Pending", A_PENDING, tid))
    if ticket.status is Status.CLOSED:
        elements.append(_button("Reopen", A_REOPEN, tid))
    else:
        elements.append(_button("Close", A_CLOSE, tid, "danger"))
    priorities = [_option(p.value, ticket_value(ticket, p.value)) for p in Priority]
    elements.append(
        {
            "type": "static_select",
            "action_id": A_PRIORITY,
            "placeholder": _plain("Priority", 150),
            "options": priorities,
            "initial_option": priorities[list(Priority).index(ticket.priority)],
        }
    )
    names = list(dict.fromkeys(categories))[:100] or [ticket.category]
    options = [_option(name, ticket_value(ticket, name)) for name in names]
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": A_CATEGORY,
        "placeholder": _plain("Category", 150),
        "options": options,
    }
    if ticket.category in names:
        select["initial_option"] = options[names.index(ticket.category)]
    elements.append(select)
    return {"type": "actions", "block_id": fit(f"ticket_actions|{tid}", 255), "elements": elements}


def ticket_card(ticket: Ticket, *, categories: Sequence[str]) -> SlackMessage:
    """The staff channel card: everything about the ticket at a glance, with its buttons."""
    context = [f"Opened {date_token(ticket.created_at)}", f"updated {date_token(ticket.updated_at)}"]
    if ticket.reopened_from:
        context.append(f"follow-up of *{ticket.reopened_from}*")
    if ticket.rating is not None:
        context.append(f"rated {ticket.rating}/5")
    blocks = [
        _header(ticket),
        {"type": "section", "fields": _summary_fields(ticket)},
        _context(" · ".join(context)),
        staff_actions(ticket, categories),
    ]
    text = user_mrkdwn(f"{ticket.id} [{ticket.status.value}] {ticket.subject}", FALLBACK_MAX)
    return SlackMessage(text=text, blocks=blocks)


def requester_card(ticket: Ticket) -> SlackMessage:
    """The requester's DM: their ticket, Close/Reopen, and how to add to it (reply in the thread)."""
    if ticket.status is Status.CLOSED:
        action = _button("Reopen", A_REOPEN, ticket.id)
        hint = "This ticket is closed. Reply in this thread to reopen it, or press Reopen."
    else:
        action = _button("Close", A_CLOSE, ticket.id, "danger")
        hint = "Reply in this thread to add to your ticket; support answers here."
    blocks = [
        _header(ticket),
        {
            "type": "section",
            "fields": [
                _mrkdwn(f"*Status*\n{STATUS_EMOJI[ticket.status]} {ticket.status.value}"),
                _mrkdwn(f"*Priority*\n{ticket.priority.value}"),
                _mrkdwn(fit(f"*Category*\n{escape(ticket.category)}", FIELD_MAX)),
                _mrkdwn(fit(f"*Assigned to*\n{person(ticket.assignee, with_platform=False)}", FIELD_MAX)),
            ],
        },
        _context(hint),
        {"type": "actions", "block_id": fit(f"requester_actions|{ticket.id}", 255), "elements": [action]},
    ]
    text = user_mrkdwn(f"Your ticket {ticket.id} ({ticket.status.value}): {ticket.subject}", FALLBACK_MAX)
    return SlackMessage(text=text, blocks=blocks)


# ---------------------------------------------------------------------------------------------- messages
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
    blocks: list[dict[str, Any]] = [_context(label)]
    sections = split_text(body, SECTION_MAX, max_parts=MESSAGE_BLOCKS_MAX - 3)
    blocks += [{"type": "section", "text": _mrkdwn(chunk)} for chunk in sections]
    files = _files_line(message.attachments)
    if files:
        blocks.append(_context(files))
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
        return SlackMessage(text=line, blocks=[_context(line)])
    who = f" by {person(by)}" if by is not None and by.platform != "system" else ""
    before, after = escape(old) or "—", escape(new)
    text = fit(f"Status {before} → {after}{who}", FALLBACK_MAX)
    return SlackMessage(text=text, blocks=[_context(f"Status {before} → *{after}*{who}")])


def notice(text: str) -> SlackMessage:
    """A short message from the bot (errors, confirmations); ``text`` is ours, but escaped anyway."""
    safe = user_mrkdwn(text, SECTION_MAX)
    return SlackMessage(text=fit(safe, FALLBACK_MAX), blocks=[_section(safe)])


def ticket_done(ticket: Ticket, what: str = "Done") -> SlackMessage:
    """A confirmation after a change: ``Done: TKT-B3X9C is Closed · High · Technical · Alice``."""
    who = person(ticket.assignee, with_platform=False) if ticket.assignee else "unassigned"
    facts = f"{ticket.status.value} · {ticket.priority.value} · {escape(ticket.category)} · {who}"
    text = fit(f"{escape(what)}: {ticket.id} is {facts}", FALLBACK_MAX)
    return SlackMessage(text=text, blocks=[_section(fit(f"{escape(what)}: *{ticket.id}* is {facts}", SECTION_MAX))])


def refusal(text: str) -> SlackMessage:
    return notice(f":no_entry: {text}")


def error_message(text: str) -> SlackMessage:
    return notice(f":warning: {text}")


def help_message(help_text: str) -> SlackMessage:
    body = "```" + escape(help_text).replace("```", "'''") + "```"
    return SlackMessage(text="ticketbot commands", blocks=[_section(fit(body, SECTION_MAX))])


# ---------------------------------------------------------------------------------------------- lists
def ticket_line(ticket: Ticket) -> str:
    due = f" · due {date_token(ticket.sla_due_at)}" if ticket.sla_due_at else ""
    assignee = f" · {person(ticket.assignee, with_platform=False)}" if ticket.assignee else ""
    subject = user_mrkdwn(ticket.subject, 200)
    return (
        f"{STATUS_EMOJI[ticket.status]} *{ticket.id}* {subject}\n"
        f"{ticket.status.value} · {ticket.priority.value} · {escape(ticket.category)}{assignee}{due}"
    )


def ticket_list(
    tickets: Sequence[Ticket], *, title: str, empty: str = "No tickets.", total: int | None = None
) -> SlackMessage:
    """An ephemeral list (``/ticket list``, ``/ticket search``)."""
    shown = list(tickets)[: MESSAGE_BLOCKS_MAX - 3]
    blocks: list[dict[str, Any]] = [_section(f"*{escape(title)}*")]
    if not shown:
        blocks.append(_section(escape(empty)))
    blocks += [_section(ticket_line(t)) for t in shown]
    if total is not None and total > len(shown):
        blocks.append(_context(f"Showing {len(shown)} of {total}{'+' if total >= 1000 else ''}."))
    return SlackMessage(text=user_mrkdwn(f"{title}: {len(shown)} ticket(s)", FALLBACK_MAX), blocks=blocks)


def ticket_details(ticket: Ticket, thread: Sequence[Message], *, staff: bool) -> SlackMessage:
    """``/ticket show``: the summary and the latest messages of the conversation."""
    blocks: list[dict[str, Any]] = [_header(ticket), {"type": "section", "fields": _summary_fields(ticket)}]
    recent = list(thread)[-10:]
    if len(thread) > len(recent):
        blocks.append(_context(f"{len(thread) - len(recent)} earlier message(s) not shown"))
    for m in recent:
        label = message_label(m, for_requester=not staff)
        blocks.append(_context(f"{label} · {date_token(m.created_at)}"))
        if m.body:
            blocks.append(_section(user_mrkdwn(m.body, 1200)))
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
        blocks=[_section(f"*History of {ticket_id}*")]
        + [_section(chunk) for chunk in split_text("\n".join(lines) or "No changes.", SECTION_MAX, 10)],
    )


def stats_message(stats: Stats) -> SlackMessage:
    pct = f"{stats.sla_attainment:.0%}" if stats.sla_attainment is not None else "—"
    csat = f"{stats.csat_average:.2f} ({stats.csat_count})" if stats.csat_average is not None else "—"
    fields = [
        _mrkdwn(f"*Total*\n{stats.total}"),
        _mrkdwn(f"*Open · Pending · Closed*\n{stats.open} · {stats.pending} · {stats.closed}"),
        _mrkdwn(f"*Avg first response*\n{texts.duration(stats.avg_first_response)}"),
        _mrkdwn(f"*Avg resolution*\n{texts.duration(stats.avg_resolution)}"),
        _mrkdwn(f"*SLA attainment*\n{pct}"),
        _mrkdwn(f"*CSAT*\n{csat}"),
        _mrkdwn(f"*Last 24 h*\n{stats.opened_24h} opened · {stats.closed_24h} closed"),
        _mrkdwn(f"*Last 7 days*\n{stats.opened_7d} opened · {stats.closed_7d} closed"),
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain("Support statistics", HEADER_MAX)},
        {"type": "section", "fields": fields},
    ]
    if stats.by_category:
        cats = ", ".join(f"{escape(k)} {b.total}" for k, b in stats.by_category.items())
        blocks.append(_section(f"*By category:* {cats}"))
    if stats.by_priority:
        blocks.append(
            _section("*By priority:* " + ", ".join(f"{escape(k)} {b.total}" for k, b in stats.by_priority.items()))
        )
    if stats.oldest_open:
        blocks.append(_section("*Oldest open*\n" + "\n".join(ticket_line(t) for t in stats.oldest_open[:10])))
    return SlackMessage(text=f"Support statistics: {stats.total} tickets, {stats.open} open", blocks=blocks)


# ---------------------------------------------------------------------------------------------- modals
def _text_input(
    block_id: str,
    label: str,
    *,
    multiline: bool = False,
    initial: str = "",
    max_length: int = INPUT_MAX,
    optional: bool = False,
    placeholder: str = "",
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = _cut_units(initial, max_length)
    if placeholder:
        element["placeholder"] = _plain(placeholder, 150)
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label, 2000),
        "element": element,
        "optional": optional,
    }


def _select_input(block_id: str, label: str, choices: Sequence[str], initial: str | None) -> dict[str, Any]:
    names = list(dict.fromkeys(choices))[:100]
    options = [_option(name, name) for name in names]
    element: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": options}
    if initial in names:
        element["initial_option"] = options[names.index(initial)]  # type: ignore[arg-type]
    return {"type": "input", "block_id": block_id, "label": _plain(label, 2000), "element": element}


def new_ticket_modal(
    *,
    categories: Sequence[str],
    subject: str = "",
    description: str = "",
    metadata: dict[str, Any] | None = None,
    with_files: bool = True,
    note: str = "",
) -> dict[str, Any]:
    """The new-ticket modal: subject, category, priority, description, optional files.

    ``metadata`` (where it was opened from: channel, source message) travels in ``private_metadata``.
    """
    blocks: list[dict[str, Any]] = []
    if note:
        blocks.append(_context(note))
    blocks += [
        _text_input(
            "subject",
            "Subject",
            initial=" ".join(subject.split()),
            max_length=150,
            placeholder="What is the problem, in a few words?",
        ),
        _select_input("category", "Category", categories, "General" if "General" in categories else categories[0]),
        _select_input("priority", "Priority", [p.value for p in Priority], Priority.MEDIUM.value),
        _text_input(
            "description",
            "Description",
            multiline=True,
            initial=description,
            optional=True,
            placeholder="What happened, what you expected, steps to reproduce…",
        ),
    ]
    if with_files:
        blocks.append(
            {
                "type": "input",
                "block_id": "files",
                "optional": True,
                "label": _plain("Files", 2000),
                "element": {"type": "file_input", "action_id": "value", "max_files": 5},
            }
        )
    return {
        "type": "modal",
        "callback_id": CB_NEW,
        "title": _plain("New ticket", MODAL_TITLE_MAX),
        "submit": _plain("Open ticket", MODAL_TITLE_MAX),
        "close": _plain("Cancel", MODAL_TITLE_MAX),
        "private_metadata": fit(json.dumps(metadata or {}, separators=(",", ":")), 3000),
        "blocks": blocks,
    }


def reply_modal(ticket: Ticket) -> dict[str, Any]:
    """Staff reply to the requester (it is sent to them; notes go through ``/ticket note``)."""
    return {
        "type": "modal",
        "callback_id": CB_REPLY,
        "title": _plain(f"Reply · {ticket.id}", MODAL_TITLE_MAX),
        "submit": _plain("Send to requester", MODAL_TITLE_MAX),
        "close": _plain("Cancel", MODAL_TITLE_MAX),
        "private_metadata": ticket.id,
        "blocks": [
            _section(f"*{ticket.id}* · {user_mrkdwn(ticket.subject, 300)}\nTo: {person(ticket.requester)}"),
            _text_input("body", "Reply", multiline=True),
            {
                "type": "input",
                "block_id": "files",
                "optional": True,
                "label": _plain("Files", 2000),
                "element": {"type": "file_input", "action_id": "value", "max_files": 5},
            },
            _context(
                ":information_source: This reply is sent to the requester. Use `/ticket note` for internal notes."
            ),
        ],
    }


# ---------------------------------------------------------------------------------------------- App Home
def home_view(
    tickets: Sequence[Ticket],
    *,
    staff: bool,
    offset: int = 0,
    has_more: bool = False,
    page_size: int = HOME_PAGE_SIZE,
    notice: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """App Home: the requester's tickets, or for staff the queue (unassigned first, by SLA due) with buttons.

    At most ``page_size`` tickets (3 blocks each) per page, with Previous/Next buttons; always ≤ 100 blocks.
    ``notice``: blocks from this module (``refusal``, ``error_message``) shown above the list.
    """
    title = "Support queue" if staff else "Your tickets"
    intro = (
        "Unassigned tickets first, then by SLA due time."
        if staff
        else "Open a ticket with `/ticket`. Reply to a ticket in its DM thread."
    )
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain(title, HEADER_MAX)}, _context(intro)]
    blocks += list(notice)[:3]  # e.g. a refusal, rendered by this module
    shown = list(tickets)[:page_size]
    if not shown:
        blocks.append(_section("The queue is empty. :tada:" if staff else "You have no open tickets."))
    for n, t in enumerate(shown):
        buttons: list[dict[str, Any]] = []
        if staff and t.status is not Status.CLOSED and t.assignee is None:
            buttons.append(_button("Claim", A_CLAIM, t.id, "primary"))
        if staff:
            buttons.append(_button("Reply", A_REPLY, t.id))
        if t.status is Status.CLOSED:
            buttons.append(_button("Reopen", A_REOPEN, t.id))
        else:
            buttons.append(_button("Close", A_CLOSE, t.id, "danger"))
        blocks.append(
            {
                "type": "section",
                "block_id": f"home_ticket|{n}|{t.id}",
                "text": _mrkdwn(fit(ticket_line(t), SECTION_MAX)),
            }
        )
        blocks.append({"type": "actions", "block_id": f"home_actions|{n}|{t.id}", "elements": buttons})
        blocks.append({"type": "divider"})
    pager: list[dict[str, Any]] = []
    if offset > 0:
        pager.append(_button("Previous", A_HOME_PREV, str(max(0, offset - page_size))))
    if has_more:
        pager.append(_button("Next", A_HOME_NEXT, str(offset + page_size)))
    if pager:
        blocks.append({"type": "actions", "block_id": "home_pager", "elements": pager})
        blocks.append(_context(f"Tickets {offset + 1}–{offset + len(shown)}"))
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS_MAX]}
