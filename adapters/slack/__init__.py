"""Slack adapter: staff work tickets inside Slack (see app.py for the wiring, render/ for Block Kit).

Entry point for bootstrap: ``adapters.slack.app.build_slack(settings, desk)``. This package's ``__init__``
imports nothing, so reading ``adapters.slack.settings`` never loads the Slack SDK.
"""
