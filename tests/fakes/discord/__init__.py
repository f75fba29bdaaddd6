"""A fake Discord server (REST v10 + JSON gateway) for end-to-end tests of the real discord.py bot."""

from .harness import running
from .interaction import FakeInteraction
from .limits import ApiError
from .server import Call, FakeDiscord
from .state import FakeChannel, FakeMessage, FakeUser

__all__ = ["ApiError", "Call", "FakeChannel", "FakeDiscord", "FakeInteraction", "FakeMessage", "FakeUser", "running"]
