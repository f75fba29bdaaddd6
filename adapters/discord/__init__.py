"""Discord adapter: community users open and follow tickets in private threads (discord.py).

Entry point for bootstrap: ``adapters.discord.client.build_discord(settings, desk) -> (bot, notifier)``.
This package's ``__init__`` imports nothing, so reading ``adapters.discord.settings`` never loads discord.py.
"""
