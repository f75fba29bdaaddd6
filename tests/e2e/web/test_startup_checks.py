"""A setup that cannot work stops ``ticketbot run`` at once with one line saying what to fix; ``ticketbot doctor``
finds the same problems (and missing scopes and permissions) without starting anything."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.bootstrap import open_runtime, start_adapters
from bot.cli_doctor import diagnose
from bot.settings import Settings, SettingsError
from core.checks import Verdict
from tests.e2e.discord.app import discord_settings
from tests.e2e.slack.harness import STAFF_CHANNEL, USERGROUP, cast, slack_settings
from tests.fakes.discord import DEFAULT_BOT_PERMISSIONS, EVERYONE_PERMISSIONS, FakeDiscord
from tests.fakes.discord.state import PIN_MESSAGES
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.scopes import manifest_bot_scopes


@pytest.fixture
async def slack_fake() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    cast(fake)
    try:
        yield fake
    finally:
        await fake.close()
    assert not fake.unknown, [c.method for c in fake.unknown]


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    fake = await FakeDiscord().start()
    try:
        yield fake
    finally:
        await fake.close()
    assert not fake.problems(), fake.problems()


async def refusal(settings: Settings) -> str:
    """What ``ticketbot run`` stops with (and that it stops)."""
    runtime = await open_runtime(settings)
    try:
        with pytest.raises(SettingsError) as err:
            await start_adapters(runtime)
    finally:
        await runtime.close()
        gc.unfreeze()
    message = str(err.value)
    assert "\n" not in message
    return message


# ------------------------------------------------------------------------------------------------ Slack
async def test_slack_setups_that_cannot_work_stop_the_start(
    slack_fake: FakeSlack, settings_factory: Callable[..., Settings]
) -> None:
    wrong_token = await refusal(settings_factory(slack=slack_settings(slack_fake, bot_token="xoxb-wrong")))
    assert wrong_token.startswith("slack token: Slack refused TICKETBOT_SLACK__BOT_TOKEN (invalid_auth)")
    assert "reinstall the app" in wrong_token

    slack_fake.add_channel(STAFF_CHANNEL, "support-queue", is_member=False)
    not_joined = await refusal(settings_factory(slack=slack_settings(slack_fake)))
    assert not_joined == (
        "slack staff channel: the bot is not in #support-queue — /invite @ticketbot in #support-queue"
    )
    slack_fake.add_channel(STAFF_CHANNEL, "support-queue", is_member=True)

    slack_fake.add_usergroup(USERGROUP, [])
    nobody = await refusal(settings_factory(slack=slack_settings(slack_fake, staff_users=[])))
    assert "nobody is staff" in nobody and "TICKETBOT_SLACK__STAFF_USERS" in nobody
    assert not slack_fake.calls_to("chat.postMessage")


async def test_run_prints_one_line_and_exits_2(slack_fake: FakeSlack, db_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBOT_")}
    env.update({"TICKETBOT_DATABASE_URL": db_url, "TICKETBOT_HTTP__PORT": "0"})
    for key, value in slack_settings(slack_fake, bot_token="xoxb-wrong").items():
        env[f"TICKETBOT_SLACK__{key.upper()}"] = ",".join(value) if isinstance(value, list) else str(value)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--no-console", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    lines = [ln for ln in err.decode().splitlines() if ln.startswith("error:")]
    assert proc.returncode == 2 and len(lines) == 1, err.decode()
    assert "Slack refused TICKETBOT_SLACK__BOT_TOKEN (invalid_auth)" in lines[0]
    assert "Traceback" not in err.decode()


# ------------------------------------------------------------------------------------------------ Discord
@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"token": "not-the-token"}, "discord token: Discord refused TICKETBOT_DISCORD__TOKEN — developer portal"),
        ({"guild_id": 4242}, "discord guild: server 4242 not found, or the bot is not in it"),
        ({"support_channel_id": 4242}, "discord support channel: channel 4242 not found in Community"),
        ({"staff_role_id": 4242}, "discord staff role: no role 4242 in Community: nobody would be staff"),
    ],
)
async def test_discord_setups_that_cannot_work_stop_the_start(
    discord_fake: FakeDiscord, settings_factory: Callable[..., Settings], override: dict[str, Any], expected: str
) -> None:
    if "token" in override:
        discord_fake.allow(0)  # the 401 of the refused login is the point
    message = await refusal(settings_factory(discord=discord_settings(discord_fake, **override)))
    assert message.startswith(expected), message
    assert not discord_fake.identifies  # no gateway connection was attempted


async def test_a_missing_message_content_intent_stops_the_start(
    discord_fake: FakeDiscord, settings_factory: Callable[..., Settings]
) -> None:
    discord_fake.application_flags = 0
    message = await refusal(settings_factory(discord=discord_settings(discord_fake)))
    assert message.startswith("discord intents: the Message Content intent is off") and "Privileged" in message


# ------------------------------------------------------------------------------------------------ doctor
async def test_doctor_is_all_green_on_a_working_setup(
    slack_fake: FakeSlack, discord_fake: FakeDiscord, settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory(slack=slack_settings(slack_fake), discord=discord_settings(discord_fake))
    checks = await diagnose(settings)
    assert [c.line for c in checks if c.verdict is not Verdict.OK] == []
    names = [c.name for c in checks]
    for expected in ("database", "outbox", "slack token", "slack scopes", "slack staff channel", "slack staff",
                     "discord token", "discord intents", "discord guild", "discord staff role",
                     "discord support channel", "discord log channel", "smtp", "api", "webhooks"):  # fmt: skip
        assert expected in names, expected


async def test_doctor_names_a_missing_scope_and_a_missing_permission(
    settings_factory: Callable[..., Settings], discord_fake: FakeDiscord
) -> None:
    slack_fake = await FakeSlack(scopes=manifest_bot_scopes() - {"reactions:write", "usergroups:read"}).start()
    cast(slack_fake)
    try:
        await discord_fake.set_bot_permissions(
            (EVERYONE_PERMISSIONS | DEFAULT_BOT_PERMISSIONS) & ~PIN_MESSAGES, channel=discord_fake.support
        )
        settings = settings_factory(slack=slack_settings(slack_fake), discord=discord_settings(discord_fake))
        failed = {c.name: c for c in await diagnose(settings) if c.verdict is Verdict.FAIL}
    finally:
        await slack_fake.close()
    assert set(failed) == {"slack scopes", "discord support channel"}
    assert failed["slack scopes"].message == "the token lacks reactions:write, usergroups:read"
    assert failed["discord support channel"].message == "the bot lacks Pin Messages in #support"
    assert "re-invite the bot with the README's link" in failed["discord support channel"].fix


async def test_doctor_from_the_command_line_says_what_to_do_and_exits_1(discord_fake: FakeDiscord, db_url: str) -> None:
    discord_fake.allow(0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBOT_")}
    env["TICKETBOT_DATABASE_URL"] = db_url
    for key, value in discord_settings(discord_fake, token="revoked").items():
        env[f"TICKETBOT_DISCORD__{key.upper()}"] = str(value)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor", "--json", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1, err.decode()
    report = json.loads(out)
    assert report["ok"] is False
    [token] = [c for c in report["checks"] if c["name"] == "discord token"]
    assert token["verdict"] == "fail" and "Reset Token" in token["fix"]
    assert {c["name"] for c in report["checks"] if c["verdict"] == "ok"} >= {"database", "outbox", "slack", "smtp"}

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    lines = out.decode().splitlines()
    assert (
        proc.returncode == 1
        and "FAIL discord token: Discord refused TICKETBOT_DISCORD__TOKEN — developer" in out.decode()
    )
    assert all(line.split(" ", 1)[0] in ("ok", "warn", "FAIL") for line in lines), lines
