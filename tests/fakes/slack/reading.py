"""Reading Block Kit payloads in assertions."""

from __future__ import annotations

from typing import Any


def texts_of(obj: Any, types: tuple[str, ...] = ("mrkdwn", "plain_text")) -> list[str]:
    """Every ``text`` string of every text object of ``types`` in a payload (views, messages, blocks), in order."""
    found: list[str] = []
    if isinstance(obj, dict):
        if obj.get("type") in types and isinstance(obj.get("text"), str):
            found.append(obj["text"])
        for value in obj.values():
            found += texts_of(value, types)
    elif isinstance(obj, list):
        for value in obj:
            found += texts_of(value, types)
    return found
