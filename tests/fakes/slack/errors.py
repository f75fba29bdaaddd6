"""The error a fake Slack method raises to answer ``{"ok": false, "error": code, **extra}``."""

from __future__ import annotations

from typing import Any


class SlackError(Exception):
    """``status`` is the HTTP status (Slack answers most errors with 200); ``headers`` are added to the answer."""

    def __init__(self, code: str, *, status: int = 200, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.headers = headers or {}
        self.extra = extra
