"""What the bot posts on its own in Slack: SLA reminders (staff thread, assignee DM), the stale-ticket reminder
(requester DM), the daily digest. Words from ``core.notices`` / ``core.digest``; subjects escaped (text.py).

The escalation mention is the only mention the bot makes on its own: ``<!subteam^ID>`` of the configured
user group, added by the notifier to an unassigned breach, never built from anything a user typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from adapters.slack.render.blocks import SlackMessage, context, section
from adapters.slack.render.text import FALLBACK_MAX, date_token, escape, fit, person, user_mrkdwn
from core import notices
from core.digest import Digest, digest_text
from core.events import SlaBreached, SlaWarning, StaleReminder
from core.model import Ticket

SLA_EMOJI = {"warning": ":hourglass:", "breach": ":rotating_light:", "repeat": ":bell:"}
DIGEST_TEXT_MAX = 12_000  # Slack takes 40,000; a digest is about 2,000


def usergroup_mention(group_id: str) -> str:
    """``<!subteam^S0123ABC>``: pings the members of a user group (the id comes from the settings only)."""
    return f"<!subteam^{group_id}>"


def _sla_emoji(event: SlaWarning | SlaBreached) -> str:
    if isinstance(event, SlaWarning):
        return SLA_EMOJI["warning"]
    return SLA_EMOJI["repeat"] if event.repeat else SLA_EMOJI["breach"]


def sla_alert(
    ticket: Ticket, event: SlaWarning | SlaBreached, now: datetime, *, escalate_to: str | None = None
) -> SlackMessage:
    """The reminder in the thread of the ticket's staff card: what is due, whose it is, and (an unassigned
    breach only) the escalation user group."""
    words = notices.sla_alert(ticket, event, now)
    due = ticket.sla_due_at or event.due_at
    owner = f"assigned to {person(ticket.assignee)}" if ticket.assignee else "*unassigned*"
    line = f"{_sla_emoji(event)} *{words}* · due {date_token(due)} · {owner}"
    if escalate_to:
        line += f" · {usergroup_mention(escalate_to)} please pick it up"
    text = f"{words} · {user_mrkdwn(ticket.subject, 200)}"
    if escalate_to:  # the notification text carries the mention too, so the group is notified
        text = f"{usergroup_mention(escalate_to)} {text}"
    return SlackMessage(text=fit(text, FALLBACK_MAX), blocks=[section(line), context(user_mrkdwn(ticket.subject, 500))])


def sla_dm(ticket: Ticket, event: SlaWarning | SlaBreached, now: datetime, card_url: str | None) -> SlackMessage:
    """The reminder to the assignee, by DM, linking the card."""
    words = notices.sla_alert(ticket, event, now)
    subject = user_mrkdwn(ticket.subject, 500)
    where = f"<{card_url}|Open the card>" if card_url else "See the staff channel"
    line = f"{_sla_emoji(event)} *{words}* — a ticket assigned to you: {subject}\n{where} to answer it."
    return SlackMessage(text=fit(f"{words} — {subject}", FALLBACK_MAX), blocks=[section(line)])


def stale_reminder(ticket: Ticket, event: StaleReminder, now: datetime) -> SlackMessage:
    """The one reminder to a requester support is waiting on, in their DM thread."""
    line = f":wave: {notices.stale_reminder(ticket, event, now)}"
    return SlackMessage(text=fit(line, FALLBACK_MAX), blocks=[section(line)])


def digest_message(digest: Digest, link: Callable[[Ticket], str | None]) -> str:
    """The digest as mrkdwn (the comment of the chart upload): subjects escaped, the listed tickets linked to
    their cards where ``link`` knows one."""

    def ref(ticket: Ticket) -> str:
        url = link(ticket)
        return f"<{url}|{ticket.id}>" if url else f"`{ticket.id}`"

    head, _, rest = digest_text(digest, escape=escape, ref=ref).partition("\n")
    return fit(f"*{head}*\n{rest}", DIGEST_TEXT_MAX)
