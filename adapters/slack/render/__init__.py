"""Block Kit for every Slack surface ticketbot draws: staff card, requester DM, thread mirrors, answers, modals,
App Home.

Pure functions from core objects to Slack payloads. The words (names, durations, SLA state, what changed) come
from ``core.render``; this package maps them to Block Kit. Two rules hold for every string a user could have
typed (text.py): it is escaped for mrkdwn, so it never pings, and cut to the Block Kit limit of the field it
lands in.

Only this package builds blocks; listeners and the notifier send what it returns, through this module:
text.py (safety, limits), blocks.py (ids, building blocks), cards.py (the ticket cards), messages.py (thread
messages, status notes), notices.py (SLA reminders, the stale reminder, the digest), answers.py (answers to one
person: outcomes, pages, details, stats, help), views.py (modals, App Home).
"""

from adapters.slack.render.answers import (
    changed_message,
    error_message,
    help_message,
    history_message,
    notice,
    outcome,
    page_message,
    posted_message,
    refusal,
    result_message,
    stats_message,
    ticket_details,
)
from adapters.slack.render.blocks import (
    A_CATEGORY,
    A_CLAIM,
    A_CLOSE,
    A_HOME_NEXT,
    A_HOME_PAGE_RE,
    A_HOME_PREV,
    A_PAGE_NEXT,
    A_PAGE_PREV,
    A_PAGE_RE,
    A_PENDING,
    A_PRIORITY,
    A_REOPEN,
    A_REPLY,
    CB_NEW,
    CB_REPLY,
    CB_SHORTCUT,
    MARK_HANDED_OFF,
    MARK_INTERNAL,
    MARK_SENT,
    SlackMessage,
)
from adapters.slack.render.cards import (
    PRIORITY_EMOJI,
    STATUS_EMOJI,
    parse_choice,
    requester_card,
    sla_words,
    staff_actions,
    ticket_card,
    ticket_line,
    ticket_value,
)
from adapters.slack.render.messages import message_label, status_note, thread_message
from adapters.slack.render.notices import digest_message, sla_alert, sla_dm, stale_reminder, usergroup_mention
from adapters.slack.render.text import (
    BUTTON_MAX,
    CONTEXT_MAX,
    ELLIPSIS,
    FALLBACK_MAX,
    FIELD_MAX,
    HEADER_MAX,
    INPUT_MAX,
    MESSAGE_BLOCKS_MAX,
    MODAL_TITLE_MAX,
    OPTION_TEXT_MAX,
    OPTION_VALUE_MAX,
    SECTION_MAX,
    VIEW_BLOCKS_MAX,
    date_token,
    escape,
    fit,
    person,
    plain,
    platform,
    split_text,
    user_mrkdwn,
)
from adapters.slack.render.views import HOME_PAGE_SIZE, home_view, new_ticket_modal, reply_modal

__all__ = [
    # ids and marks
    "A_CATEGORY", "A_CLAIM", "A_CLOSE", "A_HOME_NEXT", "A_HOME_PAGE_RE", "A_HOME_PREV", "A_PAGE_NEXT", "A_PAGE_PREV",
    "A_PAGE_RE", "A_PENDING", "A_PRIORITY", "A_REOPEN", "A_REPLY", "CB_NEW", "CB_REPLY", "CB_SHORTCUT",
    "MARK_HANDED_OFF", "MARK_INTERNAL", "MARK_SENT",
    # limits
    "BUTTON_MAX", "CONTEXT_MAX", "ELLIPSIS", "FALLBACK_MAX", "FIELD_MAX", "HEADER_MAX", "HOME_PAGE_SIZE",
    "INPUT_MAX", "MESSAGE_BLOCKS_MAX", "MODAL_TITLE_MAX", "OPTION_TEXT_MAX", "OPTION_VALUE_MAX", "SECTION_MAX",
    "VIEW_BLOCKS_MAX",
    # text
    "date_token", "escape", "fit", "person", "plain", "platform", "split_text", "user_mrkdwn",
    # surfaces
    "PRIORITY_EMOJI", "STATUS_EMOJI", "SlackMessage",
    "changed_message", "digest_message", "error_message", "help_message", "history_message", "home_view",
    "message_label", "new_ticket_modal", "notice", "outcome", "page_message", "parse_choice", "posted_message",
    "refusal",
    "reply_modal", "requester_card", "result_message", "sla_alert", "sla_dm", "sla_words", "staff_actions",
    "stale_reminder", "stats_message", "usergroup_mention",
    "status_note", "thread_message", "ticket_card", "ticket_details", "ticket_line", "ticket_value",
]  # fmt: skip
