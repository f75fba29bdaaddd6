"""Slack payloads → what the desk needs: plain text, attachments, validated form values, intents.

Pure functions (no I/O), so every rule about reading Slack input is testable on its own. Slack sends
user text with its own markup (``<@U123|ann>``, ``<https://x|label>``, ``&lt;``); the core stores plain
text, and ``render`` escapes it again on the way out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from core.commands import OPEN_STATUSES, ListTickets, Search
from core.errors import InvalidInput
from core.model import SUBJECT_MAX, Attachment, Priority, Status

_MARKUP = re.compile(r"<([^<>]*)>")
NOTE_PREFIX = re.compile(r"^\s*note:\s*", re.IGNORECASE)
USER_REF = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
# message subtypes that carry something a person wrote; everything else (edits, joins, bots…) is ignored
USER_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})


def to_plain(text: str | None) -> str:
    """Slack message markup → plain text: mentions become ``@name``, links ``label (url)``, entities unescaped."""

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            if target.startswith("!subteam^"):
                return label or "@" + target[len("!subteam^") :]
            if target.startswith("!date^"):
                return label
            return "@" + target[1:]
        if label and label != target and not target.startswith("mailto:"):
            return f"{label} ({target})"
        return label or target.removeprefix("mailto:")

    plain = _MARKUP.sub(replace, text or "")
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def subject_from(text: str) -> str:
    """A ticket subject from a message: its first non-empty line, cut to the subject limit."""
    for line in to_plain(text).splitlines():
        words = " ".join(line.split())
        if words:
            return words if len(words) <= SUBJECT_MAX else words[: SUBJECT_MAX - 1] + "…"
    return "Message from Slack"


def attachments_from(files: Iterable[Mapping[str, Any]] | None) -> tuple[Attachment, ...]:
    """Slack file objects (events, file_input values) → attachment metadata (the files stay in Slack)."""
    out = []
    for f in files or ():
        name = str(f.get("name") or f.get("title") or f.get("id") or "file")
        url = str(f.get("permalink") or f.get("url_private") or "")
        size = f.get("size")
        out.append(
            Attachment(
                name=name[:255],
                url=url,
                size=int(size) if isinstance(size, int) else None,
                content_type=str(f["mimetype"]) if f.get("mimetype") else None,
            )
        )
    return tuple(out)


def is_person_message(event: Mapping[str, Any]) -> bool:
    """A new message a person wrote (not a bot, an edit, a deletion or a join)."""
    return (
        event.get("subtype") in USER_SUBTYPES
        and not event.get("bot_id")
        and bool(event.get("user"))
        and not event.get("hidden")
    )


def thread_of(event: Mapping[str, Any]) -> str | None:
    """The thread a message was posted in (``None`` for a top-level message)."""
    thread_ts = event.get("thread_ts")
    return str(thread_ts) if thread_ts and thread_ts != event.get("ts") else None


@dataclass(frozen=True)
class ThreadIntent:
    """What a staff member's message in a ticket's staff thread means."""

    kind: Literal["reply", "note"]
    content: str


def staff_thread_intent(text: str, *, reply_mode: str) -> ThreadIntent:
    """``reply_mode="thread"``: every message is a reply to the requester except ``note:`` ones.
    ``"explicit"``: thread messages are internal notes; replies go through the Reply button or
    ``/ticket reply`` (so a slip never reaches the requester)."""
    plain = to_plain(text)
    if NOTE_PREFIX.match(plain):
        return ThreadIntent("note", NOTE_PREFIX.sub("", plain, count=1))
    return ThreadIntent("reply" if reply_mode == "thread" else "note", plain)


def command_text(text: str) -> str:
    """What follows ``/ticket``, as plain text — except people: ``assign``'s person stays the mention Slack
    sent (``<@U123|ann>``) for the resolver, and a mention in a search becomes the user id it names
    (``requester:<@U123|ann>`` → ``requester:U123``)."""
    verb = text.strip().split(" ", 1)[0].lower()
    if verb == "assign":
        return text
    if verb == "search":
        text = _MENTION.sub(lambda m: m.group(1), text)
    return to_plain(text)


def user_ref(text: str) -> str | None:
    """``<@U123|ann>`` (a slash command's escaped mention) → ``U123``."""
    match = USER_REF.match(text.strip())
    return match.group(1) if match else None


# ------------------------------------------------------------------------------------------ modals
@dataclass(frozen=True)
class NewTicketForm:
    subject: str
    category: str
    priority: str
    description: str
    attachments: tuple[Attachment, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)


def _value(values: Mapping[str, Any], block_id: str) -> Any:
    return (values.get(block_id) or {}).get("value") or {}


def _text(values: Mapping[str, Any], block_id: str) -> str:
    return str(_value(values, block_id).get("value") or "")


def _selected(values: Mapping[str, Any], block_id: str) -> str | None:
    option = _value(values, block_id).get("selected_option")
    return str(option["value"]) if option else None


def _files(values: Mapping[str, Any], block_id: str) -> tuple[Attachment, ...]:
    return attachments_from(_value(values, block_id).get("files"))


def metadata_of(view: Mapping[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def read_new_ticket(view: Mapping[str, Any], categories: Sequence[str]) -> NewTicketForm | dict[str, str]:
    """The new-ticket modal's values, or ``{block_id: message}`` errors to show inside the modal."""
    values = (view.get("state") or {}).get("values") or {}
    errors: dict[str, str] = {}
    subject = " ".join(_text(values, "subject").split())
    if not subject:
        errors["subject"] = "Please enter a subject."
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = f"Keep the subject under {SUBJECT_MAX} characters (it has {len(subject)})."
    category = _selected(values, "category")
    if category is None or category.lower() not in {c.lower() for c in categories}:
        errors["category"] = "Choose a category."
    priority = _selected(values, "priority")
    if priority is None or priority.lower() not in {p.value.lower() for p in Priority}:
        errors["priority"] = "Choose a priority."
    if errors:
        return errors
    return NewTicketForm(
        subject=subject,
        category=str(category),
        priority=str(priority),
        description=_text(values, "description").strip(),
        attachments=_files(values, "files"),
        metadata=metadata_of(view),
    )


@dataclass(frozen=True)
class ReplyForm:
    """The reply modal's values, and where its button was pressed (to answer there)."""

    ticket_id: str
    body: str
    attachments: tuple[Attachment, ...] = ()
    channel: str | None = None
    from_home: bool = False


def read_reply(view: Mapping[str, Any]) -> ReplyForm | dict[str, str]:
    """The reply modal: its values, or errors for the modal. ``private_metadata`` is
    ``{"ticket_id", "channel", "home"}`` (a bare ticket id from modals opened before that)."""
    values = (view.get("state") or {}).get("values") or {}
    body = _text(values, "body").strip()
    files = _files(values, "files")
    if not body and not files:
        return {"body": "Write a reply (or attach a file)."}
    raw = str(view.get("private_metadata") or "")
    meta = metadata_of(view) if raw.startswith("{") else {"ticket_id": raw}
    channel = meta.get("channel")
    return ReplyForm(
        str(meta.get("ticket_id") or ""), body, files, str(channel) if channel else None, bool(meta.get("home"))
    )


# ------------------------------------------------------------------------------------------ paging
PAGE_STATE_MAX = 2000  # a button's value


def page_state(
    *, offset: int, limit: int, query: str | None, statuses: Sequence[Status] = (), mine: bool = False
) -> str | None:
    """What a "Next page" button must remember to ask for the page at ``offset`` (the button's value), or None
    when it does not fit (a very long search)."""
    data: dict[str, Any] = {"o": offset, "l": limit}
    if query is not None:
        data["q"] = query
    else:
        data["s"] = [s.value for s in statuses]
        data["m"] = mine
    value = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return value if len(value) <= PAGE_STATE_MAX else None


def page_command(value: str) -> ListTickets | Search | None:
    """The command a paging button asks for again (the list or search it belongs to, at its offset)."""
    try:
        data = json.loads(value or "")
        offset, limit = int(data["o"]), int(data["l"])
        if "q" in data:
            return Search(str(data["q"]), limit, offset)
        statuses = tuple(Status.parse(str(s)) for s in data.get("s") or ())
        return ListTickets(statuses or OPEN_STATUSES, bool(data.get("m")), limit, offset)
    except (ValueError, TypeError, KeyError, InvalidInput):
        return None
