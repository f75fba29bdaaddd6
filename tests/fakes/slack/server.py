"""A fake Slack: Web API under ``/api/<method>``, a ``response_url`` sink and a Socket Mode websocket.

It records every call (method, args, token), answers with payloads shaped like Slack's, enforces the rules
that bite real apps (tokens, single-use trigger ids that expire after 3 s, Block Kit limits, message
ownership for ``chat.update``, OAuth scopes, channel membership) and lets a test inject errors per method.
Unknown methods are recorded in ``unknown`` and answered ``unknown_method``; the ``fake_slack`` fixture
fails the test if any were called.

Tests do not sleep: ``await fake.wait_for("chat.update", channel=...)`` returns the first matching call,
past or future, because Bolt acks before listeners finish.

Always on (and invisible to apps that stay within their manifest):
- scopes: every answer carries ``x-oauth-scopes`` (``fake.scopes``, default: the bot scopes of manifest.yml)
  and ``x-accepted-oauth-scopes``; a method whose scope is not granted answers ``missing_scope`` with
  ``needed``/``provided`` (scopes.py); ``users.info`` omits the email without ``users:read.email``.
- conversations: ``add_channel(id, name, kind=..., is_member=False)`` makes ``conversations.info`` report
  ``is_member`` and posting answer ``not_in_channel`` (public) / ``channel_not_found`` (private), as Slack
  does without ``chat:write.public``; ``remove_channel(id)`` makes every method on it ``channel_not_found``.
  Unregistered channels behave like public channels the bot is in.
- files the modern way (files.py): ``files.getUploadURLExternal`` → POST the bytes to ``upload_url`` →
  ``files.completeUploadExternal`` shares them as a message, so ``files_upload_v2`` works end to end;
  ``file_bytes(file_id)`` reads back what was uploaded.

Opt-in:
- ``limit_channel_posts(per_second=1.0, burst=3)``: Slack's per-channel posting limit on
  ``chat.postMessage`` (429 + ``Retry-After`` + ``ratelimited``). ``posts(channel)`` lists the accepted
  posts of a channel in order (with or without the limit).
- ``inject_faults(rate_429=.., rate_500=.., methods=.., seed=..)``: a seeded fraction of calls answered 429
  (``ratelimited`` + ``Retry-After``) or 500 (``internal_error``), recorded with ``call.fault`` and changing
  nothing. ``fail(...)`` / ``rate_limit(...)`` script single errors instead.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.faults import SeededFaults
from tests.fakes.slack.blocks import MESSAGE_TEXT_MAX, validate_blocks, validate_view
from tests.fakes.slack.channels import SlackChannel
from tests.fakes.slack.errors import SlackError
from tests.fakes.slack.files import FileMethods
from tests.fakes.slack.identity import (
    APP_ID,
    APP_TOKEN,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
)
from tests.fakes.slack.post_limit import ChannelPostLimit
from tests.fakes.slack.scopes import APP_TOKEN_SCOPES, KIND_SCOPES, accepted_scopes, manifest_bot_scopes

TRIGGER_TTL = 3.0

_JSON_FIELDS = ("blocks", "attachments", "view", "metadata", "users", "files")


@dataclass
class ApiCall:
    """One request the fake received. ``response`` is what it answered.

    ``fault``: answered by ``inject_faults`` (429/500, nothing changed); ``limited``: refused by the
    per-channel posting limit.
    """

    method: str
    args: dict[str, Any]
    token: str | None
    at: float
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    fault: bool = False
    limited: bool = False

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


class FakeSlack(FileMethods):
    """The fake server. ``await FakeSlack().start()``; ``api_url`` ends in ``/api/`` like Slack's."""

    def __init__(
        self,
        *,
        bot_token: str = BOT_TOKEN,
        app_token: str = APP_TOKEN,
        strict_triggers: bool = True,
        scopes: Iterable[str] | None = None,
    ) -> None:
        """``strict_triggers=False`` accepts any trigger id (for a load generator in another process);
        ``scopes``: the bot token's granted scopes (default: manifest.yml's bot scopes)."""
        super().__init__()
        self.bot_token = bot_token
        self.scopes: set[str] = set(manifest_bot_scopes() if scopes is None else scopes)
        self.channels: dict[str, SlackChannel] = {}
        self._removed_channels: set[str] = set()
        self._posts: dict[str, list[dict[str, Any]]] = {}
        self._post_limit: ChannelPostLimit | None = None
        self._faults: SeededFaults | None = None
        self._fault_retry_after = 1
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
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/files/{file_id}/{name}", self._download)
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

    def add_channel(
        self,
        channel_id: str,
        name: str | None = None,
        *,
        kind: str = "public",
        is_member: bool = True,
        is_archived: bool = False,
    ) -> SlackChannel:
        """Register a conversation (``kind``: public, private, im, mpim) and whether the bot is in it."""
        channel = SlackChannel(channel_id, name or channel_id.lower(), kind, is_member, is_archived)
        self.channels[channel_id] = channel
        self._removed_channels.discard(channel_id)
        return channel

    def remove_channel(self, channel_id: str) -> None:
        """The channel no longer exists (deleted, or a mistyped id): every method on it → ``channel_not_found``."""
        self.channels.pop(channel_id, None)
        self._removed_channels.add(channel_id)

    def channel_info(self, channel_id: str) -> SlackChannel:
        """The registered conversation, or the implicit one (public, bot is a member)."""
        return self.channels.get(channel_id) or SlackChannel.implicit(channel_id)

    def limit_channel_posts(self, per_second: float = 1.0, *, burst: int = 3, retry_after: int | None = None) -> None:
        """Enforce Slack's per-channel posting limit on ``chat.postMessage`` from now on (see post_limit.py).

        ``retry_after`` fixes the ``Retry-After`` header (e.g. 0 for fast tests); by default it is the real wait
        rounded up to whole seconds, at least 1, as Slack sends it.
        """
        self._post_limit = ChannelPostLimit(per_second, burst, retry_after)

    def unlimit_channel_posts(self) -> None:
        self._post_limit = None

    def inject_faults(
        self,
        *,
        rate_429: float = 0.0,
        rate_500: float = 0.0,
        methods: Iterable[str] | None = None,
        seed: int = 0,
        retry_after: int = 1,
    ) -> SeededFaults:
        """Answer a seeded fraction of calls (to ``methods``, default all) with 429 or 500, changing nothing.

        429: ``{"ok": false, "error": "ratelimited"}`` + ``Retry-After: <retry_after>``; 500:
        ``{"ok": false, "error": "internal_error"}``. Faulted calls have ``call.fault``. Returns the injector
        (``.drawn`` counts the faults per status). ``clear_faults()`` stops it.
        """
        self._faults = SeededFaults.build(rate_429, rate_500, methods, seed)
        self._fault_retry_after = retry_after
        return self._faults

    def clear_faults(self) -> None:
        self._faults = None

    def posts(self, channel: str, *, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Messages accepted by ``chat.postMessage`` in ``channel`` (top level and threads), in acceptance order.

        ``thread_ts`` keeps the replies of one thread. The dicts are the stored messages (later edits show).
        """
        posted = self._posts.get(channel, [])
        return posted if thread_ts is None else [m for m in posted if m.get("thread_ts") == thread_ts]

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
            auth_error = self._check_token(method, token)
            if not auth_error:
                headers.update(self._scope_headers(method, args, token))
            fault = self._faults.draw(method) if self._faults is not None and failure is None else None
            if failure is not None:
                call.status = failure.status
                call.response = {"ok": False, "error": failure.error}
                if failure.retry_after is not None:
                    headers["Retry-After"] = str(failure.retry_after)
            elif fault is not None:
                call.status, call.fault = fault, True
                call.response = {"ok": False, "error": "ratelimited" if fault == 429 else "internal_error"}
                if fault == 429:
                    headers["Retry-After"] = str(self._fault_retry_after)
            elif auth_error:
                call.response = {"ok": False, "error": auth_error}
            else:
                try:
                    self._check_scopes(method, args)
                    call.response = {"ok": True, **handler(args)}
                except SlackError as err:
                    call.response = {"ok": False, "error": err.code, **err.extra}
                    call.status = err.status
                    call.limited = err.code == "ratelimited"
                    headers.update(err.headers)
        await self._record(call)
        return web.json_response(call.response, status=call.status, headers=headers)

    def _scope_headers(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, str]:
        granted = APP_TOKEN_SCOPES if token == self.app_token else self.scopes
        return {
            "x-oauth-scopes": ",".join(sorted(granted)),
            "x-accepted-oauth-scopes": ",".join(accepted_scopes(method, self._kind_for(method, args))),
        }

    def _kind_for(self, method: str, args: dict[str, Any]) -> str | None:
        channel = args.get("channel")
        if method not in KIND_SCOPES or not channel:
            return None
        channel = str(channel)
        return self.channel_info("D" + channel[1:] if channel[:1] in "UW" else channel).kind

    def _check_scopes(self, method: str, args: dict[str, Any]) -> None:
        if method == "apps.connections.open":
            return
        accepted = accepted_scopes(method, self._kind_for(method, args))
        if accepted and not self.scopes.intersection(accepted):
            raise SlackError("missing_scope", needed=",".join(accepted), provided=",".join(sorted(self.scopes)))

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

    def _channel(self, args: dict[str, Any], key: str = "channel") -> str:
        channel = args.get(key)
        if not channel:
            raise SlackError("channel_not_found")
        channel = str(channel)
        if channel.startswith(("U", "W")):  # posting to a user id posts into the DM with them
            channel = "D" + channel[1:]
        if channel in self._removed_channels:
            raise SlackError("channel_not_found")
        return channel

    def _member_of(self, channel_id: str, *, posting: bool = False) -> SlackChannel:
        """The conversation, if the bot may act in it: Slack hides private ones it is not in, and refuses
        public ones with ``not_in_channel`` (posting there needs ``chat:write.public``)."""
        channel = self.channel_info(channel_id)
        if not channel.is_member:
            if channel.kind != "public":
                raise SlackError("channel_not_found")
            if not (posting and "chat:write.public" in self.scopes):
                raise SlackError("not_in_channel")
        if posting and channel.is_archived:
            raise SlackError("is_archived")
        return channel

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
        self._member_of(channel, posting=True)
        if not ephemeral and self._post_limit is not None:
            retry_after = self._post_limit.take(channel)
            if retry_after is not None:
                raise SlackError("ratelimited", status=429, headers={"Retry-After": str(retry_after)})
        text = args.get("text")
        blocks = args.get("blocks")
        if not text and not blocks:
            raise SlackError("no_text")
        if text is not None and len(str(text)) > MESSAGE_TEXT_MAX:
            raise SlackError("msg_too_long")
        if blocks is not None:
            problems = validate_blocks(blocks, "message")
            if problems:
                raise SlackError("invalid_blocks", errors=problems)
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
        if args.get("metadata"):
            message["metadata"] = args["metadata"]
        if not ephemeral:
            self._store(channel, message)
            self._posts.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": ts, "message": message}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._post(args)

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("user"):
            raise SlackError("user_not_in_channel")
        return {"message_ts": self._post(args, ephemeral=True)["ts"]}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        try:
            message = self.message(channel, str(args.get("ts")))
        except KeyError:
            raise SlackError("message_not_found") from None
        if message.get("bot_id") != BOT_ID:
            raise SlackError("cant_update_message")
        blocks = args.get("blocks")
        if blocks is not None:
            problems = validate_blocks(blocks, "message")
            if problems:
                raise SlackError("invalid_blocks", errors=problems)
            message["blocks"] = blocks
        if args.get("text") is not None:
            if len(str(args["text"])) > MESSAGE_TEXT_MAX:
                raise SlackError("msg_too_long")
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
            raise SlackError("users_list_not_supplied")
        first = str(users).split(",")[0]
        return {"channel": {"id": "D" + first[1:]}, "no_op": True, "already_open": True}

    def _m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        info = self.channel_info(channel)
        if info.kind != "public" and info.kind != "im" and not info.is_member:
            raise SlackError("channel_not_found")
        return {"channel": info.payload(TEAM_ID, creator=BOT_USER_ID)}

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        self._member_of(channel)
        ts = str(args.get("ts", ""))
        items = [m for m in self._messages.get(channel, []) if m["ts"] == ts or m.get("thread_ts") == ts]
        if not items:
            raise SlackError("thread_not_found")
        return _page(items, args)

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        self._member_of(channel)
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
        self._member_of(channel)
        ts = str(args.get("timestamp", ""))
        try:
            self.message(channel, ts)
        except KeyError:
            raise SlackError("message_not_found") from None
        name = str(args.get("name", "")).strip(":")
        if not name:
            raise SlackError("invalid_name")
        reactions = self._reactions.setdefault((channel, ts), set())
        if (name, BOT_USER_ID) in reactions:
            raise SlackError("already_reacted")
        reactions.add((name, BOT_USER_ID))
        return {}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user", ""))
        if not user_id.startswith(("U", "W")):
            raise SlackError("user_not_found")
        if user_id not in self.users:
            self.add_user(user_id, f"user-{user_id.lower()}")
        user = self.users[user_id]
        if "users:read.email" not in self.scopes:  # Slack leaves the email out without this scope
            user = {**user, "profile": {k: v for k, v in user["profile"].items() if k != "email"}}
        return {"user": user}

    def _m_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup", ""))
        if group not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": self.usergroups[group]}

    def _use_trigger(self, args: dict[str, Any]) -> None:
        trigger = args.get("trigger_id")
        if not self.strict_triggers and trigger:
            return
        issued = self._triggers.pop(str(trigger), None)
        if issued is None:
            raise SlackError("invalid_trigger_id")
        if time.monotonic() - issued > TRIGGER_TTL:
            raise SlackError("expired_trigger_id")

    def _view_result(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        problems = validate_view(view)
        if problems:
            raise SlackError("invalid_arguments", response_metadata={"messages": problems})
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
            raise SlackError("not_found")
        return self._view_result(args.get("view") or {}, view_id=str(view_id))

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user_id", ""))
        if not user_id.startswith(("U", "W")):
            raise SlackError("invalid_arguments")
        view = args.get("view") or {}
        if view.get("type") != "home":
            raise SlackError("invalid_arguments", response_metadata={"messages": ["view.type must be home"]})
        result = self._view_result(view)
        self.home[user_id] = result["view"]
        return result


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
