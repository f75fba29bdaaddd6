"""A fake Discord (REST v10 + JSON gateway) that a real discord.py bot logs in to.

Start it, point the bot's REST base at ``fake.api_url`` and its gateway at ``fake.gateway_url``, then
drive it like a user would: ``slash``, ``autocomplete``, ``submit_modal``, ``click``, ``send_message``.

Rules it enforces like Discord: the initial interaction response within 3 s (later → 404 10062) and
only once (again → 400 40060); message/embed/component/modal limits (400 50035); private-thread
membership by mention; archived/locked threads. Every REST call is recorded in ``calls``; unknown routes
land in ``unknown_routes`` (answered 404) and rule breaks in ``violations`` — the test fixture fails on
either. Optional: a global limit of N requests/s (429 with ``retry_after`` and ``global``; interaction
callbacks and interaction webhooks exempt) and injected errors per route.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import limits
from .gateway import GatewaySession, Identify
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
    ADMINISTRATOR,
    CHANNEL_PINNED_MESSAGE,
    CREATE_PRIVATE_THREADS,
    DM,
    EPHEMERAL,
    GUILD_TEXT,
    LOADING,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
    Snowflakes,
    iso_now,
)

API_PREFIX = "/api/v10"
JSON = "application/json"  # exactly: discord.py compares the header with ==

ERROR_MESSAGES = {
    10003: "Unknown Channel",
    10008: "Unknown Message",
    10015: "Unknown Webhook",
    10062: "Unknown interaction",
    40060: "Interaction has already been acknowledged.",
    50001: "Missing Access",
    50005: "Cannot edit a message authored by another user",
    50007: "Cannot send messages to this user",
    50013: "Missing Permissions",
    50083: "Operation not allowed on an archived thread",
    160006: "Maximum number of active threads reached",
}

Handler = Callable[[web.Request, "Call"], Awaitable[Any]]


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    route: str  # the route template, e.g. "/channels/{channel_id}/messages"
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[FakeAttachment]
    at: float
    status: int = 0
    exempt: bool = False

    @property
    def key(self) -> str:
        return f"{self.method} {self.route}"

    def __repr__(self) -> str:
        return f"<Call {self.method} {self.path} → {self.status}>"


@dataclass
class Injection:
    key: str
    status: int
    code: int
    times: int
    message: str
    retry_after: float
    is_global: bool
    match: Callable[[Call], bool] | None


@dataclass
class FakeDiscord:
    token: str = "fake-bot-token"
    global_limit: int | None = None  # requests per second, None = off
    heartbeat_interval_ms: int = 41_250
    max_active_threads: int = 1000

    calls: list[Call] = field(default_factory=list)
    unknown_routes: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    allowed_codes: set[int] = field(default_factory=set)
    identifies: list[Identify] = field(default_factory=list)
    interactions: dict[int, FakeInteraction] = field(default_factory=dict)
    commands: dict[int | None, list[dict[str, Any]]] = field(default_factory=dict)
    messages: dict[int, FakeMessage] = field(default_factory=dict)
    channel_messages: dict[int, list[int]] = field(default_factory=dict)
    dm_channels: dict[int, FakeChannel] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ids = Snowflakes()
        self.application_flags = 1 << 19 | 1 << 23  # GATEWAY_MESSAGE_CONTENT_LIMITED etc.: any int works
        self.owner = FakeUser(self.ids.next(), "owner", "Guild Owner")
        self.bot_user = FakeUser(self.ids.next(), "ticketbot", "ticketbot", bot=True)
        self.application_id = self.bot_user.id
        guild_id = self.ids.next()
        self.guild = FakeGuild(id=guild_id, name="Community", owner_id=self.owner.id)
        everyone = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | SEND_MESSAGES_IN_THREADS
        self.guild.roles[guild_id] = FakeRole(guild_id, "@everyone", everyone)
        self.staff_role = self._add_role("Support", MANAGE_THREADS | MANAGE_MESSAGES, position=2)
        self.bot_role = self._add_role(
            "ticketbot", MANAGE_THREADS | CREATE_PRIVATE_THREADS | MANAGE_MESSAGES, position=3
        )
        self.general = self.add_channel("general")
        self.support = self.add_channel("support")
        self.log_channel = self.add_channel("ticket-log")
        self.users: dict[int, FakeUser] = {}
        self._join(self.owner)
        self._join(self.bot_user, [self.bot_role.id])
        self.alice = self.add_user("alice", "Alice Example")
        self.bob = self.add_user("bob", "Bob Example")
        self.sam = self.add_user("sam", "Sam Support", staff=True)
        self.sessions: list[GatewaySession] = []
        self.all_sessions: list[GatewaySession] = []
        self._window: deque[float] = deque()
        self._injections: list[Injection] = []
        self._changed: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._timers: list[asyncio.TimerHandle] = []
        self.port = 0

    # ---------------------------------------------------------------- setup / lifecycle
    def _add_role(self, name: str, permissions: int, position: int = 1) -> FakeRole:
        role = FakeRole(self.ids.next(), name, permissions, position)
        self.guild.roles[role.id] = role
        return role

    def add_channel(self, name: str) -> FakeChannel:
        channel = FakeChannel(
            id=self.ids.next(), type=GUILD_TEXT, name=name, guild_id=self.guild.id, position=len(self.guild.channels)
        )
        self.guild.channels[channel.id] = channel
        return channel

    def _join(self, user: FakeUser, roles: list[int] | None = None) -> None:
        self.users[user.id] = user
        self.guild.members[user.id] = FakeMember(user, list(roles or []))

    def add_user(self, username: str, display: str | None = None, *, staff: bool = False) -> FakeUser:
        user = FakeUser(self.ids.next(), username, display)
        self._join(user, [self.staff_role.id] if staff else [])
        return user

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway/"

    async def start(self) -> FakeDiscord:
        self._changed = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway/", self._gateway)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._attachment)
        for method, route, handler in self._routes():
            app.router.add_route(method, API_PREFIX + route, self._wrap(method, route, handler))
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for session in list(self.sessions):
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _bump(self) -> None:
        """Wake everyone waiting in ``wait_until``."""
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], Any], within: float = 5.0, what: str = "condition") -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every fake change and every 50 ms)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {within}s waiting for {what}")
            event = self._changed
            assert event is not None, "FakeDiscord.start() was not awaited"
            try:
                await asyncio.wait_for(event.wait(), min(remaining, 0.05))
            except TimeoutError:
                pass

    # ---------------------------------------------------------------- test-facing queries
    def allow(self, *codes: int) -> None:
        """Declare that this test expects Discord to answer these error codes (e.g. 40060)."""
        self.allowed_codes.update(codes)

    def inject(
        self,
        key: str,
        *,
        status: int,
        code: int = 0,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
        match: Callable[[Call], bool] | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``key`` ("POST /channels/{channel_id}/threads") with an error."""
        message = "You are being rate limited." if status == 429 else ERROR_MESSAGES.get(code, "Error")
        self._injections.append(Injection(key, status, code, times, message, retry_after, is_global, match))

    def calls_to(self, key: str, **params: str | int) -> list[Call]:
        """Recorded calls of one route (``"POST /channels/{channel_id}/messages"``), filtered by path params."""
        wanted = {k: str(v) for k, v in params.items()}
        return [c for c in self.calls if c.key == key and all(c.params.get(k) == v for k, v in wanted.items())]

    def messages_in(self, channel: FakeChannel | int) -> list[FakeMessage]:
        channel_id = channel if isinstance(channel, int) else channel.id
        return [self.messages[i] for i in self.channel_messages.get(channel_id, [])]

    def threads(self) -> list[FakeChannel]:
        return [c for c in self.guild.channels.values() if c.is_thread]

    def channel(self, channel_id: int | str) -> FakeChannel:
        return self.guild.channels[int(channel_id)]

    def pins(self, channel: FakeChannel) -> list[FakeMessage]:
        return [m for m in self.messages_in(channel) if m.pinned]

    def dm_messages(self, user: FakeUser) -> list[FakeMessage]:
        channel = self.dm_channels.get(user.id)
        return self.messages_in(channel) if channel else []

    @property
    def ready_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions if s.ready and not s.ws.closed]

    async def wait_ready(self, within: float = 5.0) -> None:
        await self.wait_until(lambda: self.ready_sessions, within, "a bot session to be READY")

    def problems(self) -> list[str]:
        """Unknown routes and rule violations, for the test fixture."""
        found = [f"unknown route: {r}" for r in self.unknown_routes]
        found += [v for v in self.violations if not any(f"code {c}" in v for c in self.allowed_codes)]
        return found

    # ---------------------------------------------------------------- gateway
    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        session = GatewaySession(self, ws, dict(request.query))
        self.sessions.append(session)
        self.all_sessions.append(session)
        try:
            await session.run()
        finally:
            self.sessions.remove(session)
            self._bump()
        return ws

    async def dispatch(self, event: str, data: dict[str, Any], *, guild_id: int | None = None) -> None:
        gid = guild_id if guild_id is not None else self.guild.id
        for session in self.ready_sessions:
            if session.handles_guild(gid):
                await session.dispatch(event, json.loads(json.dumps(data)))

    def guild_create_payload(self) -> dict[str, Any]:
        active = [t for t in self.threads() if not t.archived and self.bot_user.id in t.members]
        return self.guild.payload(bot_id=self.bot_user.id, threads=active)

    # ---------------------------------------------------------------- REST plumbing
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
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels),
        ]

    def _wrap(self, method: str, route: str, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        exempt = route.startswith("/interactions/") or route.startswith("/webhooks/{application_id}/{token}")

        async def handle(request: web.Request) -> web.Response:
            body, files = await self._read_body(request)
            call = Call(
                method=method,
                route=route,
                path=request.path[len(API_PREFIX) :],
                params=dict(request.match_info),
                query=dict(request.query),
                json=body,
                files=files,
                at=time.monotonic(),
                exempt=exempt,
            )
            self.calls.append(call)
            try:
                if not exempt and request.headers.get("Authorization") != f"Bot {self.token}":
                    raise ApiError(401, 0, "401: Unauthorized")
                limited = None if exempt else self._check_global_limit()
                if limited is not None:
                    return self._respond(call, 429, limited, rate_limited=True)
                injected = self._take_injection(call)
                if injected is not None:
                    return injected
                result = await handler(request, call)
            except ApiError as err:
                if err.code in (10062, 40060, 10015):
                    self.violations.append(f"{call.key}: code {err.code} {err.message}")
                return self._respond(call, err.status, err.body())
            finally:
                self._bump()
            if result is None:
                return self._respond(call, 204, None)
            return self._respond(call, 200, result)

        return handle

    def _respond(self, call: Call, status: int, data: Any, *, rate_limited: bool = False) -> web.Response:
        call.status = status
        headers = {"Content-Type": JSON}
        if status == 429:
            headers["Via"] = "1.1 google"  # without it discord.py assumes a Cloudflare ban
            headers["Retry-After"] = str(data.get("retry_after", 0))
            if data.get("global"):
                headers["X-RateLimit-Global"] = "true"
            headers["X-RateLimit-Scope"] = "global" if data.get("global") else "user"
        if status == 204:
            return web.Response(status=204)
        return web.Response(status=status, body=json.dumps(data).encode(), headers=headers)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[FakeAttachment]]:
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            payload: Any = None
            files: list[FakeAttachment] = []
            reader = await request.multipart()
            async for part in reader:  # type: ignore[union-attr]
                data = await part.read()  # type: ignore[union-attr]
                if part.name == "payload_json":  # type: ignore[union-attr]
                    payload = json.loads(data)
                else:
                    att_id = self.ids.next()
                    filename = part.filename or "file"  # type: ignore[union-attr]
                    files.append(
                        FakeAttachment(
                            id=att_id,
                            filename=filename,
                            size=len(data),
                            content_type=part.headers.get("Content-Type"),  # type: ignore[union-attr]
                            url=f"{self.base_url}/attachments/{att_id}/{filename}",
                            data=bytes(data),
                        )
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, []
        if ctype != JSON:
            raise web.HTTPBadRequest(text=f"unexpected content type {ctype!r}")
        return json.loads(raw), []

    def _check_global_limit(self) -> dict[str, Any] | None:
        if not self.global_limit:
            return None
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= self.global_limit:
            retry_after = round(max(0.001, 1.0 - (now - self._window[0])), 3)
            return {"message": "You are being rate limited.", "retry_after": retry_after, "global": True}
        self._window.append(now)
        return None

    def _take_injection(self, call: Call) -> web.Response | None:
        for inj in self._injections:
            if inj.key != call.key or inj.times <= 0 or (inj.match is not None and not inj.match(call)):
                continue
            inj.times -= 1
            if inj.status == 429:
                body = {"message": inj.message, "retry_after": inj.retry_after, "global": inj.is_global}
            else:
                body = {"message": inj.message, "code": inj.code}
            return self._respond(call, inj.status, body)
        return None

    async def _unknown(self, request: web.Request) -> web.Response:
        self.unknown_routes.append(f"{request.method} {request.path}")
        self._bump()
        return web.Response(
            status=404,
            body=json.dumps({"message": "404: Not Found", "code": 0}).encode(),
            headers={"Content-Type": JSON},
        )

    async def _attachment(self, request: web.Request) -> web.Response:
        att_id = int(request.match_info["attachment_id"])
        for message in self.messages.values():
            for att in message.attachments:
                if att.id == att_id:
                    return web.Response(body=att.data, content_type=att.content_type or "application/octet-stream")
        raise web.HTTPNotFound()

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
            perms = self.guild.permissions_of(self.bot_user.id)
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
            perms = self.guild.permissions_of(self.bot_user.id)
            needed = SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES
            if not perms & needed:
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
        perms = self.guild.permissions_of(self.bot_user.id)
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
        if channel.locked and not self.guild.permissions_of(author.id) & MANAGE_THREADS:
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

    # ---------------------------------------------------------------- drivers (what users do)
    def _interaction_payload(self, ix: FakeInteraction) -> dict[str, Any]:
        member = self.guild.members[ix.user.id]
        payload: dict[str, Any] = {
            "id": str(ix.id),
            "application_id": str(self.application_id),
            "type": ix.type,
            "data": ix.data,
            "guild_id": str(self.guild.id),
            "guild": {"id": str(self.guild.id), "locale": "en-US", "features": []},
            "channel_id": str(ix.channel.id),
            "channel": ix.channel.payload(),
            "member": member.payload(permissions=self._channel_permissions(ix.user, ix.channel)),
            "token": ix.token,
            "version": 1,
            "app_permissions": str(self._channel_permissions(self.bot_user, ix.channel)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if ix.message is not None:
            payload["message"] = ix.message.payload()
        return payload

    def _channel_permissions(self, user: FakeUser, channel: FakeChannel) -> int:
        return self.guild.permissions_of(user.id)

    async def _send_interaction(
        self,
        itype: int,
        user: FakeUser,
        channel: FakeChannel,
        data: dict[str, Any],
        message: FakeMessage | None = None,
    ) -> FakeInteraction:
        if not self.ready_sessions:
            raise AssertionError("no bot is connected to the fake gateway")
        ix = FakeInteraction(
            self,
            id=self.ids.next(),
            token=f"ix-{secrets.token_urlsafe(24)}",
            type=itype,
            user=user,
            channel=channel,
            data=data,
            message=message,
        )
        self.interactions[ix.id] = ix
        ix.payload = self._interaction_payload(ix)  # type: ignore[attr-defined]
        await self.dispatch("INTERACTION_CREATE", ix.payload)  # type: ignore[attr-defined]
        loop = asyncio.get_running_loop()
        self._timers.append(loop.call_later(RESPONSE_WINDOW + 0.05, self._check_answered, ix))
        return ix

    def _check_answered(self, ix: FakeInteraction) -> None:
        if ix.response_type is None:
            ix.expired = True
            if ix.expect_response:
                self.violations.append(f"{ix!r}: no initial response within {RESPONSE_WINDOW:.0f} s (code 10062)")
            self._bump()

    async def redeliver(self, ix: FakeInteraction) -> None:
        """Send the same INTERACTION_CREATE again (a duplicate delivery: same id and token)."""
        await self.dispatch("INTERACTION_CREATE", ix.payload)  # type: ignore[attr-defined]

    def _find_command(self, path: str) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
        """Resolve "ticket close" against the synced commands → (top command, option chain, leaf)."""
        names = path.split()
        commands = self.commands.get(self.guild.id, []) + self.commands.get(None, [])
        top = next((c for c in commands if c["name"] == names[0] and c.get("type", 1) == 1), None)
        if top is None:
            raise AssertionError(f"/{names[0]} is not a synced command (synced: {[c['name'] for c in commands]})")
        chain: list[dict[str, Any]] = []
        leaf = top
        for name in names[1:]:
            sub = next((o for o in leaf.get("options", []) if o["name"] == name and o["type"] in (1, 2)), None)
            if sub is None:
                raise AssertionError(f"/{path}: no subcommand {name!r} in {leaf['name']!r}")
            chain.append(sub)
            leaf = sub
        return top, chain, leaf

    def _option_values(
        self, leaf: dict[str, Any], values: dict[str, Any], focused: str | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        definitions = {o["name"]: o for o in leaf.get("options", []) if o["type"] not in (1, 2)}
        unknown = set(values) - set(definitions)
        if unknown:
            raise AssertionError(f"unknown options {sorted(unknown)}; {leaf['name']!r} has {sorted(definitions)}")
        options: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {}
        for name, spec in definitions.items():
            if name not in values:
                if spec.get("required") and focused is None:
                    raise AssertionError(f"option {name!r} is required")
                continue
            value = values[name]
            otype = spec["type"]
            if name == focused:
                options.append({"name": name, "type": otype, "value": str(value), "focused": True})
                continue
            if otype == 6:  # USER
                user = value
                member = self.guild.members[user.id]
                resolved.setdefault("users", {})[str(user.id)] = user.payload()
                resolved.setdefault("members", {})[str(user.id)] = {
                    **member.payload(with_user=False),
                    "permissions": str(self.guild.permissions_of(user.id)),
                }
                value = str(user.id)
            elif otype == 4:
                value = int(value)
            elif otype == 10:
                value = float(value)
            elif otype == 5:
                value = bool(value)
            else:
                value = str(value)
                limits.check(len(value) <= spec.get("max_length", 6000), f"option {name!r} too long")
            choices = spec.get("choices")
            if choices and value not in [c["value"] for c in choices]:
                raise AssertionError(f"{value!r} is not a choice of {name!r}: {[c['value'] for c in choices]}")
            options.append({"name": name, "type": otype, "value": value})
        return options, resolved

    def _command_data(self, path: str, values: dict[str, Any], focused: str | None = None) -> dict[str, Any]:
        top, chain, leaf = self._find_command(path)
        options, resolved = self._option_values(leaf, values, focused)
        for sub in reversed(chain):
            options = [{"name": sub["name"], "type": sub["type"], "options": options}]
        data: dict[str, Any] = {"id": top["id"], "name": top["name"], "type": 1, "options": options}
        if "guild_id" in top:
            data["guild_id"] = top["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(
        self, user: FakeUser, command: str, *, channel: FakeChannel | None = None, **options: Any
    ) -> FakeInteraction:
        """The user runs ``/command`` (e.g. ``"ticket close"``) with options, in ``channel`` (default #general)."""
        data = self._command_data(command, options)
        return await self._send_interaction(APPLICATION_COMMAND, user, channel or self.general, data)

    async def autocomplete(
        self,
        user: FakeUser,
        command: str,
        focused: str,
        value: str = "",
        *,
        channel: FakeChannel | None = None,
        **options: Any,
    ) -> list[dict[str, Any]]:
        """The user types ``value`` into option ``focused``; return the choices the bot offers."""
        data = self._command_data(command, {**options, focused: value}, focused=focused)
        ix = await self._send_interaction(AUTOCOMPLETE, user, channel or self.general, data)
        await ix.response()
        return ix.choices

    async def submit_modal(
        self, ix: FakeInteraction, values: dict[str, Any], *, user: FakeUser | None = None
    ) -> FakeInteraction:
        """Submit the modal the bot opened in answer to ``ix``; ``values`` maps input custom_id → text/option values."""
        await ix.response()
        modal = ix.modal
        remaining = dict(values)

        def submitted(comp: dict[str, Any]) -> dict[str, Any]:
            cid = comp["custom_id"]
            if comp["type"] == 4:
                text = str(remaining.pop(cid, comp.get("value") or ""))
                if comp.get("required", True) and not text:
                    raise AssertionError(f"modal input {cid!r} is required")
                if text and not comp.get("min_length", 0) <= len(text) <= comp.get("max_length", 4000):
                    raise AssertionError(f"modal input {cid!r}: length {len(text)} out of range")
                return {"type": 4, "id": comp.get("id", 0), "custom_id": cid, "value": text}
            if comp["type"] == 3:
                chosen = remaining.pop(cid, [o["value"] for o in comp.get("options", []) if o.get("default")])
                chosen = [chosen] if isinstance(chosen, str) else list(chosen)
                options = [o["value"] for o in comp.get("options", [])]
                if any(v not in options for v in chosen):
                    raise AssertionError(f"modal select {cid!r}: {chosen} not in {options}")
                low = comp.get("min_values", 1) if comp.get("required", True) else 0
                if not low <= len(chosen) <= comp.get("max_values", 1):
                    raise AssertionError(f"modal select {cid!r}: {len(chosen)} values chosen")
                return {"type": 3, "id": comp.get("id", 0), "custom_id": cid, "values": chosen}
            raise AssertionError(f"the fake cannot fill a modal component of type {comp['type']}")

        components = []
        for comp in modal["components"]:
            if comp["type"] == 18:
                components.append({"type": 18, "id": comp.get("id", 0), "component": submitted(comp["component"])})
            elif comp["type"] == 1:
                components.append({"type": 1, "components": [submitted(c) for c in comp["components"]]})
        if remaining:
            raise AssertionError(f"the modal has no inputs {sorted(remaining)}")
        data = {"custom_id": modal["custom_id"], "components": components}
        return await self._send_interaction(MODAL_SUBMIT, user or ix.user, ix.channel, data, message=ix.message)

    async def click(
        self, user: FakeUser, message: FakeMessage, custom_id: str, *, values: list[str] | None = None
    ) -> FakeInteraction:
        """The user clicks a button (or picks ``values`` in a select) on ``message``."""
        current = self.messages.get(message.id, message)
        comp = current.component(custom_id)
        if comp is None:
            raise AssertionError(f"message {message.id} has no component {custom_id!r}: {current.custom_ids()}")
        if comp.get("disabled"):
            raise AssertionError(f"component {custom_id!r} is disabled")
        channel = self.guild.channels.get(current.channel_id)
        if channel is None:
            raise AssertionError("clicks in DMs are not modelled")
        if not self.guild.can_view(user.id, channel):
            raise AssertionError(f"{user.username} cannot see #{channel.name}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": comp["type"]}
        if comp["type"] == 3:
            options = [o["value"] for o in comp.get("options", [])]
            chosen = list(values or [])
            if any(v not in options for v in chosen) or not chosen:
                raise AssertionError(f"select {custom_id!r}: {chosen} not in {options}")
            data["values"] = chosen
        return await self._send_interaction(MESSAGE_COMPONENT, user, channel, data, message=current)

    async def send_message(
        self,
        user: FakeUser,
        channel: FakeChannel,
        content: str = "",
        *,
        attachments: Iterable[tuple[str, bytes, str]] = (),
    ) -> FakeMessage:
        """The user posts in a channel or thread (attachments: (filename, bytes, content type))."""
        if not self.guild.can_view(user.id, channel):
            raise AssertionError(f"{user.username} cannot see #{channel.name}")
        if channel.is_thread and channel.locked and not self.guild.permissions_of(user.id) & MANAGE_THREADS:
            raise AssertionError(f"{user.username} cannot post in locked thread {channel.name!r}")
        if channel.is_thread and channel.archived:
            channel.archived = False
            await self.dispatch("THREAD_UPDATE", channel.payload())
        files = []
        for filename, data, ctype in attachments:
            att_id = self.ids.next()
            files.append(
                FakeAttachment(
                    att_id, filename, len(data), ctype, f"{self.base_url}/attachments/{att_id}/{filename}", data
                )
            )
        message = self._new_message(channel, user, {"content": content}, files)
        self._append(channel, message)
        await self._dispatch_message("MESSAGE_CREATE", message)
        await self._add_mentioned_to_thread(channel, message)
        self._bump()
        return message


__all__ = ["ADMINISTRATOR", "PUBLIC_THREAD", "Call", "FakeDiscord"]
