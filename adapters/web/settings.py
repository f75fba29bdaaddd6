"""The web server's section (``TICKETBOT_HTTP__*``); imports no web framework."""

from __future__ import annotations

from pydantic import Field

from core.config import Section


class HttpSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
