"""A fake Slack for end-to-end tests of the real Bolt app (see server.py, payloads.py, sender.py)."""

from tests.fakes.slack.sender import Reply, SlackSender
from tests.fakes.slack.server import (
    APP_ID,
    APP_TOKEN,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    TEAM_ID,
    ApiCall,
    FakeSlack,
)

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
    "SlackSender",
]
