"""Views: the new-ticket and reply modals (``views.open``) and the App Home tab (``views.publish``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adapters.slack.render.blocks import (
    A_CLAIM,
    A_CLOSE,
    A_HOME_NEXT,
    A_HOME_PREV,
    A_REOPEN,
    A_REPLY,
    CB_NEW,
    CB_REPLY,
    button,
    context,
    mrkdwn,
    option,
    plain_text,
    section,
)
from adapters.slack.render.cards import ticket_line
from adapters.slack.render.text import (
    HEADER_MAX,
    INPUT_MAX,
    MODAL_TITLE_MAX,
    SECTION_MAX,
    VIEW_BLOCKS_MAX,
    cut_units,
    fit,
    person,
    user_mrkdwn,
)
from core.model import Priority, Status, Ticket

HOME_PAGE_SIZE = 20


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
        element["initial_value"] = cut_units(initial, max_length)
    if placeholder:
        element["placeholder"] = plain_text(placeholder, 150)
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label, 2000),
        "element": element,
        "optional": optional,
    }


def _select_input(block_id: str, label: str, choices: Sequence[str], initial: str | None) -> dict[str, Any]:
    names = list(dict.fromkeys(choices))[:100]
    options = [option(name, name) for name in names]
    element: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": options}
    if initial in names:
        element["initial_option"] = options[names.index(initial)]  # type: ignore[arg-type]
    return {"type": "input", "block_id": block_id, "label": plain_text(label, 2000), "element": element}


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

    The category starts at the first configured one (the desk's default). ``metadata`` (where it was opened
    from: channel, source message) travels in ``private_metadata``.
    """
    blocks: list[dict[str, Any]] = []
    if note:
        blocks.append(context(note))
    blocks += [
        _text_input(
            "subject",
            "Subject",
            initial=" ".join(subject.split()),
            max_length=150,
            placeholder="What is the problem, in a few words?",
        ),
        _select_input("category", "Category", categories, categories[0] if categories else None),
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
                "label": plain_text("Files", 2000),
                "element": {"type": "file_input", "action_id": "value", "max_files": 5},
            }
        )
    return {
        "type": "modal",
        "callback_id": CB_NEW,
        "title": plain_text("New ticket", MODAL_TITLE_MAX),
        "submit": plain_text("Open ticket", MODAL_TITLE_MAX),
        "close": plain_text("Cancel", MODAL_TITLE_MAX),
        "private_metadata": fit(json.dumps(metadata or {}, separators=(",", ":")), 3000),
        "blocks": blocks,
    }


def reply_modal(ticket: Ticket, *, channel: str | None = None, from_home: bool = False) -> dict[str, Any]:
    """Staff reply to the requester (it is sent to them; notes go through ``/ticket note``). ``channel`` /
    ``from_home``: where the Reply button was pressed, so the answer to the submission goes there."""
    metadata: dict[str, Any] = {"ticket_id": ticket.id}
    if channel:
        metadata["channel"] = channel
    if from_home:
        metadata["home"] = True
    return {
        "type": "modal",
        "callback_id": CB_REPLY,
        "title": plain_text(f"Reply · {ticket.id}", MODAL_TITLE_MAX),
        "submit": plain_text("Send to requester", MODAL_TITLE_MAX),
        "close": plain_text("Cancel", MODAL_TITLE_MAX),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": [
            section(f"*{ticket.id}* · {user_mrkdwn(ticket.subject, 300)}\nTo: {person(ticket.requester)}"),
            _text_input("body", "Reply", multiline=True),
            {
                "type": "input",
                "block_id": "files",
                "optional": True,
                "label": plain_text("Files", 2000),
                "element": {"type": "file_input", "action_id": "value", "max_files": 5},
            },
            context(":information_source: This reply is sent to the requester. Use `/ticket note` for internal notes."),
        ],
    }


def home_view(
    tickets: Sequence[Ticket],
    *,
    staff: bool,
    now: datetime,
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
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain_text(title, HEADER_MAX)}, context(intro)]
    blocks += list(notice)[:3]  # e.g. a refusal, rendered by this module
    shown = list(tickets)[:page_size]
    if not shown:
        blocks.append(section("The queue is empty. :tada:" if staff else "You have no open tickets."))
    for n, t in enumerate(shown):
        buttons: list[dict[str, Any]] = []
        if staff and t.status is not Status.CLOSED and t.assignee is None:
            buttons.append(button("Claim", A_CLAIM, t.id, "primary"))
        if staff:
            buttons.append(button("Reply", A_REPLY, t.id))
        if t.status is Status.CLOSED:
            buttons.append(button("Reopen", A_REOPEN, t.id))
        else:
            buttons.append(button("Close", A_CLOSE, t.id, "danger"))
        blocks.append(
            {
                "type": "section",
                "block_id": f"home_ticket|{n}|{t.id}",
                "text": mrkdwn(fit(ticket_line(t, now), SECTION_MAX)),
            }
        )
        blocks.append({"type": "actions", "block_id": f"home_actions|{n}|{t.id}", "elements": buttons})
        blocks.append({"type": "divider"})
    pager: list[dict[str, Any]] = []
    if offset > 0:
        pager.append(button("Previous", A_HOME_PREV, str(max(0, offset - page_size))))
    if has_more:
        pager.append(button("Next", A_HOME_NEXT, str(offset + page_size)))
    if pager:
        blocks.append({"type": "actions", "block_id": "home_pager", "elements": pager})
        blocks.append(context(f"Tickets {offset + 1}–{offset + len(shown)}"))
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS_MAX]}
