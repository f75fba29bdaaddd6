"""Payloads shaped like the ones Slack sends to an app (slash commands, interactions, events).

Every builder returns the plain payload; ``SlackSender`` posts it over HTTP (signed), and
``FakeSlack.socket_send`` wraps it in a Socket Mode envelope. Trigger ids and response URLs come from the
fake so ``views.open`` and ``respond()`` land on it.
"""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

from tests.fakes.slack.identity import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID
from tests.fakes.slack.server import FakeSlack

_event_ids = itertools.count(1)


def _user(user_id: str, name: str | None = None) -> dict[str, Any]:
    name = name or f"user-{user_id.lower()}"
    return {"id": user_id, "username": name, "name": name, "team_id": TEAM_ID}


def _team() -> dict[str, Any]:
    return {"id": TEAM_ID, "domain": TEAM_DOMAIN}


def slash_command(
    fake: FakeSlack,
    text: str = "",
    *,
    user_id: str = "U0REQ",
    user_name: str | None = None,
    channel_id: str = "C0GENERAL",
    channel_name: str = "general",
    command: str = "/ticket",
) -> dict[str, str]:
    return {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name or f"user-{user_id.lower()}",
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": fake.response_url(),
        "trigger_id": fake.trigger_id(),
    }


def _action_element(action_id: str, value: str | None, selected: str | None, block_id: str) -> dict[str, Any]:
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "action_ts": f"{time.time():.6f}"}
    if selected is not None:
        action["type"] = "static_select"
        action["selected_option"] = {"text": {"type": "plain_text", "text": selected}, "value": selected}
    else:
        action["type"] = "button"
        action["text"] = {"type": "plain_text", "text": action_id}
        if value is not None:
            action["value"] = value
    return action


def block_action(
    fake: FakeSlack,
    action_id: str,
    *,
    value: str | None = None,
    selected: str | None = None,
    user_id: str = "U0STAFF",
    channel_id: str | None = "C0STAFF",
    message_ts: str | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    block_id: str = "actions",
) -> dict[str, Any]:
    """A click on a button (``value``) or a choice in a static select (``selected``).

    From a message by default (``channel_id`` + ``message_ts``); pass ``view`` for App Home or a modal.
    """
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id),
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "trigger_id": fake.trigger_id(),
        "team": _team(),
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": [_action_element(action_id, value, selected, block_id)],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V0")}
        payload["view"] = view
    else:
        ts = message_ts or fake.next_ts()
        if message is None:
            try:
                message = fake.message(channel_id or "", ts)
            except KeyError:
                message = {"type": "message", "ts": ts, "text": "", "user": BOT_USER_ID}
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel_id, "name": "channel"}
        payload["message"] = message
        payload["response_url"] = fake.response_url()
    return payload


def view_submission(
    fake: FakeSlack,
    view: dict[str, Any],
    values: dict[str, dict[str, Any]],
    *,
    user_id: str = "U0REQ",
) -> dict[str, Any]:
    """Submit ``view`` (as the fake stored it from views.open) with ``values`` (block_id → action_id → state).

    State values are given as Slack sends them, e.g. ``{"type": "plain_text_input", "value": "x"}`` or
    ``{"type": "static_select", "selected_option": {"value": "High", ...}}``; see ``text_value``/``select_value``.
    """
    submitted = {**view, "state": {"values": values}}
    return {
        "type": "view_submission",
        "team": _team(),
        "user": _user(user_id),
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "trigger_id": fake.trigger_id(),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def text_value(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def select_value(value: str | None) -> dict[str, Any]:
    if value is None:
        return {"type": "static_select", "selected_option": None}
    return {
        "type": "static_select",
        "selected_option": {"text": {"type": "plain_text", "text": value, "emoji": True}, "value": value},
    }


def files_value(files: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "file_input", "files": files}


def message_shortcut(
    fake: FakeSlack,
    *,
    channel_id: str,
    message_ts: str,
    user_id: str = "U0STAFF",
    callback_id: str = "ticket_from_message",
) -> dict[str, Any]:
    """The "Create ticket" message shortcut on the message ``message_ts`` (seed it with ``add_message``)."""
    return {
        "type": "message_action",
        "token": "verification-token-unused",
        "action_ts": f"{time.time():.6f}",
        "team": _team(),
        "user": _user(user_id),
        "channel": {"id": channel_id, "name": "channel"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": fake.trigger_id(),
        "response_url": fake.response_url(),
        "message_ts": message_ts,
        "message": fake.message(channel_id, message_ts),
    }


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "context_team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):06d}{uuid.uuid4().hex[:6].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": uuid.uuid4().hex,
    }


def message_event(
    *,
    channel: str,
    text: str,
    user: str = "U0REQ",
    ts: str,
    thread_ts: str | None = None,
    channel_type: str = "channel",
    files: list[dict[str, Any]] | None = None,
    bot_id: str | None = None,
    subtype: str | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": channel_type,
        "team": TEAM_ID,
        "client_msg_id": str(uuid.uuid4()),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    if files:
        event["files"] = files
        event["subtype"] = "file_share"
    if bot_id:
        event["bot_id"] = bot_id
        event.pop("client_msg_id")
    if subtype:
        event["subtype"] = subtype
    return event


def reaction_added_event(
    *, channel: str, ts: str, user: str, item_user: str, reaction: str = "ticket"
) -> dict[str, Any]:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": reaction,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": f"{time.time():.6f}",
    }


def app_home_opened_event(*, user: str, tab: str = "home") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user[1:],
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }
