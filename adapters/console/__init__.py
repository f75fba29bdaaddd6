"""A terminal chat with the same ``/ticket`` grammar as Slack: the quickest way to try ticketbot, and the
harness for end-to-end tests of the core."""

from adapters.console.session import ConsoleNotifier, ConsoleSession

__all__ = ["ConsoleNotifier", "ConsoleSession"]
