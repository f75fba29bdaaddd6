"""Reading Block Kit payloads in assertions."""

from __future__ import annotations

from typing import Any


def texts_of(obj: Any) -> list[str]:
    """Every ``text`` string of every text object in a payload (views, messages, blocks), in order."""
    found: list[str] = []
    if isinstance(obj, dict):
        if obj.get("type") in ("mrkdwn", "plain_text") and isinstance(obj.get("text"), str):
            found.append(obj["text"])
        for value in obj.values():
            found += texts_of(value)
    elif isinstance(obj, list):
        for value in obj:
            found += texts_of(value)
    return found
