"""What the fake Discord knows: users, one guild with roles, channels, threads, messages and pins.

Objects render themselves as Discord API v10 payloads (the shapes discord.py 2.7 parses). Permissions are
resolved the way Discord documents it (owner, @everyone and member roles, Administrator, then the channel's
@everyone / role / member overwrites; a thread uses its parent's; no View Channel means no channel
permission at all), so discord.py's ``channel.permissions_for(guild.me)`` agrees with what the fake enforces.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# channel types
GUILD_TEXT = 0
DM = 1
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12

# message types
DEFAULT = 0
CHANNEL_PINNED_MESSAGE = 6
CHAT_INPUT_COMMAND = 20
MESSAGE_COMPONENT = 19  # used for messages answering a component interaction

# permission bits
ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
PIN_MESSAGES = 1 << 51
#: every permission Discord defines today (bits 0-52; 47 is unassigned)
ALL_PERMISSIONS = ((1 << 53) - 1) & ~(1 << 47)
#: the permissions that apply in a text channel; without View Channel the member has none of them
CHANNEL_PERMISSIONS = sum(
    1 << b
    for b in (0, 4, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 23, 24, 25, 28, 29, 31, 32)
    + (34, 35, 36, 37, 38, 39, 42, 45, 46, 49, 50, 51, 52)
)
#: what needs Send Messages (in a thread: Send Messages in Threads) to mean anything
NEEDS_SEND = SEND_TTS_MESSAGES | MENTION_EVERYONE | EMBED_LINKS | ATTACH_FILES

# permission overwrite targets
ROLE_OVERWRITE, MEMBER_OVERWRITE = 0, 1

EPHEMERAL = 1 << 6
LOADING = 1 << 7


class Snowflakes:
    """Discord-shaped ids: the creation time in the high bits, a counter in the low ones."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class FakeUser:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    dm_open: bool = True  # False: DMs to this user fail with 403 50007

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
        }

    @property
    def display_name(self) -> str:
        return self.global_name or self.username


@dataclass
class FakeRole:
    id: int
    name: str
    permissions: int = 0
    position: int = 0
    mentionable: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": False,
            "mentionable": self.mentionable,
            "flags": 0,
            "icon": None,
            "unicode_emoji": None,
        }


@dataclass
class FakeMember:
    user: FakeUser
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)

    def payload(self, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass
class FakeOverwrite:
    """One channel permission overwrite: ``type`` 0 = role (the guild id = @everyone), 1 = member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass
class FakeChannel:
    """A text channel, a thread or a DM."""

    id: int
    type: int
    name: str = ""
    guild_id: int | None = None
    parent_id: int | None = None
    position: int = 0
    # threads
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = False
    auto_archive_duration: int = 10080
    archive_timestamp: str = field(default_factory=iso_now)
    create_timestamp: str = field(default_factory=iso_now)
    members: set[int] = field(default_factory=set)
    message_count: int = 0
    renames: list[float] = field(default_factory=list)
    # DMs
    recipient: FakeUser | None = None
    last_message_id: int | None = None
    # text channels
    overwrites: list[FakeOverwrite] = field(default_factory=list)

    @property
    def is_thread(self) -> bool:
        return self.type in (PUBLIC_THREAD, PRIVATE_THREAD)

    def payload(self, *, for_user_id: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
            "flags": 0,
        }
        if self.type == DM:
            assert self.recipient is not None
            data.pop("name")
            data["recipients"] = [self.recipient.payload()]
            return data
        data["guild_id"] = str(self.guild_id)
        data["rate_limit_per_user"] = 0
        if self.is_thread:
            data.update(
                parent_id=str(self.parent_id),
                owner_id=str(self.owner_id),
                member_count=len(self.members),
                message_count=self.message_count,
                total_message_sent=self.message_count,
                thread_metadata={
                    "archived": self.archived,
                    "locked": self.locked,
                    "invitable": self.invitable,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": self.archive_timestamp,
                    "create_timestamp": self.create_timestamp,
                },
            )
            if for_user_id is not None and for_user_id in self.members:
                data["member"] = {
                    "id": str(self.id),
                    "user_id": str(for_user_id),
                    "join_timestamp": self.create_timestamp,
                    "flags": 0,
                }
        else:
            data.update(
                position=self.position,
                parent_id=str(self.parent_id) if self.parent_id else None,
                permission_overwrites=[o.payload() for o in self.overwrites],
                topic=None,
                nsfw=False,
                default_auto_archive_duration=10080,
            )
        return data


@dataclass
class FakeAttachment:
    id: int
    filename: str
    size: int
    content_type: str | None
    url: str
    data: bytes = b""

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        }

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


@dataclass
class FakeMessage:
    id: int
    channel_id: int
    author: FakeUser
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[FakeAttachment] = field(default_factory=list)
    mentions: list[FakeUser] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    allowed_mentions: dict[str, Any] | None = None
    type: int = DEFAULT
    flags: int = 0
    pinned: bool = False
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    webhook_id: int | None = None
    interaction_id: int | None = None
    guild_id: int | None = None
    member: FakeMember | None = None
    message_reference: dict[str, Any] | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": self.mention_everyone,
            "mentions": [u.payload() for u in self.mentions],
            "mention_roles": [str(r) for r in self.mention_roles],
            "attachments": [a.payload() for a in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": self.pinned,
            "type": self.type,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.member is not None:
            data["member"] = self.member.payload(with_user=False)
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
            data["application_id"] = str(self.webhook_id)
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
        return data

    # helpers for tests -------------------------------------------------------------------------
    def custom_ids(self) -> list[str]:
        """Every component ``custom_id`` on the message, in order."""
        return [c["custom_id"] for c in iter_components(self.components) if "custom_id" in c]

    def component(self, custom_id: str) -> dict[str, Any] | None:
        for comp in iter_components(self.components):
            if comp.get("custom_id") == custom_id:
                return comp
        return None

    @property
    def embed(self) -> dict[str, Any]:
        assert self.embeds, f"message {self.id} has no embed: {self.content!r}"
        return self.embeds[0]

    def embed_field(self, name: str) -> str | None:
        for fld in self.embed.get("fields", []):
            if fld["name"].lower() == name.lower():
                return fld["value"]
        return None

    def text(self) -> str:
        """Content plus all embed text, for loose `in` checks in tests."""
        parts = [self.content]
        for emb in self.embeds:
            parts += [emb.get("title", ""), emb.get("description", "")]
            parts += [f"{f['name']}: {f['value']}" for f in emb.get("fields", [])]
            parts.append((emb.get("footer") or {}).get("text", ""))
        return "\n".join(p for p in parts if p)


def iter_components(components: list[dict[str, Any]]):
    for comp in components:
        yield comp
        if "components" in comp:
            yield from iter_components(comp["components"])
        if "component" in comp:
            yield from iter_components([comp["component"]])
        if "accessory" in comp:
            yield from iter_components([comp["accessory"]])


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, FakeRole] = field(default_factory=dict)
    channels: dict[int, FakeChannel] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions: owner, @everyone and the member's roles, Administrator."""
        member = self.members.get(user_id)
        if member is None:
            return 0
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        perms = self.roles[self.id].permissions  # @everyone role shares the guild id
        for role_id in member.roles:
            role = self.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        return perms

    def permissions_in(self, user_id: int, channel: FakeChannel) -> int:
        """Permissions in a channel: guild-level, then the overwrites (a thread: its parent's), then the implicit
        rules (no View Channel → no channel permission; no Send Messages — in a thread, Send Messages in
        Threads — → no embeds, files, TTS, @everyone)."""
        base = self.permissions_of(user_id)
        if channel.guild_id is None or base == ALL_PERMISSIONS:
            return base
        source = self.channels.get(channel.parent_id) if channel.is_thread and channel.parent_id else channel
        perms = base
        overwrites = source.overwrites if source is not None else []
        member = self.members[user_id]
        everyone = next((o for o in overwrites if o.type == ROLE_OVERWRITE and o.id == self.id), None)
        if everyone is not None:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for o in overwrites:
            if o.type == ROLE_OVERWRITE and o.id in member.roles:
                allow, deny = allow | o.allow, deny | o.deny
        perms = (perms & ~deny) | allow
        own = next((o for o in overwrites if o.type == MEMBER_OVERWRITE and o.id == user_id), None)
        if own is not None:
            perms = (perms & ~own.deny) | own.allow
        if not perms & VIEW_CHANNEL:
            return perms & ~CHANNEL_PERMISSIONS
        if not perms & (SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES):
            perms &= ~NEEDS_SEND
        return perms

    def can_view(self, user_id: int, channel: FakeChannel) -> bool:
        """View Channel in the channel (a thread: its parent); private threads: members, or Manage Threads."""
        perms = self.permissions_in(user_id, channel)
        if not perms & VIEW_CHANNEL:
            return False
        if channel.type == PRIVATE_THREAD:
            return user_id in channel.members or bool(perms & MANAGE_THREADS)
        return True

    def payload(self, *, bot_id: int, threads: list[FakeChannel]) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.owner_id),
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "features": [],
            "mfa_level": 0,
            "system_channel_flags": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "joined_at": iso_now(),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "voice_states": [],
            "members": [m.payload() for m in self.members.values()],
            "channels": [c.payload() for c in self.channels.values() if not c.is_thread],
            "threads": [t.payload(for_user_id=bot_id) for t in threads],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
