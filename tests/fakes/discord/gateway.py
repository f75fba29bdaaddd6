"""The fake gateway: one JSON websocket session per connected shard.

Frames go out as TEXT (discord.py then skips zlib-stream decompression); discord.py only asks for
``encoding=json``. Sequence: HELLO → (client) HEARTBEAT / IDENTIFY → READY + GUILD_CREATE → dispatches.

Like Discord, IDENTIFY with a privileged intent the application has not enabled (its ``flags``) is closed
with 4014 (discord.py raises ``PrivilegedIntentsRequired``), and a wrong token with 4004. During an outage
(``FakeDiscord.gateway_outage``) IDENTIFY/RESUME are held unanswered until the outage ends.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

log = logging.getLogger("fakes.discord.gateway")

# opcodes
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, RESUME, RECONNECT, REQUEST_MEMBERS = 0, 1, 2, 3, 6, 7, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11

# intents
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
GUILD_PRESENCES = 1 << 8
MESSAGE_CONTENT = 1 << 15

# application flags (GET /oauth2/applications/@me and READY's application.flags)
GATEWAY_PRESENCE = 1 << 12
GATEWAY_PRESENCE_LIMITED = 1 << 13
GATEWAY_GUILD_MEMBERS = 1 << 14
GATEWAY_GUILD_MEMBERS_LIMITED = 1 << 15
GATEWAY_MESSAGE_CONTENT = 1 << 18
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19
APPLICATION_COMMAND_BADGE = 1 << 23

#: privileged intent → the application flags that allow it (verified apps / apps under 100 servers)
PRIVILEGED_INTENTS = {
    GUILD_MEMBERS: GATEWAY_GUILD_MEMBERS | GATEWAY_GUILD_MEMBERS_LIMITED,
    GUILD_PRESENCES: GATEWAY_PRESENCE | GATEWAY_PRESENCE_LIMITED,
    MESSAGE_CONTENT: GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED,
}

#: which intent a dispatch needs (events not listed are always sent)
EVENT_INTENTS = {
    "GUILD_CREATE": GUILDS,
    "CHANNEL_CREATE": GUILDS,
    "CHANNEL_UPDATE": GUILDS,
    "CHANNEL_PINS_UPDATE": GUILDS,
    "THREAD_CREATE": GUILDS,
    "THREAD_UPDATE": GUILDS,
    "THREAD_DELETE": GUILDS,
    "THREAD_LIST_SYNC": GUILDS,
    "THREAD_MEMBER_UPDATE": GUILDS,
    "THREAD_MEMBERS_UPDATE": GUILDS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
}


@dataclass
class Identify:
    """One IDENTIFY received: when (``time.time()``), with which intents and shard."""

    at: float
    token: str
    intents: int
    shard: tuple[int, int] | None
    properties: dict[str, Any] = field(default_factory=dict)


class GatewaySession:
    """One websocket connection from the bot."""

    def __init__(self, fake: Any, ws: web.WebSocketResponse, query: dict[str, str]) -> None:
        self.fake = fake
        self.ws = ws
        self.query = query
        self.seq = 0
        self.session_id: str | None = None
        self.identify: Identify | None = None
        self.ready = False
        self.heartbeats = 0
        self.held: list[dict[str, Any]] = []  # IDENTIFY/RESUME received during an outage
        self._send_lock = asyncio.Lock()

    @property
    def intents(self) -> int:
        return self.identify.intents if self.identify else 0

    @property
    def shard(self) -> tuple[int, int]:
        if self.identify and self.identify.shard:
            return self.identify.shard
        return (0, 1)

    def handles_guild(self, guild_id: int) -> bool:
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id

    async def send(self, payload: dict[str, Any]) -> None:
        if self.ws.closed:
            return
        async with self._send_lock:
            await self.ws.send_str(json.dumps(payload))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        needed = EVENT_INTENTS.get(event)
        if needed is not None and not self.intents & needed:
            return
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
            if data.get("guild_id") and not self.intents & GUILD_MESSAGES:
                return
            if not data.get("guild_id") and not self.intents & DIRECT_MESSAGES:
                return
            data = self._strip_content(data)
        self.seq += 1
        await self.send({"op": DISPATCH, "t": event, "s": self.seq, "d": data})

    def _strip_content(self, data: dict[str, Any]) -> dict[str, Any]:
        """Without MESSAGE_CONTENT, guild messages arrive empty (except the bot's own and mentions)."""
        if self.intents & MESSAGE_CONTENT or not data.get("guild_id"):
            return data
        me = str(self.fake.bot_user.id)
        if data["author"]["id"] == me or any(u["id"] == me for u in data.get("mentions", [])):
            return data
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}

    async def run(self) -> None:
        await self.send({"op": HELLO, "d": {"heartbeat_interval": self.fake.heartbeat_interval_ms}})
        async for msg in self.ws:
            if msg.type != WSMsgType.TEXT:
                if msg.type == WSMsgType.BINARY:
                    self.fake.violations.append("gateway: the client sent a BINARY frame")
                continue
            payload = json.loads(msg.data)
            op = payload.get("op")
            if op == HEARTBEAT:
                self.heartbeats += 1
                await self.send({"op": HEARTBEAT_ACK})
            elif op in (IDENTIFY, RESUME) and self.fake.gateway_refusing is not None:
                self.held.append(payload)
            elif op == IDENTIFY:
                await self._on_identify(payload["d"])
            elif op == RESUME:
                await self._on_resume(payload["d"])
            elif op == REQUEST_MEMBERS:
                await self._on_request_members(payload["d"])
            elif op == PRESENCE:
                pass
            else:
                self.fake.violations.append(f"gateway: unexpected opcode {op}")

    async def release(self) -> None:
        """Answer the IDENTIFY/RESUME held during an outage."""
        held, self.held = self.held, []
        for payload in held:
            if payload["op"] == IDENTIFY:
                await self._on_identify(payload["d"])
            else:
                await self._on_resume(payload["d"])

    def _disallowed_intents(self, intents: int) -> int:
        flags = self.fake.application_flags
        return sum(intent for intent, allowed in PRIVILEGED_INTENTS.items() if intents & intent and not flags & allowed)

    async def _on_identify(self, data: dict[str, Any]) -> None:
        shard = tuple(data["shard"]) if data.get("shard") else None
        self.identify = Identify(
            at=time.time(),
            token=data["token"],
            intents=int(data.get("intents", 0)),
            shard=shard,  # type: ignore[arg-type]
            properties=data.get("properties", {}),
        )
        self.fake.identifies.append(self.identify)
        if data["token"] != self.fake.token:
            await self.ws.close(code=4004, message=b"Authentication failed.")
            return
        if self._disallowed_intents(self.identify.intents):
            await self.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.session_id = f"session-{len(self.fake.identifies)}"
        fake = self.fake
        ready = {
            "v": 10,
            "user": fake.bot_user.payload(),
            "guilds": [{"id": str(fake.guild.id), "unavailable": True}] if self.handles_guild(fake.guild.id) else [],
            "session_id": self.session_id,
            "session_type": "normal",
            "resume_gateway_url": fake.gateway_url,
            "application": {"id": str(fake.application_id), "flags": fake.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "user_settings": {},
            "auth_session_id_hash": "x",
        }
        if shard is not None:
            ready["shard"] = list(shard)
        await self.dispatch("READY", ready)
        if self.handles_guild(fake.guild.id):
            await self.dispatch("GUILD_CREATE", fake.guild_create_payload())
        self.ready = True
        fake._bump()

    async def _on_resume(self, data: dict[str, Any]) -> None:
        if data.get("token") != self.fake.token:
            await self.send({"op": INVALID_SESSION, "d": False})
            return
        self.session_id = data.get("session_id")
        previous = next((s for s in self.fake.all_sessions if s.session_id == self.session_id), None)
        self.identify = previous.identify if previous else None
        self.seq = int(data.get("seq") or 0)
        self.ready = self.identify is not None
        await self.dispatch("RESUMED", {})
        self.fake._bump()

    async def _on_request_members(self, data: dict[str, Any]) -> None:
        fake = self.fake
        members = list(fake.guild.members.values())
        ids = data.get("user_ids")
        if ids:
            wanted = {int(i) for i in (ids if isinstance(ids, list) else [ids])}
            members = [m for m in members if m.user.id in wanted]
        await self.dispatch(
            "GUILD_MEMBERS_CHUNK",
            {
                "guild_id": str(fake.guild.id),
                "members": [m.payload() for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
                "nonce": data.get("nonce"),
            },
        )
