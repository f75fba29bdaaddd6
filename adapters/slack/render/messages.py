"""Messages in a ticket's threads: mirrored ticket messages (who wrote it, where, and what it is) and status notes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from adapters.slack.render.blocks import SlackMessage, context, mrkdwn
from adapters.slack.render.text import (
    FALLBACK_MAX,
    MESSAGE_BLOCKS_MAX,
    SECTION_MAX,
    escape,
    fit,
    person,
    platform,
    split_text,
    user_mrkdwn,
)
from core.events import StatusChanged
from core.model import Attachment, Message, Role, Status

_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")


def files_line(attachments: Iterable[Attachment]) -> str:
    parts = []
    for a in attachments:
        name = escape(fit(a.name or "file", 100))
        parts.append(f"<{a.url}|{name}>" if a.url and _SAFE_URL.match(a.url) and len(a.url) < 1500 else name)
    return (":paperclip: " + ", ".join(parts)) if parts else ""


def message_label(message: Message, *, for_requester: bool = False, markup: bool = True) -> str:
    """Who wrote it and what it is: ``*Ann* (Discord) · requester`` (``markup=False``: for fallback text)."""
    name = person(message.author, with_platform=False)
    who = f"*{name}*" if markup else name
    where = platform(message.source_platform)
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
    files = files_line(message.attachments)
    if files:
        blocks.append(context(files))
    plain_label = message_label(message, for_requester=for_requester, markup=False)
    text = fit(f"{plain_label}: {body}" if body else plain_label, FALLBACK_MAX)
    return SlackMessage(text=text, blocks=blocks[:MESSAGE_BLOCKS_MAX])


REQUESTER_STATUS_LINES = {
    Status.CLOSED: "Your ticket was closed{reason}. Reply in this thread to reopen it.",
    Status.PENDING: "Support answered and is waiting for your reply.",
    Status.OPEN: "Your ticket is open again; support will answer here.",
}


def status_note(event: StatusChanged, *, for_requester: bool) -> SlackMessage:
    """A line in a thread about a status change, with the reason when one was given (a close reason)."""
    reason = user_mrkdwn(event.reason, 500) if event.reason else ""
    if for_requester:
        line = REQUESTER_STATUS_LINES[event.new].format(reason=f": {reason}" if reason else "")
        return SlackMessage(text=fit(line, FALLBACK_MAX), blocks=[context(line)])
    by = event.actor
    who = f" by {person(by)}" if by.platform != "system" else ""
    before, after = event.old.value if event.old else "—", event.new.value
    why = f" — {reason}" if reason else ""
    text = fit(f"Status {before} → {after}{who}{why}", FALLBACK_MAX)
    return SlackMessage(text=text, blocks=[context(f"Status {before} → *{after}*{who}{why}")])
