"""Slack adapter: staff work tickets inside Slack (see app.py for the wiring, render/ for Block Kit)."""

from adapters.slack.app import SlackAdapter, build_slack
from adapters.slack.notifier import SlackNotifier

__all__ = ["SlackAdapter", "SlackNotifier", "build_slack"]
