"""A fake Discord (REST v10 + JSON gateway) that a real discord.py bot logs in to.

Start it, point the bot's REST base at ``fake.api_url`` and its gateway at ``fake.gateway_url``, then
drive it like a user would: ``slash``, ``autocomplete``, ``submit_modal``, ``click``, ``send_message``.

Rules it enforces like Discord: the initial interaction response within 3 s (later → 404 10062) and
only once (again → 400 40060); message/embed/component/modal limits (400 50035); private-thread
membership by mention; archived/locked threads. Every REST call is recorded in ``calls``; unknown routes
land in ``unknown_routes`` (answered 404) and rule breaks in ``violations`` — the test fixture fails on
either. Optional: a global limit of N requests/s (429 with ``retry_after`` and ``global``; interaction
callbacks and interaction webhooks exempt) and injected errors per route (``inject``).

Controls for failure and ``doctor`` tests (all off or Discord-like by default):
- ``inject_faults(rate_429=.., rate_500=.., routes=.., seed=..)``: a seeded fraction of REST calls answered
  429 (Discord's body with ``retry_after``/``global`` and the ``X-RateLimit-*`` headers) or 500, changing
  nothing (``call.fault``); discord.py retries both by itself. Default routes: all but the interaction
  callbacks/webhooks (a retried callback could miss the 3 s window). ``clear_faults()`` stops it.
- ``await gateway_outage(refuse="identify"|"connect")`` closes every gateway session (code 4000, which
  discord.py resumes) and then holds IDENTIFY/RESUME unanswered ("identify": quiet, no backoff) or answers
  the websocket upgrade with 503 ("connect": discord.py logs ERROR "Attempting a reconnect in …" and backs
  off 0-2 s, 0-4 s, …); ``await end_gateway_outage()`` answers what was held and accepts again. Events
  dispatched during the outage are lost (no replay on RESUME).
- ``await revoke_token()``: the bot's token stops working: REST answers 401 (a new login raises
  ``LoginFailure``) and live sessions are closed with 4004 (``bot.start`` raises ``ConnectionClosed``).
- ``application_flags`` (constructor or attribute; gateway.py has the names): what
  ``/oauth2/applications/@me`` and READY report, and which privileged intents IDENTIFY accepts (else 4014).
- permissions (state.py resolves them like Discord): ``set_bot_permissions(perms, channel=None)``,
  ``set_role_permissions(role, perms)``, ``set_overwrite(channel, role_or_user, allow=, deny=)``, and
  ``bot_permissions(channel)``; the running bot gets GUILD_ROLE_UPDATE / CHANNEL_UPDATE. The fake enforces
  Send Messages (in Threads), Attach Files, Pin Messages, Create Private Threads and Manage Threads.

Layout: this module holds the state, lifecycle and REST plumbing; ``rest.py`` the route handlers,
``drivers.py`` the user actions, ``gateway.py`` the websocket, ``limits.py`` Discord's validation rules.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ..faults import SeededFaults
from .drivers import UserDrivers
from .gateway import APPLICATION_COMMAND_BADGE, GATEWAY_MESSAGE_CONTENT_LIMITED, GatewaySession, Identify
from .interaction import FakeInteraction
from .limits import ApiError
from .rest import RestApi
from .state import (
    ALL_PERMISSIONS,
    ATTACH_FILES,
    CREATE_PRIVATE_THREADS,
    EMBED_LINKS,
    GUILD_TEXT,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    MEMBER_OVERWRITE,
    PIN_MESSAGES,
    READ_MESSAGE_HISTORY,
    ROLE_OVERWRITE,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeOverwrite,
    FakeRole,
    FakeUser,
    Snowflakes,
)

API_PREFIX = "/api/v10"
JSON = "application/json"  # exactly: discord.py compares the header with ==
#: what @everyone may do in the fake guild
EVERYONE_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | SEND_MESSAGES_IN_THREADS
#: what the bot's own role grants by default (what the README asks an admin to give it)
DEFAULT_BOT_PERMISSIONS = (
    MANAGE_THREADS | CREATE_PRIVATE_THREADS | MANAGE_MESSAGES | PIN_MESSAGES | ATTACH_FILES | EMBED_LINKS
)

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
    response: Any = None  # the JSON body answered
    fault: bool = False  # answered by inject_faults (429/500); changed nothing
    headers: dict[str, str] = field(default_factory=dict)  # the answer's headers

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
class FakeDiscord(RestApi, UserDrivers):
    token: str = "fake-bot-token"
    global_limit: int | None = None  # requests per second, None = off
    heartbeat_interval_ms: int = 41_250
    max_active_threads: int = 1000
    application_flags: int = GATEWAY_MESSAGE_CONTENT_LIMITED | APPLICATION_COMMAND_BADGE
    gateway_refusing: str | None = None  # during gateway_outage: "identify" or "connect"

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
        self.owner = FakeUser(self.ids.next(), "owner", "Guild Owner")
        self.bot_user = FakeUser(self.ids.next(), "ticketbot", "ticketbot", bot=True)
        self.application_id = self.bot_user.id
        guild_id = self.ids.next()
        self.guild = FakeGuild(id=guild_id, name="Community", owner_id=self.owner.id)
        self.guild.roles[guild_id] = FakeRole(guild_id, "@everyone", EVERYONE_PERMISSIONS)
        self.staff_role = self._add_role("Support", MANAGE_THREADS | MANAGE_MESSAGES, position=2)
        self.bot_role = self._add_role("ticketbot", DEFAULT_BOT_PERMISSIONS, position=3)
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
        self._faults: SeededFaults | None = None
        self.refused_connections = 0  # websocket upgrades answered 503 during gateway_outage(refuse="connect")
        self._fault_retry_after = 0.05
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

    def inject_faults(
        self,
        *,
        rate_429: float = 0.0,
        rate_500: float = 0.0,
        routes: list[str] | None = None,
        seed: int = 0,
        retry_after: float = 0.05,
    ) -> SeededFaults:
        """Answer a seeded fraction of REST calls with 429 (``retry_after`` s, route scope) or 500.

        ``routes``: keys like ``"POST /channels/{channel_id}/messages"``; None = every route except the
        interaction callbacks and webhooks. Returns the injector (``.drawn`` counts faults per status).
        """
        self._faults = SeededFaults.build(rate_429, rate_500, routes, seed)
        self._fault_retry_after = retry_after
        return self._faults

    def clear_faults(self) -> None:
        self._faults = None

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

    async def gateway_outage(self, *, refuse: str = "identify", close_code: int = 4000) -> None:
        """Drop every gateway session and refuse new ones until ``end_gateway_outage`` (see the docstring)."""
        if refuse not in ("identify", "connect"):
            raise ValueError('refuse must be "identify" or "connect"')
        self.gateway_refusing = refuse
        for session in list(self.sessions):
            await session.ws.close(code=close_code, message=b"gateway outage")
        self._bump()

    async def end_gateway_outage(self) -> None:
        """Accept connections again and answer the IDENTIFY/RESUME held meanwhile."""
        self.gateway_refusing = None
        for session in list(self.sessions):
            await session.release()
        self._bump()

    async def revoke_token(self) -> str:
        """The bot's token stops working (reset in the developer portal); returns the new valid token."""
        self.token = f"{self.token}-reset"
        for session in list(self.sessions):
            await session.ws.close(code=4004, message=b"Authentication failed.")
        self._bump()
        return self.token

    # ---------------------------------------------------------------- permissions
    def bot_permissions(self, channel: FakeChannel) -> int:
        """The bot's permissions in ``channel`` as the fake resolves (and enforces) them."""
        return self.guild.permissions_in(self.bot_user.id, channel)

    async def set_role_permissions(self, role: FakeRole, permissions: int) -> None:
        role.permissions = permissions
        await self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(self.guild.id), "role": role.payload()})

    async def set_overwrite(
        self, channel: FakeChannel, target: FakeRole | FakeUser, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Set (replace) the channel's overwrite for a role (the guild id's role = @everyone) or a member."""
        if channel.is_thread or channel.guild_id is None:
            raise ValueError("threads and DMs have no permission overwrites (threads use their parent's)")
        kind = ROLE_OVERWRITE if isinstance(target, FakeRole) else MEMBER_OVERWRITE
        channel.overwrites = [o for o in channel.overwrites if not (o.id == target.id and o.type == kind)]
        if allow or deny:
            channel.overwrites.append(FakeOverwrite(target.id, kind, allow, deny))
        await self.dispatch("CHANNEL_UPDATE", channel.payload())

    async def set_bot_permissions(self, permissions: int, channel: FakeChannel | None = None) -> None:
        """Make the bot's permissions exactly ``permissions`` in ``channel`` (and its threads), or in every text
        channel (its role then grants exactly these too): a member overwrite allows them and denies the rest,
        so @everyone's grants do not leak in. E.g. ``DEFAULT_BOT_PERMISSIONS & ~PIN_MESSAGES | VIEW_CHANNEL …``.
        """
        if channel is None:
            await self.set_role_permissions(self.bot_role, permissions)
            targets = [c for c in self.guild.channels.values() if not c.is_thread]
        else:
            targets = [channel]
        for target in targets:
            await self.set_overwrite(target, self.bot_user, allow=permissions, deny=ALL_PERMISSIONS & ~permissions)

    async def ask_to_reconnect(self) -> None:
        """Send RECONNECT (op 7) to every session, as Discord does before moving a bot to another node."""
        for session in list(self.ready_sessions):
            await session.send({"op": 7, "d": None})

    def problems(self) -> list[str]:
        """Unknown routes and rule violations, for the test fixture."""
        found = [f"unknown route: {r}" for r in self.unknown_routes]
        found += [v for v in self.violations if not any(f"code {c}" in v for c in self.allowed_codes)]
        return found

    # ---------------------------------------------------------------- gateway
    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if self.gateway_refusing == "connect":
            self.refused_connections += 1
            self._bump()
            return web.Response(status=503, text="gateway unavailable")
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
                faulted = self._draw_fault(call)
                if faulted is not None:
                    return faulted
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
        call.status, call.response = status, data
        headers = {"Content-Type": JSON}
        if status == 429:
            headers["Via"] = "1.1 google"  # without it discord.py assumes a Cloudflare ban
            headers["Retry-After"] = str(data.get("retry_after", 0))
            if data.get("global"):
                headers["X-RateLimit-Global"] = "true"
            else:  # a route bucket ran out: Discord names it and says when it refills
                retry = float(data.get("retry_after", 0))
                headers["X-RateLimit-Limit"] = "5"
                headers["X-RateLimit-Remaining"] = "0"
                headers["X-RateLimit-Reset"] = f"{time.time() + retry:.3f}"
                headers["X-RateLimit-Reset-After"] = f"{retry:.3f}"
                headers["X-RateLimit-Bucket"] = hashlib.md5(call.route.encode()).hexdigest()
            headers["X-RateLimit-Scope"] = "global" if data.get("global") else "user"
        call.headers = headers
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

    def _draw_fault(self, call: Call) -> web.Response | None:
        if self._faults is None or (call.exempt and self._faults.targets is None):
            return None
        status = self._faults.draw(call.key)
        if status is None:
            return None
        call.fault = True
        if status == 429:
            body = {"message": "You are being rate limited.", "retry_after": self._fault_retry_after, "global": False}
            return self._respond(call, 429, body)
        return self._respond(call, 500, {"message": "500: Internal Server Error", "code": 0})

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


__all__ = ["Call", "FakeDiscord"]
