"""Answers to one person (ephemeral): what their action changed, a ticket, its history, a page of tickets,
statistics, help and refusals. Every answer to a command is drawn from its typed result (``result_message``).

The words come from ``core.render`` (``change_words``, ``post_words``, durations); this module only maps them
to Block Kit, escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adapters.slack import translate
from adapters.slack.render.blocks import (
    A_PAGE_NEXT,
    A_PAGE_PREV,
    SlackMessage,
    button,
    context,
    mrkdwn,
    plain_text,
    section,
)
from adapters.slack.render.cards import summary_fields, ticket_header, ticket_line
from adapters.slack.render.messages import message_label
from adapters.slack.render.text import (
    FALLBACK_MAX,
    HEADER_MAX,
    MESSAGE_BLOCKS_MAX,
    SECTION_MAX,
    date_token,
    escape,
    fit,
    person,
    split_text,
    user_mrkdwn,
)
from core import render as neutral
from core.commands import Changed, History, Page, Posted, Result, Shown
from core.model import Change, Message, Ticket
from core.stats import Stats


def notice(text: str) -> SlackMessage:
    """A short message from the bot (errors, confirmations); ``text`` is ours, but escaped anyway."""
    safe = user_mrkdwn(text, SECTION_MAX)
    return SlackMessage(text=fit(safe, FALLBACK_MAX), blocks=[section(safe)])


def refusal(text: str) -> SlackMessage:
    """The desk said no (``NotPermitted``)."""
    return notice(f":no_entry: {text}")


def error_message(text: str) -> SlackMessage:
    return notice(f":warning: {text}")


def help_message(help_text: str, problem: str | None = None) -> SlackMessage:
    body = "```" + escape(help_text).replace("```", "'''") + "```"
    blocks = [section(fit(body, SECTION_MAX))]
    if problem:
        blocks.insert(0, section(user_mrkdwn(f":warning: {problem}", SECTION_MAX)))
    text = f"ticketbot commands ({problem})" if problem else "ticketbot commands"
    return SlackMessage(text=user_mrkdwn(text, FALLBACK_MAX), blocks=blocks)


# ------------------------------------------------------------------------------------------ outcomes
def outcome(words: str, ticket: Ticket) -> SlackMessage:
    """What an action did, in words (``core.render``), with the ticket's state now below it."""
    text = user_mrkdwn(words, SECTION_MAX).replace(ticket.id, f"*{ticket.id}*")
    who = person(ticket.assignee, with_platform=False) if ticket.assignee else "unassigned"
    facts = f"{ticket.status.value} · {ticket.priority.value} · {escape(ticket.category)} · {who}"
    return SlackMessage(text=user_mrkdwn(words, FALLBACK_MAX), blocks=[section(text), context(facts)])


def changed_message(result: Changed) -> SlackMessage:
    return outcome(neutral.change_words(result), result.ticket)


def posted_message(result: Posted) -> SlackMessage:
    return outcome(neutral.post_words(result), result.ticket)


# ------------------------------------------------------------------------------------------ reading
def ticket_details(ticket: Ticket, thread: Sequence[Message], *, staff: bool, now: datetime) -> SlackMessage:
    """``/ticket show``: the summary and the latest messages of the conversation."""
    blocks: list[dict[str, Any]] = [ticket_header(ticket), {"type": "section", "fields": summary_fields(ticket, now)}]
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


def page_title(page: Page, *, staff: bool) -> str:
    if page.query is not None:
        return f"Search: {page.query}"
    if not staff:
        return "Your tickets"
    return "Your queue" if page.mine else "Queue"


def page_message(page: Page, *, staff: bool, now: datetime) -> SlackMessage:
    """One page of a list or search: ``Showing 21–25 of 25``, with Previous/Next page buttons that remember
    the query (``translate.page_state``)."""
    title = page_title(page, staff=staff)
    blocks: list[dict[str, Any]] = [section(f"*{user_mrkdwn(title, 500)}*")]
    if not page.items:
        blocks.append(section("No tickets match." if page.query is not None else "No tickets."))
    blocks += [section(ticket_line(t, now)) for t in page.items[: MESSAGE_BLOCKS_MAX - 4]]
    showing = ""
    if page.items:
        more = "more than " if page.total_capped else ""
        showing = f"Showing {page.first}–{page.last} of {more}{page.total}"
        blocks.append(context(showing + "."))
    pager = _pager(page)
    if pager:
        blocks.append({"type": "actions", "block_id": "ticket_pager", "elements": pager})
    elif page.has_more:  # a search too long to remember in a button: say how to ask for the next page
        blocks.append(context(f"For the next page, add `page:{page.page_number + 1}` to the search."))
    text = f"{title}: {showing or 'no tickets'}"
    return SlackMessage(text=user_mrkdwn(text, FALLBACK_MAX), blocks=blocks)


def _pager(page: Page) -> list[dict[str, Any]]:
    def state(offset: int) -> str | None:
        return translate.page_state(
            offset=offset, limit=page.limit, query=page.query, statuses=page.statuses, mine=page.mine
        )

    buttons = []
    if page.offset > 0 and (value := state(max(0, page.offset - page.limit))):
        buttons.append(button("Previous page", A_PAGE_PREV, value))
    if page.has_more and (value := state(page.offset + page.limit)):
        buttons.append(button("Next page", A_PAGE_NEXT, value))
    return buttons


def stats_message(stats: Stats, *, now: datetime) -> SlackMessage:
    pct = f"{stats.sla_attainment:.0%}" if stats.sla_attainment is not None else "—"
    csat = f"{stats.csat_average:.2f} ({stats.csat_count})" if stats.csat_average is not None else "—"
    fields = [
        mrkdwn(f"*Total*\n{stats.total}"),
        mrkdwn(f"*Open · Pending · Closed*\n{stats.open} · {stats.pending} · {stats.closed}"),
        mrkdwn(f"*Avg first response*\n{neutral.duration(stats.avg_first_response)}"),
        mrkdwn(f"*Avg resolution*\n{neutral.duration(stats.avg_resolution)}"),
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
        lines = "\n".join(ticket_line(t, now) for t in stats.oldest_open[:10])
        blocks.append(section(fit("*Oldest open*\n" + lines, SECTION_MAX)))
    return SlackMessage(text=f"Support statistics: {stats.total} tickets, {stats.open} open", blocks=blocks)


def result_message(result: Result, *, staff: bool, now: datetime) -> SlackMessage:
    """The answer to a command, by the type of its result."""
    match result:
        case Changed():
            return changed_message(result)
        case Posted():
            return posted_message(result)
        case Shown(ticket=ticket, thread=thread):
            return ticket_details(ticket, thread, staff=staff, now=now)
        case History(ticket_id=ticket_id, changes=changes):
            return history_message(ticket_id, changes)
        case Page():
            return page_message(result, staff=staff, now=now)
        case Stats():
            return stats_message(result, now=now)
    raise TypeError(f"no Slack answer for {type(result).__name__}")
