"""OAuth scopes as the fake Slack grants and checks them.

The granted set defaults to the bot scopes of the repository's ``manifest.yml``, so a method the app calls
without declaring its scope there fails in the tests as it would in a real workspace (``missing_scope``).
Every Web API answer carries ``x-oauth-scopes`` (what the token has) and ``x-accepted-oauth-scopes`` (what
the method accepts), as Slack's do; a future ``doctor`` reads the first.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

MANIFEST = Path(__file__).resolve().parents[3] / "manifest.yml"

#: scopes of the app-level token (Socket Mode)
APP_TOKEN_SCOPES = frozenset({"connections:write"})

#: method → the scopes any one of which lets a bot token call it (methods absent here need none)
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "conversations.open": ("im:write", "mpim:write", "channels:manage", "groups:write"),
    "reactions.add": ("reactions:write",),
    "users.info": ("users:read",),
    "usergroups.users.list": ("usergroups:read",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
}

#: methods whose scope depends on the kind of conversation (public, private, im, mpim)
KIND_SCOPES: dict[str, dict[str, str]] = {
    "conversations.history": {
        "public": "channels:history",
        "private": "groups:history",
        "im": "im:history",
        "mpim": "mpim:history",
    },
    "conversations.replies": {
        "public": "channels:history",
        "private": "groups:history",
        "im": "im:history",
        "mpim": "mpim:history",
    },
    "conversations.info": {"public": "channels:read", "private": "groups:read", "im": "im:read", "mpim": "mpim:read"},
}


@cache
def manifest_bot_scopes() -> frozenset[str]:
    """The ``oauth_config.scopes.bot`` list of the repository's manifest.yml."""
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


def accepted_scopes(method: str, kind: str | None = None) -> tuple[str, ...]:
    """The scopes that let a bot call ``method`` (on a conversation of ``kind`` where that matters)."""
    if method in KIND_SCOPES:
        by_kind = KIND_SCOPES[method]
        return (by_kind[kind],) if kind in by_kind else tuple(dict.fromkeys(by_kind.values()))
    return METHOD_SCOPES.get(method, ())
