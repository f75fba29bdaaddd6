"""Block Kit building blocks: the message type, action and callback ids, and text/section/button objects."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from adapters.slack.render.text import (
    BUTTON_MAX,
    CONTEXT_MAX,
    OPTION_TEXT_MAX,
    OPTION_VALUE_MAX,
    SECTION_MAX,
    fit,
    plain,
)

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
A_PAGE_NEXT = "ticket_page"  # a list's or search's next page; the query and offset in the value
A_PAGE_PREV = "ticket_page_prev"
A_PAGE_RE = re.compile(r"^ticket_page(_prev)?$")
CB_NEW = "ticket_new"
CB_REPLY = "ticket_reply"
CB_SHORTCUT = "ticket_from_message"

# reactions that mark a message in the staff thread
MARK_SENT = "white_check_mark"  # reached the requester (delivered by us)
MARK_HANDED_OFF = "outbox_tray"  # handed to the requester's own platform for delivery
MARK_INTERNAL = "lock"  # internal note, never shown to the requester


@dataclass(frozen=True)
class SlackMessage:
    """A message ready for ``chat.postMessage``/``chat.update``/``respond``: fallback text and blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks, "unfurl_links": False, "unfurl_media": False}


def plain_text(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": plain(text, limit), "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text or " "}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(fit(text, SECTION_MAX))}


def context(*parts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(fit(p, CONTEXT_MAX)) for p in parts[:10] if p]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain_text(text, BUTTON_MAX),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def option(label: str, value: str) -> dict[str, Any]:
    return {"text": plain_text(label, OPTION_TEXT_MAX), "value": fit(value, OPTION_VALUE_MAX)}
