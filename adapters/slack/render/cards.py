"""The ticket at a glance: the staff channel card with its buttons, the requester's DM card, one-line summaries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adapters.slack.render.blocks import (
    A_CATEGORY,
    A_CLAIM,
    A_CLOSE,
    A_PENDING,
    A_PRIORITY,
    A_REOPEN,
    A_REPLY,
    SlackMessage,
    button,
    context,
    mrkdwn,
    option,
    plain_text,
)
from adapters.slack.render.text import FALLBACK_MAX, FIELD_MAX, HEADER_MAX, date_token, escape, fit, person, user_mrkdwn
from core import render as neutral
from core.model import Priority, Status, Ticket

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


def ticket_value(ticket: Ticket, choice: str) -> str:
    """A select option's value: which ticket and what was chosen (``TKT-B3X9C|High``)."""
    return f"{ticket.id}|{choice}"


def parse_choice(value: str) -> tuple[str, str]:
    ticket_id, _, choice = value.partition("|")
    return ticket_id, choice


def sla_words(ticket: Ticket, now: datetime) -> str:
    """The response clock in words (``due in 2 h 10 min``, ``overdue by 25 min``, ``paused — waiting on the
    requester``), with the due time as a date token each reader sees in their own time zone."""
    words = neutral.sla_state(ticket, now)
    if ticket.status is not Status.CLOSED and ticket.sla_due_at is not None:
        words = f"{words} · {date_token(ticket.sla_due_at)}"
    if neutral.sla_overdue(ticket, now):
        words = f":warning: {words}"
    if ticket.sla_breached:
        words += "  :warning: *breached*"
    return words


def summary_fields(ticket: Ticket, now: datetime) -> list[dict[str, Any]]:
    return [
        mrkdwn(fit(f"*Requester*\n{person(ticket.requester)}", FIELD_MAX)),
        mrkdwn(fit(f"*Category*\n{escape(ticket.category)}", FIELD_MAX)),
        mrkdwn(f"*Priority*\n{PRIORITY_EMOJI[ticket.priority]} {ticket.priority.value}"),
        mrkdwn(f"*Status*\n{STATUS_EMOJI[ticket.status]} {ticket.status.value}"),
        mrkdwn(fit(f"*Assignee*\n{person(ticket.assignee)}", FIELD_MAX)),
        mrkdwn(f"*SLA*\n{sla_words(ticket, now)}"),
    ]


def ticket_header(ticket: Ticket) -> dict[str, Any]:
    return {"type": "header", "text": plain_text(f"{ticket.id} · {ticket.subject}", HEADER_MAX)}


def staff_actions(ticket: Ticket, categories: Sequence[str]) -> dict[str, Any]:
    """Claim · Reply · Pending · Close · Reopen, then the priority and category selects."""
    tid = ticket.id
    elements: list[dict[str, Any]] = []
    if ticket.status is not Status.CLOSED:
        elements.append(button("Claim", A_CLAIM, tid, "primary" if ticket.assignee is None else None))
    elements.append(button("Reply", A_REPLY, tid))
    if ticket.status is Status.OPEN:
        elements.append(button("Pending", A_PENDING, tid))
    if ticket.status is Status.CLOSED:
        elements.append(button("Reopen", A_REOPEN, tid))
    else:
        elements.append(button("Close", A_CLOSE, tid, "danger"))
    priorities = [option(p.value, ticket_value(ticket, p.value)) for p in Priority]
    elements.append(
        {
            "type": "static_select",
            "action_id": A_PRIORITY,
            "placeholder": plain_text("Priority", 150),
            "options": priorities,
            "initial_option": priorities[list(Priority).index(ticket.priority)],
        }
    )
    names = list(dict.fromkeys(categories))[:100] or [ticket.category]
    options = [option(name, ticket_value(ticket, name)) for name in names]
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": A_CATEGORY,
        "placeholder": plain_text("Category", 150),
        "options": options,
    }
    if ticket.category in names:
        select["initial_option"] = options[names.index(ticket.category)]
    elements.append(select)
    return {"type": "actions", "block_id": fit(f"ticket_actions|{tid}", 255), "elements": elements}


def ticket_card(ticket: Ticket, *, categories: Sequence[str], now: datetime) -> SlackMessage:
    """The staff channel card: everything about the ticket at a glance, with its buttons. ``now``: when it is
    drawn (the SLA state in words is as of then; the due time is also shown as a date)."""
    facts = [f"Opened {date_token(ticket.created_at)}", f"updated {date_token(ticket.updated_at)}"]
    if ticket.reopened_from:
        facts.append(f"follow-up of *{ticket.reopened_from}*")
    if ticket.status is Status.CLOSED and ticket.close_reason:
        facts.append(f"closed: {user_mrkdwn(ticket.close_reason, 500)}")
    if ticket.rating is not None:
        facts.append(f"rated {neutral.stars(ticket.rating)} ({ticket.rating}/5)")
    blocks = [
        ticket_header(ticket),
        {"type": "section", "fields": summary_fields(ticket, now)},
        context(" · ".join(facts)),
        staff_actions(ticket, categories),
    ]
    text = user_mrkdwn(f"{ticket.id} [{ticket.status.value}] {ticket.subject}", FALLBACK_MAX)
    return SlackMessage(text=text, blocks=blocks)


def requester_card(ticket: Ticket, *, acknowledgement: str | None = None) -> SlackMessage:
    """The requester's DM: their ticket, Close/Reopen, and how to add to it (reply in the thread).

    ``acknowledgement`` (``core.notices``: the response target, and when the clock starts outside business
    hours) is shown while the ticket waits on support; a closed ticket shows why it was closed."""
    if ticket.status is Status.CLOSED:
        action = button("Reopen", A_REOPEN, ticket.id)
        hint = "This ticket is closed. Reply in this thread to reopen it, or press Reopen."
        if ticket.close_reason:
            hint = f"Closed: {user_mrkdwn(ticket.close_reason, 500)}. {hint}"
    else:
        action = button("Close", A_CLOSE, ticket.id, "danger")
        hint = "Reply in this thread to add to your ticket; support answers here."
        if acknowledgement and ticket.status is Status.OPEN:
            hint = f"{acknowledgement} {hint}"
    blocks = [
        ticket_header(ticket),
        {
            "type": "section",
            "fields": [
                mrkdwn(f"*Status*\n{STATUS_EMOJI[ticket.status]} {ticket.status.value}"),
                mrkdwn(f"*Priority*\n{ticket.priority.value}"),
                mrkdwn(fit(f"*Category*\n{escape(ticket.category)}", FIELD_MAX)),
                mrkdwn(fit(f"*Assigned to*\n{person(ticket.assignee, with_platform=False)}", FIELD_MAX)),
            ],
        },
        context(hint),
        {"type": "actions", "block_id": fit(f"requester_actions|{ticket.id}", 255), "elements": [action]},
    ]
    text = user_mrkdwn(f"Your ticket {ticket.id} ({ticket.status.value}): {ticket.subject}", FALLBACK_MAX)
    return SlackMessage(text=text, blocks=blocks)


def ticket_line(ticket: Ticket, now: datetime) -> str:
    """One ticket in a list: status, subject, and the response clock in words while support owes an answer."""
    due = f" · {neutral.sla_state(ticket, now)}" if ticket.status is Status.OPEN and ticket.sla_due_at else ""
    assignee = f" · {person(ticket.assignee, with_platform=False)}" if ticket.assignee else ""
    subject = user_mrkdwn(ticket.subject, 200)
    return (
        f"{STATUS_EMOJI[ticket.status]} *{ticket.id}* {subject}\n"
        f"{ticket.status.value} · {ticket.priority.value} · {escape(ticket.category)}{assignee}{due}"
    )
