"""The FastAPI application every HTTP surface of ticketbot mounts on (one server, one port).

``build_web_app`` wires what is configured: ``/healthz`` always, ``/slack/events`` when a Slack request
handler is given. The REST API and webhooks (later issues) add routers here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response

if TYPE_CHECKING:
    from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

SLACK_EVENTS_PATH = "/slack/events"


def build_web_app(*, slack_handler: AsyncSlackRequestHandler | None = None) -> FastAPI:
    """Build the web app.

    Args:
        slack_handler: Bolt's request handler for the Slack app (HTTP mode); ``None`` leaves
            ``/slack/events`` unmounted (Slack off, or Socket Mode).

    Returns:
        The FastAPI app, to be served by uvicorn (see ``adapters.web.server.WebServer``).
    """
    app = FastAPI(title="ticketbot", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if slack_handler is not None:
        handler = slack_handler

        # Bolt reads the raw body itself (the signature covers it), so the route takes the bare Request.
        @app.post(SLACK_EVENTS_PATH)
        async def slack_events(request: Request) -> Response:
            return await handler.handle(request)

    return app
