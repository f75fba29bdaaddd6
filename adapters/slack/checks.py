"""Checks of a Slack setup against Slack itself (``ticketbot doctor``; ``ticketbot run`` stops on the fatal ones).

The token (``auth.test``), the scopes it was granted (Slack sends them in ``x-oauth-scopes``) against what
manifest.yml asks for, the staff channel (exists, the bot is in it), who is staff (the user group exists and
somebody is in it), and the watched channels. Each check is one line saying what is wrong and what to do.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.settings import SlackSettings
from core.checks import Check

#: the bot scopes of manifest.yml (a unit test keeps the two equal): what the adapter needs granted
REQUIRED_SCOPES = frozenset({
    "chat:write", "commands", "channels:history", "groups:history", "im:history", "im:write", "reactions:read",
    "reactions:write", "users:read", "users:read.email", "usergroups:read", "files:read", "channels:read",
    "groups:read", "files:write",
})  # fmt: skip
REFUSED = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission"}
REINSTALL = (
    "reinstall the app from manifest.yml (api.slack.com/apps → your app → Install App) and copy the Bot User "
    "OAuth Token"
)


async def slack_checks(client: AsyncWebClient, settings: SlackSettings) -> list[Check]:
    """Every check, in order; after a refused token only that one (nothing else can be asked)."""
    token, granted = await check_token(client, settings)
    if token.verdict == "fail":
        return [token]
    checks = [token, _scopes(granted)]
    checks.append(await _staff_channel(client, settings))
    checks.append(await _staff(client, settings))
    checks += [await _watched(client, channel) for channel in settings.watch_channels]
    return checks


async def check_token(client: AsyncWebClient, settings: SlackSettings) -> tuple[Check, frozenset[str] | None]:
    """``auth.test``: the check, and the scopes Slack says the token has (None when it did not say)."""
    try:
        resp = await client.auth_test()
    except SlackApiError as err:
        error = str(err.response.get("error"))
        if error in REFUSED:
            refused = Check.fail(
                "slack token", f"Slack refused TICKETBOT_SLACK__BOT_TOKEN ({error})", REINSTALL, fatal=True
            )
            return refused, None
        failed = Check.fail(
            "slack token", f"auth.test failed ({error})", "check TICKETBOT_SLACK__BOT_TOKEN", fatal=True
        )
        return failed, None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        unreachable = Check.fail(
            "slack token", f"cannot reach Slack at {settings.api_url} ({type(exc).__name__})",
            "check the network and TICKETBOT_SLACK__API_URL", fatal=True,
        )  # fmt: skip
        return unreachable, None
    valid = Check.ok("slack token", f"valid: bot {resp.get('user')} in workspace {resp.get('team')}")
    return valid, _granted(resp.headers)


def _granted(headers: Any) -> frozenset[str] | None:
    for name, value in dict(headers or {}).items():
        if str(name).lower() == "x-oauth-scopes":
            return frozenset(s.strip() for s in str(value).split(",") if s.strip())
    return None


def _scopes(granted: frozenset[str] | None) -> Check:
    if granted is None:
        return Check.warn("slack scopes", "Slack did not say which scopes the token has")
    missing = sorted(REQUIRED_SCOPES - granted)
    if missing:
        return Check.fail(
            "slack scopes", f"the token lacks {', '.join(missing)}",
            "add them under OAuth & Permissions (or paste manifest.yml again), then reinstall the app",
        )  # fmt: skip
    return Check.ok("slack scopes", f"all {len(REQUIRED_SCOPES)} scopes of manifest.yml granted")


async def _staff_channel(client: AsyncWebClient, settings: SlackSettings) -> Check:
    channel = settings.staff_channel or ""
    name = "slack staff channel"
    try:
        info = (await client.conversations_info(channel=channel)).get("channel") or {}
    except SlackApiError as err:
        error = str(err.response.get("error"))
        if error == "channel_not_found":
            return Check.fail(
                name, f"{channel} not found (or private without the bot)",
                "check TICKETBOT_SLACK__STAFF_CHANNEL (a channel id like C0123ABC) and /invite @ticketbot there",
                fatal=True,
            )  # fmt: skip
        if error == "missing_scope":
            return Check.fail(name, "cannot look at the channel: the token lacks channels:read/groups:read", REINSTALL)
        return Check.fail(name, f"conversations.info failed ({error})", "check TICKETBOT_SLACK__STAFF_CHANNEL")
    if info.get("is_archived"):
        return Check.fail(name, f"#{info.get('name', channel)} is archived", "unarchive it or pick another", fatal=True)
    if not info.get("is_member"):
        where = f"#{info.get('name', channel)}"
        return Check.fail(name, f"the bot is not in {where}", f"/invite @ticketbot in {where}", fatal=True)
    return Check.ok(name, f"the bot is in #{info.get('name', channel)}")


async def _staff(client: AsyncWebClient, settings: SlackSettings) -> Check:
    users = list(settings.staff_users)
    name = "slack staff"
    group = settings.staff_usergroup
    members: list[str] = []
    if group:
        try:
            members = list((await client.usergroups_users_list(usergroup=group)).get("users") or [])
        except SlackApiError as err:
            error = str(err.response.get("error"))
            if not users:
                return Check.fail(
                    name, f"cannot read user group {group} ({error}) and TICKETBOT_SLACK__STAFF_USERS is empty: "
                    "nobody is staff", "check TICKETBOT_SLACK__STAFF_USERGROUP (an id like S0123ABC)", fatal=True,
                )  # fmt: skip
            return Check.warn(
                name, f"cannot read user group {group} ({error})", "check TICKETBOT_SLACK__STAFF_USERGROUP"
            )
    if not users and not members:
        return Check.fail(
            name, f"user group {group} is empty and TICKETBOT_SLACK__STAFF_USERS is empty: nobody is staff",
            "add people to the group or list them in TICKETBOT_SLACK__STAFF_USERS", fatal=True,
        )  # fmt: skip
    parts = [f"{len(users)} listed"] if users else []
    if group:
        parts.append(f"{len(members)} in {group}")
    return Check.ok(name, " + ".join(parts))


async def _watched(client: AsyncWebClient, channel: str) -> Check:
    name = f"slack watched channel {channel}"
    try:
        info = (await client.conversations_info(channel=channel)).get("channel") or {}
    except SlackApiError as err:
        return Check.warn(name, f"not found ({err.response.get('error')})", "check TICKETBOT_SLACK__WATCH_CHANNELS")
    if not info.get("is_member"):
        return Check.warn(name, "the bot is not in it: keyword rules and :ticket: reactions are not seen there",
                          f"/invite @ticketbot in #{info.get('name', channel)}")  # fmt: skip
    return Check.ok(name, f"the bot is in #{info.get('name', channel)}")
