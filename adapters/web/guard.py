"""Request guards that run before any route parses a body: size, media type, and the request-latency metric.

A plain ASGI middleware (not Starlette's ``BaseHTTPMiddleware``, which buffers): a declared
``Content-Length`` over the limit is answered 413 at once; a chunked body is counted as it streams and cut
off at the limit. Under the guarded prefixes (the API and the webhooks) a body must be JSON (415 otherwise).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.web.errors import error_response

MAX_BODY = 1024 * 1024  # 1 MiB
JSON_TYPES = ("application/json",)

Observe = Callable[[str, str, int, float], None]  # method, route template, status, seconds


class _TooLarge(HTTPException):
    """Raised while a route reads the body: FastAPI re-raises HTTP exceptions, so the app's handler answers."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is over {limit // 1024} KiB")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int = MAX_BODY,
        json_prefixes: Sequence[str] = (),
        observe: Observe | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.json_prefixes = tuple(json_prefixes)
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            refused = self._refusal(scope)
            if refused is not None:
                await refused(scope, receive, sending)
                return
            await self._guarded(scope, receive, sending)
        finally:
            if self.observe is not None:
                route = scope.get("route")
                template = getattr(route, "path", None) or "unmatched"
                self.observe(scope["method"], template, status["code"], time.perf_counter() - started)

    def _refusal(self, scope: Scope) -> Any:
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.max_body:
            return error_response(413, "too_large", f"the body is over {self.max_body // 1024} KiB")
        path = str(scope.get("path", ""))
        has_body = (length is not None and length.strip() not in ("", "0")) or _header(
            scope, b"transfer-encoding"
        ) is not None
        if has_body and path.startswith(self.json_prefixes) and not is_json(_header(scope, b"content-type")):
            return error_response(
                415, "unsupported_media_type", "send the body as JSON (Content-Type: application/json)"
            )
        return None

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        seen = 0
        started = False

        async def counting() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge(self.max_body)
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting, tracking)
        except _TooLarge:
            if started:
                raise
            response = error_response(413, "too_large", f"the body is over {self.max_body // 1024} KiB")
            await response(scope, receive, send)
