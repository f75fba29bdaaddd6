"""Conversations the fake Slack knows: kind (public, private, im, mpim), membership of the bot, archived.

Channels nobody registered behave like a public channel the bot is in (``D…`` ids: a DM, ``G…``: a private
channel), so tests that never call ``add_channel`` see no difference.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

KINDS = ("public", "private", "im", "mpim")


@dataclass
class SlackChannel:
    id: str
    name: str
    kind: str = "public"
    is_member: bool = True
    is_archived: bool = False
    created: int = field(default_factory=lambda: int(time.time()))

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")

    @classmethod
    def implicit(cls, channel_id: str) -> SlackChannel:
        kind = "im" if channel_id.startswith("D") else "private" if channel_id.startswith("G") else "public"
        return cls(channel_id, channel_id.lower(), kind)

    def payload(self, team_id: str, creator: str) -> dict[str, Any]:
        """The ``channel`` object of ``conversations.info``."""
        data: dict[str, Any] = {
            "id": self.id,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_im": self.kind == "im",
            "is_mpim": self.kind == "mpim",
            "is_private": self.kind in ("private", "im", "mpim"),
            "context_team_id": team_id,
        }
        if self.kind == "im":
            return {**data, "user": "U" + self.id[1:], "is_open": True}
        return {
            **data,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": self.kind == "public",
            "is_group": self.kind == "private",
            "is_general": self.name == "general",
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": self.is_member,
            "creator": creator,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }
