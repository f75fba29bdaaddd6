"""The fake's REST v10 routes: what each answers, and the message/thread rules behind them.

Mixed into ``FakeDiscord`` (server.py), whose state (guild, messages, interactions…) the handlers use.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import limits
from .interaction import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    RESPONSE_WINDOW,
    UPDATE_MESSAGE,
    FakeInteraction,
)
from .limits import ApiError
from .state import (
    ATTACH_FILES,
    CHANNEL_PINNED_MESSAGE,
    CREATE_PRIVATE_THREADS,
    DM,
    EPHEMERAL,
    GUILD_TEXT,
    LOADING,
    MANAGE_THREADS,
    PIN_MESSAGES,
    PRIVATE_THREAD,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    FakeAttachment,
    FakeChannel,
    FakeMessage,
    FakeUser,
    iso_now,
)

if TYPE_CHECKING:
    from .server import Call

Handler = Callable[[web.Request, "Call"], Awaitable[Any]]


class RestApi:
    """Route table and handlers. Each handler returns the JSON body (None → 204) or raises ``ApiError``."""

    # attributes provided by FakeDiscord
    ids: Any
    guild: Any
    bot_user: FakeUser
    application_id: int
    application_flags: int
    owner: FakeUser
    users: dict[int, FakeUser]
    token: str
    commands: dict[int | None, list[dict[str, Any]]]
    interactions: dict[int, FakeInteraction]
    messages: dict[int, FakeMessage]
    channel_messages: dict[int, list[int]]
    dm_channels: dict[int, FakeChannel]
    max_active_threads: int
    gateway_url: str
    base_url: str

    def _routes(self) -> Iterable[tuple[str, str, Handler]]:
        return [
            ("GET", "/users/@me", self._get_me),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/gateway", self._get_gateway),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._put_commands),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self._get_commands),
            ("PUT", "/applications/{application_id}/commands", self._put_commands),
            ("GET", "/applications/{application_id}/commands", self._get_commands),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._callback),
            ("GET", "/webhooks/{application_id}/{token}/messages/@original", self._get_original),
            ("PATCH", "/webhooks/{application_id}/{token}/messages/@original", self._edit_original),
            ("DELETE", "/webhooks/{application_id}/{token}/messages/@original", self._delete_original),
            ("POST", "/webhooks/{application_id}/{token}", self._followup),
            ("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}", self._edit_followup),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("PATCH", "/channels/{channel_id}", self._edit_channel),
            ("GET", "/channels/{channel_id}/messages/pins", self._get_pins),
            ("PUT", "/channels/{channel_id}/messages/pins/{message_id}", self._pin),
            ("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", self._unpin),
            ("GET", "/channels/{channel_id}/messages", self._get_messages),
            ("POST", "/channels/{channel_id}/messages", self._post_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message),
            ("POST", "/channels/{channel_id}/threads", self._create_thread),
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}", self._add_thread_member),
            ("GET", "/channels/{channel_id}/thread-members/{user_id}", self._get_thread_member),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/users/{user_id}", self._get_user),
            ("GET", "/guilds/{guild_id}", self._get_guild),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels),
        ]

    # ---------------------------------------------------------------- REST: identity, commands
    async def _get_me(self, request: web.Request, call: Call) -> Any:
        return {**self.bot_user.payload(), "verified": True, "mfa_enabled": False, "locale": "en-US"}

    async def _get_application(self, request: web.Request, call: Call) -> Any:
        return {
            "id": str(self.application_id),
            "name": "ticketbot",
            "description": "",
            "icon": None,
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.owner.payload(),
            "summary": "",
            "verify_key": "0" * 64,
            "team": None,
            "flags": self.application_flags,
            "interactions_endpoint_url": None,
            "bot": self.bot_user.payload(),
        }

    async def _get_gateway_bot(self, request: web.Request, call: Call) -> Any:
        return {
            "url": self.gateway_url.rstrip("/"),
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }

    async def _get_gateway(self, request: web.Request, call: Call) -> Any:
        return {"url": self.gateway_url.rstrip("/")}

    def _command_scope(self, call: Call) -> int | None:
        if call.params.get("application_id") != str(self.application_id):
            raise ApiError(403, 50001, "Missing Access")
        if "guild_id" in call.params:
            if call.params["guild_id"] != str(self.guild.id):
                raise ApiError(403, 50001, "Missing Access")
            return self.guild.id
        return None

    async def _put_commands(self, request: web.Request, call: Call) -> Any:
        scope = self._command_scope(call)
        body = call.json or []
        old = {c["name"]: c for c in self.commands.get(scope, [])}
        stored = []
        for cmd in body:
            limits.validate_command(cmd)
            cmd_id = old[cmd["name"]]["id"] if cmd["name"] in old else str(self.ids.next())
            full = {
                "type": 1,
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "nsfw": False,
                **cmd,
                "id": cmd_id,
                "application_id": str(self.application_id),
                "version": str(self.ids.next()),
            }
            if scope is not None:
                full["guild_id"] = str(scope)
            stored.append(full)
        self.commands[scope] = stored
        return stored

    async def _get_commands(self, request: web.Request, call: Call) -> Any:
        return self.commands.get(self._command_scope(call), [])

    # ---------------------------------------------------------------- REST: interactions
    def _interaction_by_token(self, call: Call) -> FakeInteraction:
        for ix in self.interactions.values():
            if ix.token == call.params["token"]:
                if "application_id" in call.params and call.params["application_id"] != str(self.application_id):
                    break
                return ix
        raise ApiError(404, 10015, "Unknown Webhook")

    async def _callback(self, request: web.Request, call: Call) -> Any:
        ix = self.interactions.get(int(call.params["interaction_id"]))
        if ix is None or ix.token != call.params["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        if ix.response_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - ix.created_at > RESPONSE_WINDOW:
            ix.expired = True
            raise ApiError(404, 10062, "Unknown interaction")
        body = call.json or {}
        rtype, data = body.get("type"), body.get("data") or {}
        allowed = {
            APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
            MESSAGE_COMPONENT: {
                CHANNEL_MESSAGE,
                DEFERRED_CHANNEL_MESSAGE,
                DEFERRED_UPDATE_MESSAGE,
                UPDATE_MESSAGE,
                MODAL,
            },
            MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE},
            AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
        }[ix.type]
        if rtype not in allowed:
            raise limits.invalid(f"callback type {rtype} is not valid for interaction type {ix.type}")
        if rtype in (UPDATE_MESSAGE, DEFERRED_UPDATE_MESSAGE) and ix.message is None:
            raise limits.invalid("no message to update")
        resource: dict[str, Any] | None = None
        if rtype == CHANNEL_MESSAGE:
            limits.validate_message(data, has_files=bool(call.files))
            ix.original = self._store_interaction_message(ix, data, call.files, flags=data.get("flags", 0))
            resource = {"type": rtype, "message": ix.original.payload()}
        elif rtype == DEFERRED_CHANNEL_MESSAGE:
            flags = (data.get("flags", 0) & EPHEMERAL) | LOADING
            ix.original = self._store_interaction_message(ix, {"content": ""}, [], flags=flags)
            resource = {"type": rtype, "message": ix.original.payload()}
        elif rtype == UPDATE_MESSAGE:
            assert ix.message is not None
            limits.validate_message(data, has_files=bool(call.files), edit=True)
            await self._apply_edit(ix.message, data, call.files)
            resource = {"type": rtype, "message": ix.message.payload()}
        elif rtype == MODAL:
            limits.validate_modal(data)
        elif rtype == AUTOCOMPLETE_RESULT:
            limits.validate_choices(data.get("choices") or [])
        ix.response_type, ix.response_data, ix.responded_at = rtype, data, time.monotonic()
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(ix.id),
                "type": ix.type,
                "response_message_loading": rtype == DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL),
            }
        }
        if resource is not None:
            answer["interaction"]["response_message_id"] = resource["message"]["id"]
            answer["resource"] = resource
        return answer

    def _store_interaction_message(
        self, ix: FakeInteraction, data: dict[str, Any], files: list[FakeAttachment], *, flags: int
    ) -> FakeMessage:
        message = self._new_message(ix.channel, self.bot_user, data, files, flags=flags, webhook=True)
        message.interaction_id = ix.id
        if not message.ephemeral:
            self._append(ix.channel, message)
        else:
            self.messages[message.id] = message
        return message

    async def _get_original(self, request: web.Request, call: Call) -> Any:
        ix = self._interaction_by_token(call)
        target = ix.original if ix.original is not None else ix.message
        if target is None:
            raise ApiError(404, 10008, "Unknown Message")
        return target.payload()

    async def _edit_original(self, request: web.Request, call: Call) -> Any:
        ix = self._interaction_by_token(call)
        if ix.response_type is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        target = ix.original if ix.original is not None else ix.message
        if target is None:
            raise ApiError(404, 10008, "Unknown Message")
        data = call.json or {}
        limits.validate_message(data, has_files=bool(call.files), edit=True)
        await self._apply_edit(target, data, call.files)
        target.flags &= ~LOADING
        return target.payload()

    async def _delete_original(self, request: web.Request, call: Call) -> Any:
        ix = self._interaction_by_token(call)
        if ix.original is None:
            raise ApiError(404, 10008, "Unknown Message")
        self._remove(ix.original)
        return None

    async def _followup(self, request: web.Request, call: Call) -> Any:
        ix = self._interaction_by_token(call)
        if ix.response_type is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        data = call.json or {}
        limits.validate_message(data, has_files=bool(call.files))
        if ix.original is not None and ix.original.loading:
            # the first follow-up after a deferred reply replaces the "thinking…" message
            await self._apply_edit(ix.original, data, call.files)
            ix.original.flags &= ~LOADING
            ix.followups.append(ix.original)
            return ix.original.payload()
        message = self._store_interaction_message(ix, data, call.files, flags=data.get("flags", 0))
        ix.followups.append(message)
        if not message.ephemeral:
            await self._dispatch_message("MESSAGE_CREATE", message)
        return message.payload()

    async def _edit_followup(self, request: web.Request, call: Call) -> Any:
        ix = self._interaction_by_token(call)
        message = self.messages.get(int(call.params["message_id"]))
        if message is None or message not in ix.answers:
            raise ApiError(404, 10008, "Unknown Message")
        data = call.json or {}
        limits.validate_message(data, has_files=bool(call.files), edit=True)
        await self._apply_edit(message, data, call.files)
        return message.payload()

    # ---------------------------------------------------------------- REST: channels and messages
    def _channel(self, call: Call) -> FakeChannel:
        channel_id = int(call.params["channel_id"])
        channel = self.guild.channels.get(channel_id) or next(
            (c for c in self.dm_channels.values() if c.id == channel_id), None
        )
        if channel is None or not self._bot_sees(channel):
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    def _bot_sees(self, channel: FakeChannel) -> bool:
        return channel.type == DM or self.guild.can_view(self.bot_user.id, channel)

    def _message(self, call: Call, channel: FakeChannel) -> FakeMessage:
        message = self.messages.get(int(call.params["message_id"]))
        if message is None or message.channel_id != channel.id or message.ephemeral:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    async def _get_channel(self, request: web.Request, call: Call) -> Any:
        return self._channel(call).payload(for_user_id=self.bot_user.id)

    async def _edit_channel(self, request: web.Request, call: Call) -> Any:
        channel = self._channel(call)
        body = call.json or {}
        if "name" in body and body["name"] != channel.name:
            now = time.monotonic()
            channel.renames = [t for t in channel.renames if now - t < 600]
            if len(channel.renames) >= 2:  # Discord: 2 renames per 10 minutes per channel
                retry = round(600 - (now - channel.renames[0]), 3)
                raise ApiError(429, 0, "You are being rate limited.", retry_after=retry, **{"global": False})
            channel.renames.append(now)
            channel.name = body["name"]
        if channel.is_thread:
            perms = self.guild.permissions_in(self.bot_user.id, channel)
            if ("locked" in body or "archived" in body) and not perms & MANAGE_THREADS:
                raise ApiError(403, 50013, "Missing Permissions")
            if "archived" in body:
                channel.archived = bool(body["archived"])
                channel.archive_timestamp = iso_now()
            if "locked" in body:
                channel.locked = bool(body["locked"])
            if "invitable" in body:
                channel.invitable = bool(body["invitable"])
            if "auto_archive_duration" in body:
                channel.auto_archive_duration = int(body["auto_archive_duration"])
            await self.dispatch("THREAD_UPDATE", channel.payload())
        else:
            await self.dispatch("CHANNEL_UPDATE", channel.payload())
        return channel.payload(for_user_id=self.bot_user.id)

    async def _get_pins(self, request: web.Request, call: Call) -> Any:
        channel = self._channel(call)
        items = [{"pinned_at": m.timestamp, "message": m.payload()} for m in reversed(self.pins(channel))]
        return {"items": items, "has_more": False}

    async def _pin(self, request: web.Request, call: Call) -> Any:
        channel = self._channel(call)
        message = self._message(call, channel)
        self._check_writable(channel)
        if channel.type != DM and not self.guild.permissions_in(self.bot_user.id, channel) & PIN_MESSAGES:
            raise ApiError(403, 50013, "Missing Permissions")
        if not message.pinned:
            message.pinned = True
            notice = self._new_message(
                channel,
                self.bot_user,
                {"content": ""},
                [],
                mtype=CHANNEL_PINNED_MESSAGE,
            )
            notice.message_reference = {"message_id": str(message.id), "channel_id": str(channel.id)}
            self._append(channel, notice)
            await self._dispatch_message("MESSAGE_CREATE", notice)
            await self.dispatch(
                "CHANNEL_PINS_UPDATE",
                {"guild_id": str(self.guild.id), "channel_id": str(channel.id), "last_pin_timestamp": iso_now()},
            )
        return None

    async def _unpin(self, request: web.Request, call: Call) -> Any:
        channel = self._channel(call)
        self._message(call, channel).pinned = False
        return None

    async def _get_messages(self, request: web.Request, call: Call) -> Any:
        channel = self._channel(call)
        limit = int(call.query.get("limit", 50))
        found = [m for m in self.messages_in(channel) if not m.ephemeral]
        if "before" in call.query:
            found = [m for m in found if m.id < int(call.query["before"])]
        if "after" in call.query:
            found = [m for m in found if m.id > int(call.query["after"])]
        return [m.payload() for m in reversed(found)][:limit]

    async def _post_message(self, request: web.Request, call: Call) -> Any:
        channel = self._channel(call)
        data = call.json or {}
        limits.validate_message(data, has_files=bool(call.files))
        if channel.type == DM:
            assert channel.recipient is not None
            if not channel.recipient.dm_open:
                raise ApiError(403, 50007, "Cannot send messages to this user")
        else:
            perms = self.guild.permissions_in(self.bot_user.id, channel)
            needed = SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES
            if not perms & needed or (call.files and not perms & ATTACH_FILES):
                raise ApiError(403, 50013, "Missing Permissions")
            await self._unarchive_for_post(channel, self.bot_user)
        reference = data.get("message_reference")
        if reference is not None:
            target = self.messages.get(int(reference.get("message_id", 0)))
            if target is None or target.channel_id != channel.id:
                raise limits.invalid("message_reference: unknown message")
        message = self._new_message(channel, self.bot_user, data, call.files, mtype=19 if reference else 0)
        message.message_reference = reference
        self._append(channel, message)
        await self._dispatch_message("MESSAGE_CREATE", message)
        await self._add_mentioned_to_thread(channel, message)
        return message.payload()

    async def _get_message(self, request: web.Request, call: Call) -> Any:
        channel = self._channel(call)
        return self._message(call, channel).payload()

    async def _edit_message(self, request: web.Request, call: Call) -> Any:
        channel = self._channel(call)
        message = self._message(call, channel)
        if message.author.id != self.bot_user.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        if channel.is_thread and channel.archived and channel.locked:
            raise ApiError(400, 50083, "Operation not allowed on an archived thread")
        data = call.json or {}
        limits.validate_message(data, has_files=bool(call.files), edit=True)
        await self._apply_edit(message, data, call.files)
        return message.payload()

    async def _delete_message(self, request: web.Request, call: Call) -> Any:
        channel = self._channel(call)
        self._remove(self._message(call, channel))
        return None

    async def _create_thread(self, request: web.Request, call: Call) -> Any:
        parent = self._channel(call)
        body = call.json or {}
        if parent.type != GUILD_TEXT:
            raise limits.invalid("threads need a text channel parent")
        ttype = body.get("type", PRIVATE_THREAD)
        perms = self.guild.permissions_in(self.bot_user.id, parent)
        if ttype == PRIVATE_THREAD and not perms & CREATE_PRIVATE_THREADS:
            raise ApiError(403, 50013, "Missing Permissions")
        name = body.get("name") or ""
        limits.check(1 <= len(name) <= 100, f"thread name length {len(name)} (1-100)")
        if sum(1 for t in self.threads() if not t.archived) >= self.max_active_threads:
            raise ApiError(400, 160006, "Maximum number of active threads reached")
        thread = FakeChannel(
            id=self.ids.next(),
            type=ttype,
            name=name,
            guild_id=self.guild.id,
            parent_id=parent.id,
            owner_id=self.bot_user.id,
            invitable=bool(body.get("invitable", True)),
            auto_archive_duration=int(body.get("auto_archive_duration", 4320)),
            members={self.bot_user.id},
        )
        self.guild.channels[thread.id] = thread
        self.channel_messages[thread.id] = []
        await self.dispatch("THREAD_CREATE", {**thread.payload(for_user_id=self.bot_user.id), "newly_created": True})
        return thread.payload(for_user_id=self.bot_user.id)

    async def _add_thread_member(self, request: web.Request, call: Call) -> Any:
        thread = self._channel(call)
        if not thread.is_thread:
            raise limits.invalid("not a thread")
        user_id = int(call.params["user_id"])
        if user_id not in self.guild.members:
            raise ApiError(404, 10013, "Unknown User")
        await self._add_members(thread, [user_id])
        return None

    async def _get_thread_member(self, request: web.Request, call: Call) -> Any:
        thread = self._channel(call)
        user_id = int(call.params["user_id"])
        if user_id not in thread.members:
            raise ApiError(404, 10033, "Unknown Thread Member")
        return {"id": str(thread.id), "user_id": str(user_id), "join_timestamp": thread.create_timestamp, "flags": 0}

    async def _create_dm(self, request: web.Request, call: Call) -> Any:
        user_id = int((call.json or {}).get("recipient_id", 0))
        user = self.users.get(user_id)
        if user is None:
            raise ApiError(400, 50033, "Invalid Recipient(s)")
        channel = self.dm_channels.get(user_id)
        if channel is None:
            channel = FakeChannel(id=self.ids.next(), type=DM, recipient=user)
            self.dm_channels[user_id] = channel
            self.channel_messages[channel.id] = []
        return channel.payload()

    async def _get_user(self, request: web.Request, call: Call) -> Any:
        user = self.users.get(int(call.params["user_id"]))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return user.payload()

    async def _get_guild(self, request: web.Request, call: Call) -> Any:
        """REST's guild object: no members, channels or threads (those come with GUILD_CREATE)."""
        if call.params["guild_id"] != str(self.guild.id):
            raise ApiError(404, 10004, "Unknown Guild")
        data = self.guild.payload(bot_id=self.bot_user.id, threads=[])
        for gateway_only in ("members", "channels", "threads", "presences", "voice_states", "joined_at", "large"):
            data.pop(gateway_only, None)
        return {**data, "approximate_member_count": len(self.guild.members)}

    async def _get_member(self, request: web.Request, call: Call) -> Any:
        member = self.guild.members.get(int(call.params["user_id"]))
        if member is None or call.params["guild_id"] != str(self.guild.id):
            raise ApiError(404, 10007, "Unknown Member")
        return member.payload()

    async def _get_guild_channels(self, request: web.Request, call: Call) -> Any:
        return [c.payload() for c in self.guild.channels.values() if not c.is_thread]

    # ---------------------------------------------------------------- message helpers
    def _new_message(
        self,
        channel: FakeChannel,
        author: FakeUser,
        data: dict[str, Any],
        files: list[FakeAttachment],
        *,
        flags: int = 0,
        mtype: int = 0,
        webhook: bool = False,
    ) -> FakeMessage:
        attachments = list(files)
        message = FakeMessage(
            id=self.ids.next(),
            channel_id=channel.id,
            author=author,
            content=data.get("content") or "",
            embeds=list(data.get("embeds") or []),
            components=list(data.get("components") or []),
            attachments=attachments,
            allowed_mentions=data.get("allowed_mentions"),
            type=mtype,
            flags=flags | (data.get("flags") or 0),
            webhook_id=self.application_id if webhook else None,
            guild_id=channel.guild_id,
            member=self.guild.members.get(author.id) if channel.guild_id else None,
        )
        self._resolve_mentions(message)
        return message

    def _resolve_mentions(self, message: FakeMessage) -> None:
        """Which mentions in the content really ping, given ``allowed_mentions`` (absent = all)."""
        allowed = message.allowed_mentions
        parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse") or [])
        user_ids = [int(u) for u in re.findall(r"<@!?(\d+)>", message.content)]
        role_ids = [int(r) for r in re.findall(r"<@&(\d+)>", message.content)]
        allowed_users = {int(u) for u in (allowed or {}).get("users") or []}
        allowed_roles = {int(r) for r in (allowed or {}).get("roles") or []}
        message.mentions = [
            self.users[u]
            for u in dict.fromkeys(user_ids)
            if u in self.users and ("users" in parse or u in allowed_users)
        ]
        message.mention_roles = [r for r in dict.fromkeys(role_ids) if "roles" in parse or r in allowed_roles]
        message.mention_everyone = "everyone" in parse and (
            "@everyone" in message.content or "@here" in message.content
        )

    def _append(self, channel: FakeChannel, message: FakeMessage) -> None:
        self.messages[message.id] = message
        self.channel_messages.setdefault(channel.id, []).append(message.id)
        channel.last_message_id = message.id
        if channel.is_thread and message.type in (0, 19):
            channel.message_count += 1

    def _remove(self, message: FakeMessage) -> None:
        self.messages.pop(message.id, None)
        ids = self.channel_messages.get(message.channel_id, [])
        if message.id in ids:
            ids.remove(message.id)

    async def _apply_edit(self, message: FakeMessage, data: dict[str, Any], files: list[FakeAttachment]) -> None:
        if "content" in data:
            message.content = data["content"] or ""
        if "embeds" in data:
            message.embeds = list(data["embeds"] or [])
        if "components" in data:
            message.components = list(data["components"] or [])
        if "allowed_mentions" in data:
            message.allowed_mentions = data["allowed_mentions"]
        if "attachments" in data:
            keep = {int(a["id"]) for a in data["attachments"] or [] if str(a.get("id", "")).isdigit()}
            message.attachments = [a for a in message.attachments if a.id in keep]
        message.attachments += files
        if "flags" in data and data["flags"] is not None:
            message.flags = (message.flags & (EPHEMERAL | LOADING)) | (data["flags"] & ~EPHEMERAL)
        message.edited_timestamp = iso_now()
        if not message.ephemeral and message.id in self.channel_messages.get(message.channel_id, []):
            await self._dispatch_message("MESSAGE_UPDATE", message)

    async def _dispatch_message(self, event: str, message: FakeMessage) -> None:
        if message.guild_id is None:
            return
        await self.dispatch(event, message.payload())

    def _check_writable(self, channel: FakeChannel) -> None:
        if channel.is_thread and channel.archived and channel.locked:
            raise ApiError(400, 50083, "Operation not allowed on an archived thread")

    async def _unarchive_for_post(self, channel: FakeChannel, author: FakeUser) -> None:
        """Posting in an archived, unlocked thread unarchives it (as on Discord)."""
        if not channel.is_thread or not channel.archived:
            return
        if channel.locked and not self.guild.permissions_in(author.id, channel) & MANAGE_THREADS:
            raise ApiError(400, 50083, "Operation not allowed on an archived thread")
        channel.archived = False
        await self.dispatch("THREAD_UPDATE", channel.payload())

    async def _add_mentioned_to_thread(self, channel: FakeChannel, message: FakeMessage) -> None:
        """A mention that pings adds the user to a private thread (how Discord invites people)."""
        if channel.type != PRIVATE_THREAD:
            return
        new = [u.id for u in message.mentions if u.id in self.guild.members and u.id not in channel.members]
        if new:
            await self._add_members(channel, new)

    async def _add_members(self, thread: FakeChannel, user_ids: list[int]) -> None:
        added = [u for u in user_ids if u not in thread.members]
        thread.members.update(added)
        if not added:
            return
        await self.dispatch(
            "THREAD_MEMBERS_UPDATE",
            {
                "id": str(thread.id),
                "guild_id": str(self.guild.id),
                "member_count": len(thread.members),
                "added_members": [
                    {
                        "id": str(thread.id),
                        "user_id": str(u),
                        "join_timestamp": iso_now(),
                        "flags": 0,
                        "member": self.guild.members[u].payload(),
                    }
                    for u in added
                ],
            },
        )
