"""The ``ticketbot`` executable: answers ``--version`` before importing anything heavy, then the CLI."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"ticketbot {version('ticketbot')}")
        except PackageNotFoundError:
            print("ticketbot (not installed)")
        return
    from bot.cli import main as cli_main

    cli_main()
