"""Discord adapter: community users open and follow tickets in private threads (discord.py).

Entry point for bootstrap: ``build_discord(settings, desk) -> (bot, notifier)``.
"""

from adapters.discord.client import build_discord

__all__ = ["build_discord"]
