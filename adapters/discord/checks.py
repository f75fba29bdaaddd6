"""Checks of a Discord setup against Discord's REST API (``ticketbot doctor``; ``ticketbot run`` stops on the
fatal ones): the token, the Message Content intent, the guild, the support channel, the staff role, and the
bot's permissions where it works. Each check is one line saying what is wrong and what to do.

Permissions are resolved as Discord documents it: @everyone and the bot's roles (Administrator grants all),
then the channel's @everyone, role and member overwrites.
"""

from __future__ import annotations

from typing import Any

import discord
from discord.http import HTTPClient

from adapters.discord.settings import DiscordSettings
from core.checks import Check

P = discord.Permissions
#: what the bot does in the support channel: private threads with a pinned card embed, messages in them
SUPPORT_PERMISSIONS = {
    "View Channel": P.view_channel.flag,
    "Create Private Threads": P.create_private_threads.flag,
    "Send Messages in Threads": P.send_messages_in_threads.flag,
    "Manage Threads": P.manage_threads.flag,
    "Pin Messages": P.pin_messages.flag,
    "Embed Links": P.embed_links.flag,
    "Read Message History": P.read_message_history.flag,
}
#: transcripts go to the log channel as files
LOG_PERMISSIONS = {
    "View Channel": P.view_channel.flag,
    "Send Messages": P.send_messages.flag,
    "Attach Files": P.attach_files.flag,
    "Embed Links": P.embed_links.flag,
}
#: the invite link's permissions (README): the union of the above
INVITE_PERMISSIONS = sum(set(SUPPORT_PERMISSIONS.values()) | set(LOG_PERMISSIONS.values()))
ALL = P.all().value
INVITE = "re-invite the bot with the README's link, or grant it these on the channel"


async def discord_checks(http: HTTPClient, settings: DiscordSettings, *, bot_id: int) -> list[Check]:
    """Every check after a successful login (``client.login`` raised ``LoginFailure`` otherwise)."""
    checks = [Check.ok("discord token", "valid"), await _intents(http)]
    guild = await _fetch(http.get_guild(settings.guild_id or 0))
    if guild is None:
        checks.append(Check.fail(
            "discord guild", f"server {settings.guild_id} not found, or the bot is not in it",
            "check TICKETBOT_DISCORD__GUILD_ID and invite the bot (README § Discord)", fatal=True,
        ))  # fmt: skip
        return checks
    name = guild.get("name", settings.guild_id)
    checks.append(Check.ok("discord guild", f"the bot is in {name}"))
    roles = {int(r["id"]): r for r in guild.get("roles", [])}
    if settings.staff_role_id not in roles:
        checks.append(Check.fail(
            "discord staff role", f"no role {settings.staff_role_id} in {name}: nobody would be staff",
            "check TICKETBOT_DISCORD__STAFF_ROLE_ID (right-click the role → Copy Role ID)", fatal=True,
        ))  # fmt: skip
    else:
        checks.append(Check.ok("discord staff role", f"@{roles[settings.staff_role_id].get('name')}"))
    member = await _fetch(http.get_member(guild["id"], bot_id))
    for label, channel_id, needed, fatal in (
        ("support channel", settings.support_channel_id, SUPPORT_PERMISSIONS, True),
        ("log channel", settings.log_channel_id, LOG_PERMISSIONS, False),
    ):
        if channel_id:
            checks.append(await _channel(http, label, channel_id, needed, guild, member, bot_id, fatal=fatal))
    for watched in settings.watch_channel_ids:
        found = await _fetch(http.get_channel(int(watched)))
        if found is None or str(found.get("guild_id")) != str(guild["id"]):
            checks.append(Check.warn(
                f"discord watched channel {watched}", "not found in the server",
                "check TICKETBOT_DISCORD__WATCH_CHANNEL_IDS",
            ))  # fmt: skip
    return checks


async def _fetch(call: Any) -> Any:
    """The JSON of a REST call, or None for Discord's "not found" / "missing access"."""
    try:
        return await call
    except (discord.NotFound, discord.Forbidden):
        return None


async def _intents(http: HTTPClient) -> Check:
    flags = discord.ApplicationFlags._from_value(int((await http.application_info()).get("flags") or 0))
    if flags.gateway_message_content or flags.gateway_message_content_limited:
        return Check.ok("discord intents", "Message Content intent on")
    return Check.fail(
        "discord intents", "the Message Content intent is off: the bot cannot read ticket threads",
        "developer portal → your app → Bot → Privileged Gateway Intents → Message Content Intent", fatal=True,
    )  # fmt: skip


async def _channel(
    http: HTTPClient, label: str, channel_id: int, needed: dict[str, int], guild: dict[str, Any],
    member: dict[str, Any] | None, bot_id: int, *, fatal: bool,
) -> Check:  # fmt: skip
    name = f"discord {label}"
    variable = f"TICKETBOT_DISCORD__{label.upper().replace(' ', '_')}_ID"
    channel = await _fetch(http.get_channel(channel_id))
    if channel is None or str(channel.get("guild_id")) != str(guild["id"]):
        return Check.fail(
            name, f"channel {channel_id} not found in {guild.get('name')} (or the bot cannot see it)",
            f"check {variable} (right-click the channel → Copy Channel ID)", fatal=fatal,
        )  # fmt: skip
    granted = permissions_in(guild, member, channel, bot_id)
    missing = [p for p, bit in needed.items() if not granted & bit]
    where = f"#{channel.get('name', channel_id)}"
    if missing:
        return Check.fail(name, f"the bot lacks {', '.join(missing)} in {where}", INVITE)
    return Check.ok(name, f"{where}: the bot has {', '.join(needed)}")


def permissions_in(guild: dict[str, Any], member: dict[str, Any] | None, channel: dict[str, Any], bot_id: int) -> int:
    """The bot's permissions in ``channel`` from the guild's roles, its member roles and the overwrites."""
    if member is None:
        return 0
    if str(guild.get("owner_id")) == str(bot_id):
        return ALL
    guild_id = str(guild["id"])
    roles = {str(r["id"]): int(r.get("permissions") or 0) for r in guild.get("roles", [])}
    mine = {str(r) for r in member.get("roles", [])}
    perms = roles.get(guild_id, 0)
    for role_id in mine:
        perms |= roles.get(role_id, 0)
    if perms & P.administrator.flag:
        return ALL
    overwrites = channel.get("permission_overwrites") or []
    for o in overwrites:
        if int(o.get("type", 0)) == 0 and str(o["id"]) == guild_id:
            perms = (perms & ~int(o.get("deny") or 0)) | int(o.get("allow") or 0)
    allow = deny = 0
    for o in overwrites:
        if int(o.get("type", 0)) == 0 and str(o["id"]) in mine:
            allow, deny = allow | int(o.get("allow") or 0), deny | int(o.get("deny") or 0)
    perms = (perms & ~deny) | allow
    for o in overwrites:
        if int(o.get("type", 0)) == 1 and str(o["id"]) == str(bot_id):
            perms = (perms & ~int(o.get("deny") or 0)) | int(o.get("allow") or 0)
    return perms if perms & P.view_channel.flag else 0
