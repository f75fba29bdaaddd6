"""A fake Slack for end-to-end tests of the real Bolt app.

server.py holds the server (its docstring lists every control), payloads.py and sender.py what Slack sends.
"""

from tests.fakes.slack.channels import SlackChannel
from tests.fakes.slack.identity import APP_ID, APP_TOKEN, BOT_ID, BOT_TOKEN, BOT_USER_ID, SIGNING_SECRET, TEAM_ID
from tests.fakes.slack.sender import Reply, SlackSender
from tests.fakes.slack.server import ApiCall, FakeSlack

__all__ = [
    "APP_ID",
    "APP_TOKEN",
    "BOT_ID",
    "BOT_TOKEN",
    "BOT_USER_ID",
    "SIGNING_SECRET",
    "TEAM_ID",
    "ApiCall",
    "FakeSlack",
    "Reply",
    "SlackChannel",
    "SlackSender",
]
