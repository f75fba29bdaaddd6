"""The FastAPI application every HTTP surface of ticketbot mounts on (one server, one port).

``build_web_app`` wires what is configured: ``/healthz`` always, ``/slack/events`` when a Slack request
handler is given. The REST API and webhooks (later issues) add routers here.
"""

from __future__ import annotations

from typing import Protocol

from fastapi import FastAPI, Request, Response

SLACK_EVENTS_PATH = "/slack/events"


class SlackRequestHandler(Protocol):
    """What Bolt's ``slack_bolt.adapter.fastapi.async_handler.AsyncSlackRequestHandler`` offers (the Slack
    adapter passes a wrapper of it that also counts requests)."""

    async def handle(self, req: Request) -> Response: ...


def build_web_app(*, slack_handler: SlackRequestHandler | None = None) -> FastAPI:
    """Build the web app.

    Args:
        slack_handler: the Slack app's request handler for HTTP mode (``SlackAdapter.request_handler``, or
            Bolt's ``AsyncSlackRequestHandler``); ``None`` leaves ``/slack/events`` unmounted.

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
