"""A fake Discord server (REST v10 + JSON gateway) for end-to-end tests of the real discord.py bot."""

from .harness import running
from .interaction import FakeInteraction
from .limits import ApiError
from .server import DEFAULT_BOT_PERMISSIONS, EVERYONE_PERMISSIONS, Call, FakeDiscord
from .state import FakeChannel, FakeMessage, FakeRole, FakeUser

__all__ = [
    "DEFAULT_BOT_PERMISSIONS",
    "EVERYONE_PERMISSIONS",
    "ApiError",
    "Call",
    "FakeChannel",
    "FakeDiscord",
    "FakeInteraction",
    "FakeMessage",
    "FakeRole",
    "FakeUser",
    "running",
]
