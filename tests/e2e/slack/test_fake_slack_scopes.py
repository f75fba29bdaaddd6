"""What a ``doctor`` asks Slack, on the fake: granted scopes, identity, channel membership, staff lookups."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import APP_TOKEN, BOT_ID, BOT_TOKEN, BOT_USER_ID, TEAM_ID, FakeSlack

MANIFEST = Path(__file__).resolve().parents[3] / "manifest.yml"


def manifest_scopes() -> set[str]:
    return set(yaml.safe_load(MANIFEST.read_text())["oauth_config"]["scopes"]["bot"])


@pytest.fixture
def client(fake_slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)


async def test_every_answer_carries_the_scopes_of_the_manifest(fake_slack: FakeSlack, client: AsyncWebClient):
    auth = await client.auth_test()
    assert (auth["user_id"], auth["bot_id"], auth["team_id"]) == (BOT_USER_ID, BOT_ID, TEAM_ID)
    assert set(auth.headers["x-oauth-scopes"].split(",")) == manifest_scopes()
    with pytest.raises(SlackApiError) as err:  # errors carry them too
        await client.chat_update(channel="C1", ts="1.2", text="x")
    assert set(err.value.response.headers["x-oauth-scopes"].split(",")) == manifest_scopes()
    posted = await client.chat_postMessage(channel="C1", text="x")
    assert posted.headers["x-accepted-oauth-scopes"] == "chat:write"
    socket = await AsyncWebClient(token=APP_TOKEN, base_url=fake_slack.api_url).apps_connections_open(
        app_token=APP_TOKEN
    )
    assert socket.headers["x-oauth-scopes"] == "connections:write"


async def test_granted_scopes_are_configurable_and_enforced(client: AsyncWebClient):
    fake = await FakeSlack(scopes=["chat:write", "users:read"]).start()
    try:
        narrow = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
        assert (await narrow.auth_test()).headers["x-oauth-scopes"] == "chat:write,users:read"
        fake.add_usergroup("S0STAFF", ["U1"])
        with pytest.raises(SlackApiError) as err:
            await narrow.usergroups_users_list(usergroup="S0STAFF")
        answer = err.value.response
        assert (answer["error"], answer["needed"], answer["provided"]) == (
            "missing_scope",
            "usergroups:read",
            "chat:write,users:read",
        )
        assert answer.headers["x-accepted-oauth-scopes"] == "usergroups:read"
        fake.add_user("U1", "Ann", email="ann@example.com")
        profile = (await narrow.users_info(user="U1"))["user"]["profile"]
        assert profile["display_name"] == "Ann" and "email" not in profile  # needs users:read.email
        fake.scopes.add("users:read.email")
        assert (await narrow.users_info(user="U1"))["user"]["profile"]["email"] == "ann@example.com"
    finally:
        await fake.close()


async def test_conversations_info_needs_a_read_scope_and_reports_membership(
    fake_slack: FakeSlack, client: AsyncWebClient
):
    fake_slack.add_channel("C0STAFF", "staff", is_member=False)
    fake_slack.scopes -= {"channels:read", "groups:read"}  # (manifest.yml grants them: ticketbot doctor reads)
    with pytest.raises(SlackApiError) as err:
        await client.conversations_info(channel="C0STAFF")
    assert err.value.response["needed"] == "channels:read"

    fake_slack.scopes.update({"channels:read", "groups:read"})
    staff = (await client.conversations_info(channel="C0STAFF"))["channel"]
    assert (staff["name"], staff["is_channel"], staff["is_member"]) == ("staff", True, False)
    assert (await client.conversations_info(channel="C0ANY"))["channel"]["is_member"] is True  # unregistered
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C0STAFF", text="card")
    assert err.value.response["error"] == "not_in_channel"
    with pytest.raises(SlackApiError) as err:
        await client.conversations_history(channel="C0STAFF")
    assert err.value.response["error"] == "not_in_channel"

    fake_slack.scopes.add("chat:write.public")  # public channels accept posts from non-members then
    await client.chat_postMessage(channel="C0STAFF", text="card")

    fake_slack.add_channel("C0SECRET", "secret", kind="private", is_member=False)
    for call in (client.conversations_info(channel="C0SECRET"), client.chat_postMessage(channel="C0SECRET", text="x")):
        with pytest.raises(SlackApiError) as err:
            await call
        assert err.value.response["error"] == "channel_not_found"  # private channels hide from non-members

    fake_slack.add_channel("C0PRIV", "priv", kind="private")
    info = (await client.conversations_info(channel="C0PRIV"))["channel"]
    assert (info["is_private"], info["is_group"], info["is_member"]) == (True, True, True)

    fake_slack.add_channel("C0OLD", "old", is_archived=True)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C0OLD", text="x")
    assert err.value.response["error"] == "is_archived"

    fake_slack.remove_channel("C0PRIV")
    with pytest.raises(SlackApiError) as err:
        await client.conversations_info(channel="C0PRIV")
    assert err.value.response["error"] == "channel_not_found"


async def test_history_scopes_follow_the_kind_of_conversation(fake_slack: FakeSlack, client: AsyncWebClient):
    fake_slack.add_channel("C0PRIV", "priv", kind="private")
    parent = fake_slack.add_message("C0PRIV", "root", user="U1")
    fake_slack.scopes.discard("groups:history")
    with pytest.raises(SlackApiError) as err:
        await client.conversations_replies(channel="C0PRIV", ts=parent)
    assert err.value.response["needed"] == "groups:history"
    public_parent = fake_slack.add_message("C0PUB", "root", user="U1")
    assert (await client.conversations_replies(channel="C0PUB", ts=public_parent))["messages"][0]["text"] == "root"


async def test_staff_lookups_users_info_and_usergroup_members(fake_slack: FakeSlack, client: AsyncWebClient):
    fake_slack.add_user("U0SAM", "Sam", real_name="Sam Support", email="sam@example.com")
    fake_slack.add_usergroup("S0STAFF", ["U0SAM", "U0KIM"])
    user = (await client.users_info(user="U0SAM"))["user"]
    assert (user["real_name"], user["profile"]["email"]) == ("Sam Support", "sam@example.com")
    assert (await client.usergroups_users_list(usergroup="S0STAFF"))["users"] == ["U0SAM", "U0KIM"]
    with pytest.raises(SlackApiError) as err:
        await client.usergroups_users_list(usergroup="S0NOPE")
    assert err.value.response["error"] == "no_such_subteam"
