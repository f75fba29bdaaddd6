"""The FastAPI application every HTTP surface of ticketbot mounts on (one server, one port).

``build_web_app`` wires what is configured: ``/healthz`` always; ``/readyz`` and ``/metrics`` with the
services; ``/slack/events`` when a Slack request handler is given; the REST API (``/api/v1``, with
``/openapi.json``) when tokens are configured, else every ``/api`` path answers 404; the webhooks (``/hooks``)
when a secret is configured. Every error has the shape ``{"error": {"code", "message"}}`` (errors.py); bodies
over 1 MiB and non-JSON bodies are refused before any route parses them (guard.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from adapters.web import errors
from adapters.web.guard import MAX_BODY, RequestGuard
from core.desk import Desk
from core.health import HealthBoard
from core.operations import Snapshot
from core.rules import AutoTickets

SLACK_EVENTS_PATH = "/slack/events"
API_DESCRIPTION = """Support tickets over HTTP: the same commands as Slack, Discord and the CLI.

Authenticate with `Authorization: Bearer <token>` (one of `TICKETBOT_API_TOKENS`). Errors are
`{"error": {"code", "message"}}`. Webhooks under `/hooks` are signed with `TICKETBOT_WEBHOOK_SECRET` instead."""


class SlackRequestHandler(Protocol):
    """What Bolt's ``slack_bolt.adapter.fastapi.async_handler.AsyncSlackRequestHandler`` offers (the Slack
    adapter passes a wrapper of it that also counts requests)."""

    async def handle(self, req: Request) -> Response: ...


@dataclass
class WebServices:
    """What the web server serves beyond Slack's events (built by the composition root).

    ``readiness`` answers what keeps this process from being ready besides the adapters (the database:
    reachable and migrated), as a list of reasons; ``snapshot`` reads the figures of ``/metrics``.
    """

    desk: Desk
    auto: AutoTickets | None = None
    board: HealthBoard | None = None
    api_tokens: Sequence[str] = ()
    webhook_secret: str | None = None
    readiness: Callable[[], Awaitable[list[str]]] | None = None
    snapshot: Callable[[], Awaitable[Snapshot]] | None = None
    max_body: int = MAX_BODY
    version: str = "0"


def build_web_app(*, slack_handler: SlackRequestHandler | None = None, services: WebServices | None = None) -> FastAPI:
    """Build the web app.

    Args:
        slack_handler: the Slack app's request handler for HTTP mode (``SlackAdapter.request_handler``, or
            Bolt's ``AsyncSlackRequestHandler``); ``None`` leaves ``/slack/events`` unmounted.
        services: the desk and what the API, webhooks, readiness and metrics need; ``None`` serves only
            ``/healthz`` (and Slack's events).

    Returns:
        The FastAPI app, to be served by uvicorn (see ``adapters.web.server.WebServer``).
    """
    api_on = services is not None and bool(services.api_tokens)
    hooks_on = services is not None and bool(services.webhook_secret) and services.auto is not None
    app = FastAPI(
        title="ticketbot",
        version=services.version if services else "0",
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if api_on or hooks_on else None,
    )
    errors.install(app)
    metrics = None

    @app.get("/healthz", tags=["operations"], summary="Alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if services is not None:
        metrics = _operations(app, services)
        if api_on:
            from adapters.web.api import build_api
            from adapters.web.auth import BearerTokens

            app.include_router(build_api(services.desk, BearerTokens(services.api_tokens)))
        if hooks_on:
            from adapters.web.hooks import HOOK_BODIES, build_hooks

            assert services.auto is not None and services.webhook_secret is not None
            app.include_router(build_hooks(services.auto, services.webhook_secret))
            _describe_bodies(app, list(HOOK_BODIES.values()))

    if slack_handler is not None:
        handler = slack_handler

        # Bolt reads the raw body itself (the signature covers it), so the route takes the bare Request.
        @app.post(SLACK_EVENTS_PATH, include_in_schema=False)
        async def slack_events(request: Request) -> Response:
            return await handler.handle(request)

    app.add_middleware(
        RequestGuard,
        max_body=services.max_body if services else MAX_BODY,
        json_prefixes=("/api/", "/hooks/"),
        observe=metrics.observe if metrics is not None else None,
    )
    return app


def _operations(app: FastAPI, services: WebServices) -> Any:
    """``/readyz`` and ``/metrics``."""
    board = services.board

    @app.get("/readyz", tags=["operations"], summary="Ready: database migrated, every adapter connected",
             responses={503: {"description": "Not ready; `problems` says why"}})  # fmt: skip
    async def readyz() -> JSONResponse:
        problems = list(await services.readiness()) if services.readiness is not None else []
        if board is not None:
            problems += board.problems()
        if problems:
            return JSONResponse({"status": "unready", "problems": problems}, status_code=503)
        return JSONResponse({"status": "ready", "problems": []})

    if services.snapshot is None:
        return None
    from adapters.web.metrics import CONTENT_TYPE, Metrics

    metrics = Metrics(services.snapshot, board)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response,
             responses={200: {"content": {CONTENT_TYPE: {}}}})  # fmt: skip
    async def prometheus() -> Response:
        return Response(await metrics.exposition(), media_type=CONTENT_TYPE)

    return metrics


def _describe_bodies(app: FastAPI, models: list[Any]) -> None:
    """Put request bodies that no route parses itself (the webhooks read raw bytes) into the OpenAPI document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            body = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, part in body.pop("$defs", {}).items():
                components.setdefault(name, part)
            components[model.__name__] = body
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
