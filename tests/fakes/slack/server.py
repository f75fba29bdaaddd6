"""A fake Slack: Web API under ``/api/<method>``, a ``response_url`` sink and a Socket Mode websocket.

It records every call (method, args, token), answers with payloads shaped like Slack's, enforces the rules
that bite real apps (tokens, single-use trigger ids that expire after 3 s, Block Kit limits, message
ownership for ``chat.update``) and lets a test inject errors per method. Unknown methods are recorded in
``unknown`` and answered ``unknown_method``; the ``fake_slack`` fixture fails the test if any were called.

Tests do not sleep: ``await fake.wait_for("chat.update", channel=...)`` returns the first matching call,
past or future, because Bolt acks before listeners finish.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.slack.blocks import MESSAGE_TEXT_MAX, validate_blocks, validate_view

BOT_TOKEN = "xoxb-1-fake-bot-token"
APP_TOKEN = "xapp-1-fake-app-token"
SIGNING_SECRET = "fake-signing-secret-0123456789abcdef"
TEAM_ID = "T0FAKE"
TEAM_DOMAIN = "fake-team"
APP_ID = "A0FAKE"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
TRIGGER_TTL = 3.0

_JSON_FIELDS = ("blocks", "attachments", "view", "metadata", "users")


@dataclass
class ApiCall:
    """One request the fake received. ``response`` is what it answered."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok", True))

    def __getitem__(self, key: str) -> Any:
        return self.args[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.args.get(key, default)


@dataclass
class _Failure:
    method: str
    error: str
    times: int | None
    status: int
    retry_after: int | None
    match: dict[str, Any]


class FakeSlack:
    """The fake server. ``await FakeSlack().start()``; ``api_url`` ends in ``/api/`` like Slack's."""

    def __init__(self, *, bot_token: str = BOT_TOKEN, app_token: str = APP_TOKEN, strict_triggers: bool = True) -> None:
        """``strict_triggers=False`` accepts any trigger id (for a load generator in another process)."""
        self.bot_token = bot_token
        self.strict_triggers = strict_triggers
        self.app_token = app_token
        self.calls: list[ApiCall] = []
        self.unknown: list[ApiCall] = []
        self.problems: list[str] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.home: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._reactions: dict[tuple[str, str], set[tuple[str, str]]] = {}
        self._triggers: dict[str, float] = {}
        self._failures: list[_Failure] = []
        self._changed = asyncio.Condition()
        self._ts = itertools.count(1)
        self._ts_base = int(time.time())
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Socket Mode
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_ready = asyncio.Event()
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.acks: list[dict[str, Any]] = []
        self.socket_connections = 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_get("/socket/{key}", self._socket)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ test controls
    def response_url(self, key: str | None = None) -> str:
        """A fresh ``response_url`` whose posts are recorded as calls of method ``"response_url"``."""
        return f"{self.base_url}/response/{key or uuid.uuid4().hex[:12]}"

    def trigger_id(self) -> str:
        """A trigger id as Slack issues with an interaction: valid for 3 s, usable once."""
        trigger = f"{next(self._ids)}.{int(time.time())}.{uuid.uuid4().hex[:16]}"
        self._triggers[trigger] = time.monotonic()
        return trigger

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        email: str | None = None,
        tz: str = "Europe/Paris",
        is_bot: bool = False,
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name.lower().replace(" ", "."),
            "real_name": real_name or name,
            "tz": tz,
            "tz_offset": 3600,
            "is_bot": is_bot,
            "deleted": False,
            "profile": {
                "display_name": name,
                "real_name": real_name or name,
                "email": email,
                "team": TEAM_ID,
            },
        }

    def add_usergroup(self, group_id: str, users: list[str]) -> None:
        self.usergroups[group_id] = list(users)

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        thread_ts: str | None = None,
        files: list[dict[str, Any]] | None = None,
        bot_id: str | None = None,
    ) -> str:
        """Seed a message someone wrote (e.g. a thread a shortcut will import); returns its ts."""
        ts = self.next_ts()
        message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts, "team": TEAM_ID}
        if thread_ts:
            message["thread_ts"] = thread_ts
        if files:
            message["files"] = files
        if bot_id:
            message["bot_id"] = bot_id
        self._store(channel, message)
        return ts

    def next_ts(self) -> str:
        return f"{self._ts_base}.{next(self._ts):06d}"

    def fail(
        self,
        method: str,
        error: str,
        *,
        times: int | None = 1,
        status: int = 200,
        retry_after: int | None = None,
        **match: Any,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (``"*"`` = any) whose args match with ``error``.

        ``times=None`` fails forever. E.g. ``fail("chat.postMessage", "not_in_channel", channel="C1")``.
        """
        self._failures.append(_Failure(method, error, times, status, retry_after, match))

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int | None = 1, **match: Any) -> None:
        """Answer HTTP 429 with ``Retry-After`` like Slack's rate limiter."""
        self.fail(method, "ratelimited", times=times, status=429, retry_after=retry_after, **match)

    def clear_failures(self) -> None:
        self._failures.clear()

    def messages(self, channel: str, *, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Messages now in ``channel`` (top level), or in one thread (parent first)."""
        items = self._messages.get(channel, [])
        if thread_ts is None:
            return [m for m in items if m.get("thread_ts") in (None, m["ts"])]
        return [m for m in items if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        for m in self._messages.get(channel, []):
            if m["ts"] == ts:
                return m
        raise KeyError(f"no message {ts} in {channel}")

    def reactions(self, channel: str, ts: str) -> set[str]:
        return {name for name, _user in self._reactions.get((channel, ts), set())}

    def calls_to(self, method: str, where: Callable[[ApiCall], bool] | None = None, **match: Any) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method and self._matches(c, where, match)]

    async def wait_for(
        self,
        method: str,
        *,
        n: int = 1,
        timeout: float = 5.0,
        where: Callable[[ApiCall], bool] | None = None,
        **match: Any,
    ) -> ApiCall:
        """The ``n``-th call of ``method`` whose args match (past or future); fails after ``timeout``."""

        def found() -> list[ApiCall]:
            return self.calls_to(method, where, **match)

        try:
            async with asyncio.timeout(timeout):
                async with self._changed:
                    await self._changed.wait_for(lambda: len(found()) >= n)
        except TimeoutError:
            seen = [(c.method, _short(c.args)) for c in self.calls[-15:]]
            raise AssertionError(
                f"no call #{n} to {method} matching {match or ''} within {timeout}s; last calls: {seen}"
            ) from None
        return found()[n - 1]

    # ------------------------------------------------------------------ Socket Mode
    async def wait_socket_connected(self, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            await self._socket_ready.wait()

    async def socket_send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        ack_timeout: float = 3.0,
    ) -> dict[str, Any]:
        """Send one envelope (``events_api``, ``slash_commands`` or ``interactive``); return the ack.

        The ack must arrive within 3 s, as Slack requires.
        """
        await self.wait_socket_connected()
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": retry_reason,
        }
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        await self._sockets[-1].send_str(json.dumps(envelope))
        try:
            async with asyncio.timeout(ack_timeout):
                return await future
        except TimeoutError:
            raise AssertionError(f"{kind} envelope not acknowledged within {ack_timeout}s") from None

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self.socket_connections += 1
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": len(self._sockets),
                    "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        self._socket_ready.set()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                self.acks.append(data)
                future = self._acks.pop(data.get("envelope_id", ""), None)
                if future is not None and not future.done():
                    future.set_result(data)
                else:
                    self.problems.append(f"ack for an unknown envelope: {msg.data[:200]}")
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self._socket_ready.clear()
        return ws

    # ------------------------------------------------------------------ HTTP handlers
    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = ApiCall("response_url", {**body, "response_url": str(request.url)}, None, time.time())
        call.response = {"ok": True}
        await self._record(call)
        return web.json_response({"ok": True})

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _read_args(request)
        token = _token(request, args)
        call = ApiCall(method, args, token, time.time())
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        headers: dict[str, str] = {}
        if handler is None:
            call.response = {"ok": False, "error": "unknown_method"}
            call.status = 404
            self.unknown.append(call)
        else:
            failure = self._take_failure(call)
            if failure is not None:
                call.status = failure.status
                call.response = {"ok": False, "error": failure.error}
                if failure.retry_after is not None:
                    headers["Retry-After"] = str(failure.retry_after)
            else:
                auth_error = self._check_token(method, token)
                if auth_error:
                    call.response = {"ok": False, "error": auth_error}
                else:
                    try:
                        call.response = {"ok": True, **handler(args)}
                    except _SlackError as err:
                        call.response = {"ok": False, "error": err.code, **err.extra}
        await self._record(call)
        return web.json_response(call.response, status=call.status, headers=headers)

    async def _record(self, call: ApiCall) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _take_failure(self, call: ApiCall) -> _Failure | None:
        for failure in self._failures:
            if failure.method in (call.method, "*") and self._matches(call, None, failure.match):
                if failure.times is not None:
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                return failure
        return None

    def _check_token(self, method: str, token: str | None) -> str | None:
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if not token:
            return "not_authed"
        if token != expected:
            return "invalid_auth"
        return None

    @staticmethod
    def _matches(call: ApiCall, where: Callable[[ApiCall], bool] | None, match: dict[str, Any]) -> bool:
        if any(call.args.get(k) != v for k, v in match.items()):
            return False
        return where is None or bool(where(call))

    def _store(self, channel: str, message: dict[str, Any]) -> None:
        self._messages.setdefault(channel, []).append(message)
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != message["ts"]:
            try:
                parent = self.message(channel, thread_ts)
            except KeyError:
                return
            parent["thread_ts"] = thread_ts
            parent["reply_count"] = parent.get("reply_count", 0) + 1

    def _channel(self, args: dict[str, Any]) -> str:
        channel = args.get("channel")
        if not channel:
            raise _SlackError("channel_not_found")
        if channel.startswith(("U", "W")):  # posting to a user id posts into the DM with them
            return "D" + channel[1:]
        return str(channel)

    # ------------------------------------------------------------------ Web API methods
    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Fake Team",
            "user": "ticketbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/socket/{uuid.uuid4().hex[:8]}?ticket=fake"}

    def _post(self, args: dict[str, Any], *, ephemeral: bool = False) -> dict[str, Any]:
        channel = self._channel(args)
        text = args.get("text")
        blocks = args.get("blocks")
        if not text and not blocks:
            raise _SlackError("no_text")
        if text is not None and len(str(text)) > MESSAGE_TEXT_MAX:
            raise _SlackError("msg_too_long")
        if blocks is not None:
            problems = validate_blocks(blocks, "message")
            if problems:
                raise _SlackError("invalid_blocks", errors=problems)
        ts = self.next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": text or "",
            "ts": ts,
            "team": TEAM_ID,
        }
        if blocks is not None:
            message["blocks"] = blocks
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        if not ephemeral:
            self._store(channel, message)
        return {"channel": channel, "ts": ts, "message": message}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._post(args)

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("user"):
            raise _SlackError("user_not_in_channel")
        return {"message_ts": self._post(args, ephemeral=True)["ts"]}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        try:
            message = self.message(channel, str(args.get("ts")))
        except KeyError:
            raise _SlackError("message_not_found") from None
        if message.get("bot_id") != BOT_ID:
            raise _SlackError("cant_update_message")
        blocks = args.get("blocks")
        if blocks is not None:
            problems = validate_blocks(blocks, "message")
            if problems:
                raise _SlackError("invalid_blocks", errors=problems)
            message["blocks"] = blocks
        if args.get("text") is not None:
            if len(str(args["text"])) > MESSAGE_TEXT_MAX:
                raise _SlackError("msg_too_long")
            message["text"] = args["text"]
        message["edited"] = {"user": BOT_USER_ID, "ts": self.next_ts()}
        return {"channel": channel, "ts": message["ts"], "text": message["text"], "message": message}

    def _m_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = str(args.get("message_ts", ""))
        return {
            "channel": channel,
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = args.get("users")
        if isinstance(users, list):
            users = ",".join(users)
        if not users:
            raise _SlackError("users_list_not_supplied")
        first = str(users).split(",")[0]
        return {"channel": {"id": "D" + first[1:]}, "no_op": True, "already_open": True}

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = str(args.get("ts", ""))
        items = [m for m in self._messages.get(channel, []) if m["ts"] == ts or m.get("thread_ts") == ts]
        if not items:
            raise _SlackError("thread_not_found")
        return _page(items, args)

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        items = self.messages(channel)
        latest, oldest = args.get("latest"), args.get("oldest")
        inclusive = str(args.get("inclusive", "0")) in ("1", "true", "True")

        def keep(m: dict[str, Any]) -> bool:
            ts = float(m["ts"])
            if latest is not None and (ts > float(latest) or (ts == float(latest) and not inclusive)):
                return False
            return not (oldest is not None and (ts < float(oldest) or (ts == float(oldest) and not inclusive)))

        return _page(sorted((m for m in items if keep(m)), key=lambda m: m["ts"], reverse=True), args)

    def _m_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = str(args.get("timestamp", ""))
        try:
            self.message(channel, ts)
        except KeyError:
            raise _SlackError("message_not_found") from None
        name = str(args.get("name", "")).strip(":")
        if not name:
            raise _SlackError("invalid_name")
        reactions = self._reactions.setdefault((channel, ts), set())
        if (name, BOT_USER_ID) in reactions:
            raise _SlackError("already_reacted")
        reactions.add((name, BOT_USER_ID))
        return {}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user", ""))
        if not user_id.startswith(("U", "W")):
            raise _SlackError("user_not_found")
        if user_id not in self.users:
            self.add_user(user_id, f"user-{user_id.lower()}")
        return {"user": self.users[user_id]}

    def _m_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup", ""))
        if group not in self.usergroups:
            raise _SlackError("no_such_subteam")
        return {"users": self.usergroups[group]}

    def _use_trigger(self, args: dict[str, Any]) -> None:
        trigger = args.get("trigger_id")
        if not self.strict_triggers and trigger:
            return
        issued = self._triggers.pop(str(trigger), None)
        if issued is None:
            raise _SlackError("invalid_trigger_id")
        if time.monotonic() - issued > TRIGGER_TTL:
            raise _SlackError("expired_trigger_id")

    def _view_result(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        problems = validate_view(view)
        if problems:
            raise _SlackError("invalid_arguments", response_metadata={"messages": problems})
        view_id = view_id or f"V{next(self._ids):08d}"
        stored = {
            **view,
            "id": view_id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "hash": uuid.uuid4().hex[:16],
            "state": {"values": {}},
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
        }
        self.views[view_id] = stored
        return {"view": stored}

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        self._use_trigger(args)
        return self._view_result(args.get("view") or {})

    def _m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        self._use_trigger(args)
        return self._view_result(args.get("view") or {})

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        if not view_id or view_id not in self.views:
            raise _SlackError("not_found")
        return self._view_result(args.get("view") or {}, view_id=str(view_id))

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user_id", ""))
        if not user_id.startswith(("U", "W")):
            raise _SlackError("invalid_arguments")
        view = args.get("view") or {}
        if view.get("type") != "home":
            raise _SlackError("invalid_arguments", response_metadata={"messages": ["view.type must be home"]})
        result = self._view_result(view)
        self.home[user_id] = result["view"]
        return result


class _SlackError(Exception):
    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def _page(items: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    limit = int(args.get("limit") or 100)
    start = int(str(args.get("cursor") or "offset:0").split(":")[1])
    page = items[start : start + limit]
    more = start + limit < len(items)
    return {
        "messages": page,
        "has_more": more,
        "response_metadata": {"next_cursor": f"offset:{start + limit}" if more else ""},
    }


async def _read_args(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            args.update(await request.json())
        else:
            args.update(dict(await request.post()))
    for key in _JSON_FIELDS:
        value = args.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            args[key] = json.loads(value)
    return args


def _token(request: web.Request, args: dict[str, Any]) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[len("Bearer ") :]
    token = args.pop("token", None)
    return str(token) if token else None


def _short(args: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v)[:60] if not isinstance(v, int | float | bool) else v) for k, v in args.items() if k != "blocks"}
