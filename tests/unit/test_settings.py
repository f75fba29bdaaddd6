"""Configuration names are a contract; a bad value is one readable line."""

from __future__ import annotations

import pytest

from bot.bootstrap import sla_policy
from bot.settings import SettingsError, load_settings
from core.model import Priority

pytestmark = pytest.mark.usefixtures("clean_env")


def test_defaults_need_no_configuration() -> None:
    s = load_settings()
    assert s.database_url == "sqlite+aiosqlite:///./ticketbot.db"
    assert (s.http.host, s.http.port) == ("127.0.0.1", 8080)
    assert not s.slack.enabled and not s.discord.enabled
    assert s.categories == ["Technical", "Billing", "General"]
    assert (s.digest.time, s.digest.timezone) == ("09:00", "UTC")


def test_contract_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "TICKETBOT_DATABASE_URL": "postgresql+asyncpg://u@h/db",
        "TICKETBOT_HTTP__HOST": "0.0.0.0",
        "TICKETBOT_HTTP__PORT": "9000",
        "TICKETBOT_API_TOKENS": "a,b",
        "TICKETBOT_WEBHOOK_SECRET": "s3cret",
        "TICKETBOT_SLACK__BOT_TOKEN": "xoxb-1",
        "TICKETBOT_SLACK__SIGNING_SECRET": "sig",
        "TICKETBOT_SLACK__API_URL": "http://127.0.0.1:1/api/",
        "TICKETBOT_SLACK__STAFF_CHANNEL": "C01",
        "TICKETBOT_SLACK__STAFF_USERS": '["U01", "U02"]',
        "TICKETBOT_SLACK__STAFF_USERGROUP": "S01",
        "TICKETBOT_DISCORD__TOKEN": "tok",
        "TICKETBOT_DISCORD__API_URL": "http://127.0.0.1:2/api/v10",
        "TICKETBOT_DISCORD__GATEWAY_URL": "ws://127.0.0.1:2/",
        "TICKETBOT_DISCORD__GUILD_ID": "10",
        "TICKETBOT_DISCORD__SUPPORT_CHANNEL_ID": "11",
        "TICKETBOT_DISCORD__STAFF_ROLE_ID": "12",
        "TICKETBOT_DISCORD__LOG_CHANNEL_ID": "13",
        "TICKETBOT_DIGEST__TIME": "08:30",
        "TICKETBOT_DIGEST__TIMEZONE": "Europe/Berlin",
        "TICKETBOT_DIGEST__SLACK_CHANNEL": "C02",
        "TICKETBOT_DIGEST__DISCORD_CHANNEL_ID": "14",
        "TICKETBOT_SMTP__HOST": "smtp.example.com",
        "TICKETBOT_SMTP__PORT": "2525",
        "TICKETBOT_SMTP__USERNAME": "bot",
        "TICKETBOT_SMTP__PASSWORD": "pw",
        "TICKETBOT_SMTP__FROM": "support@example.com",
        "TICKETBOT_SMTP__STARTTLS": "false",
        "TICKETBOT_SLA__URGENT": "30m",
        "TICKETBOT_SLA__BUSINESS_HOURS": "Europe/Berlin Mon-Fri 09:00-17:00",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = load_settings()
    assert s.http.port == 9000 and s.api_tokens == ["a", "b"]
    assert s.slack.staff_users == ["U01", "U02"] and s.slack.api_url.endswith("/api/")
    assert (s.discord.guild_id, s.discord.support_channel_id, s.discord.log_channel_id) == (10, 11, 13)
    assert s.smtp.from_ == "support@example.com" and s.smtp.starttls is False and s.smtp.port == 2525
    policy = sla_policy(s)
    assert policy.target(Priority.URGENT).total_seconds() == 1800
    assert policy.hours is not None and str(policy.hours) == "Europe/Berlin Mon-Fri 09:00-17:00"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TICKETBOT_HTTP__PORT": "eighty"}, "TICKETBOT_HTTP__PORT: Input should be a valid integer"),
        ({"TICKETBOT_SLACK__BOT_TOKEN": "xoxb"}, "Slack needs TICKETBOT_SLACK__SIGNING_SECRET"),
        ({"TICKETBOT_SLACK__BOT_TOKEN": "xoxb", "TICKETBOT_SLACK__APP_TOKEN": "xapp",
          "TICKETBOT_SLACK__STAFF_CHANNEL": "C1"},
         "Slack needs TICKETBOT_SLACK__STAFF_USERS or TICKETBOT_SLACK__STAFF_USERGROUP"),
        ({"TICKETBOT_DISCORD__TOKEN": "t", "TICKETBOT_DISCORD__GUILD_ID": "1"},
         "Discord needs TICKETBOT_DISCORD__SUPPORT_CHANNEL_ID, TICKETBOT_DISCORD__STAFF_ROLE_ID"),
        ({"TICKETBOT_SLACK__STAFF_CHANEL": "C1"}, "TICKETBOT_SLACK__STAFF_CHANEL: no such setting (misspelt?)"),
        ({"TICKETBOT_LOG_LEVEL": "LOUD"}, "TICKETBOT_LOG_LEVEL: 'LOUD' is not a log level"),
        ({"TICKETBOT_DIGEST__TIME": "25:99"}, "TICKETBOT_DIGEST__TIME: '25:99' is not a time of day"),
        ({"TICKETBOT_DIGEST__TIMEZONE": "Mars/Base"}, "TICKETBOT_DIGEST__TIMEZONE: unknown time zone 'Mars/Base'"),
        ({"TICKETBOT_DATABASE_URL": "garbage"}, "TICKETBOT_DATABASE_URL: 'garbage' is not a database URL"),
        ({"TICKETBOT_DATABASE_URL": "postgres://x/db"}, "write postgresql+asyncpg://x/db"),
        ({"TICKETBOT_DATABASE_URL": "sqlite:///x.db"}, "write sqlite+aiosqlite:///x.db"),
        ({"TICKETBOT_DATABASE_URL": "sqlite+aiosqlite:////no/such/folder/x.db"}, "'/no/such/folder' of the SQLite"),
        ({"TICKETBOT_SLACK__STAFF_USERS": "[\"U1\""}, "TICKETBOT_SLACK__STAFF_USERS: a list is comma-separated"),
        ({"TICKETBOT_STALE__CLOSE_AFTER": "soon"}, "TICKETBOT_STALE__CLOSE_AFTER: invalid duration 'soon'"),
        ({"TICKETBOT_SLA__WARN_AT": "1.5"}, "TICKETBOT_SLA__WARN_AT: Input should be less than 1"),
        ({"TICKETBOT_ALERTS__PRIORITY_MAP": "critical:asap"}, "unknown priority 'asap'"),
        ({"TICKETBOT_SLACK__REPLY_MODE": "loud"},
         "TICKETBOT_SLACK__REPLY_MODE: Input should be 'explicit' or 'thread'"),
        ({"TICKETBOT_SLACK__ESCALATION_USERGROUP": "@oncall"},
         "TICKETBOT_SLACK__ESCALATION_USERGROUP: '@oncall' is not a Slack user group id (like S0123ABCD"),
        ({"TICKETBOT_SLACK__ESCALATION_USERGROUP": "S1> <!channel"}, "is not a Slack user group id"),
    ],
)  # fmt: skip
def test_bad_settings_are_one_line(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TICKETBOT_SLA__HIGH": "soon"}, "TICKETBOT_SLA__HIGH"),
        ({"TICKETBOT_SLA__BUSINESS_HOURS": "Mars/Olympus Mon-Fri 09:00-17:00"}, "unknown time zone"),
    ],
)
def test_bad_sla_settings_are_one_line(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_the_open_limit_is_for_every_platform_and_the_discord_name_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().open_limit == 3
    monkeypatch.setenv("TICKETBOT_DISCORD__MAX_OPEN_PER_USER", "5")
    assert load_settings().open_limit == 5
    monkeypatch.setenv("TICKETBOT_MAX_OPEN_PER_USER", "2")
    assert load_settings().open_limit == 2


def test_misspelt_variables_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import unknown_variables

    env = {"TICKETBOT_SLACK_BOT_TOKEN": "x", "TICKETBOT_DATABSE_URL": "y", "TICKETBOT_SMTP__FROM": "a@b.co",
           "TICKETBOT_TIMEZONE": "UTC", "HOME": "/root"}  # fmt: skip
    assert unknown_variables(env) == ["TICKETBOT_DATABSE_URL", "TICKETBOT_SLACK_BOT_TOKEN"]
