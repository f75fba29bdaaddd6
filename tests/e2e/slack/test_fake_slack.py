"""The fake Slack itself, driven by a bare Bolt app: if these fail, every Slack e2e test is suspect."""

from __future__ import annotations

import asyncio

import pytest
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.web.app import build_web_app
from adapters.web.server import WebServer
from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, BOT_USER_ID, SIGNING_SECRET, FakeSlack, SlackSender
from tests.fakes.slack import payloads as p


def bare_app(fake: FakeSlack) -> AsyncApp:
    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url),
        signing_secret=SIGNING_SECRET,
    )

    @app.command("/ticket")
    async def ticket(ack, command, client, respond):
        await ack()
        if command["text"] == "modal":
            await client.views_open(
                trigger_id=command["trigger_id"],
                view={
                    "type": "modal",
                    "callback_id": "x",
                    "title": {"type": "plain_text", "text": "Hi"},
                    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}],
                },
            )
        else:
            await respond(f"you said {command['text']}")

    @app.event("message")
    async def message(ack, event, client):
        await ack()
        await client.chat_postMessage(channel=event["channel"], text=f"echo {event['text']}")

    return app


@pytest.fixture
async def served(fake_slack: FakeSlack):
    app = bare_app(fake_slack)
    server = await WebServer(build_web_app(slack_handler=AsyncSlackRequestHandler(app)), port=0).start()
    async with SlackSender(f"{server.url}/slack/events", fake_slack) as sender:
        yield sender
    await server.stop()


async def test_signed_slash_command_reaches_bolt_and_respond_hits_the_sink(served: SlackSender, fake_slack: FakeSlack):
    reply = await served.command("hello")
    assert reply.status == 200
    call = await fake_slack.wait_for("response_url")
    assert call["text"] == "you said hello"
    auth = fake_slack.calls_to("auth.test")
    assert auth and auth[0].token == BOT_TOKEN


async def test_views_open_needs_a_fresh_trigger_id(served: SlackSender, fake_slack: FakeSlack):
    await served.command("modal")
    call = await fake_slack.wait_for("views.open")
    assert call.ok and call.response["view"]["id"].startswith("V")
    with pytest.raises(SlackApiError) as err:  # trigger ids are single use
        await AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url).views_open(
            trigger_id=call["trigger_id"], view=call["view"]
        )
    assert err.value.response["error"] == "invalid_trigger_id"


async def test_bad_signature_is_401_and_reaches_nothing(served: SlackSender, fake_slack: FakeSlack):
    reply = await served.send_command(p.slash_command(fake_slack, "hello"), signature="v0=" + "0" * 64)
    assert reply.status == 401
    stale = await served.send_command(p.slash_command(fake_slack, "hello"), timestamp="1000000000")
    assert stale.status == 401
    await asyncio.sleep(0.05)
    assert fake_slack.calls == []


async def test_events_api_message_and_healthz(served: SlackSender, fake_slack: FakeSlack):
    ts = fake_slack.add_message("C0GENERAL", "hi", user="U0REQ")
    reply = await served.event(p.message_event(channel="C0GENERAL", text="hi", ts=ts), retry_num=1)
    assert reply.status == 200
    call = await fake_slack.wait_for("chat.postMessage", channel="C0GENERAL")
    assert call["text"] == "echo hi"
    posted = fake_slack.messages("C0GENERAL")[-1]
    assert posted["bot_id"] and posted["user"] == BOT_USER_ID
    async with served._session.get(served.url.replace("/slack/events", "/healthz")) as resp:  # type: ignore[union-attr]
        assert resp.status == 200 and await resp.json() == {"status": "ok"}


async def test_injected_errors_and_rate_limits(fake_slack: FakeSlack):
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    fake_slack.fail("chat.postMessage", "not_in_channel", channel="C1")
    fake_slack.rate_limit("chat.update", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "not_in_channel"
    ok = await client.chat_postMessage(channel="C1", text="x")  # only once
    with pytest.raises(SlackApiError) as err:
        await client.chat_update(channel="C1", ts=ok["ts"], text="y")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    await client.chat_update(channel="C1", ts=ok["ts"], text="y")
    assert fake_slack.message("C1", ok["ts"])["text"] == "y"
    bad = AsyncWebClient(token="xoxb-wrong", base_url=fake_slack.api_url)
    with pytest.raises(SlackApiError) as err:
        await bad.auth_test()
    assert err.value.response["error"] == "invalid_auth"


async def test_block_kit_limits_are_enforced(fake_slack: FakeSlack):
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="x", blocks=[section])
    assert err.value.response["error"] == "invalid_blocks"
    too_many = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C1", text="x", blocks=too_many)


async def test_unknown_methods_are_recorded():
    fake = await FakeSlack().start()
    try:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
        with pytest.raises(SlackApiError):
            await client.api_call("chat.scheduleMessage", json={"channel": "C1"})
        assert [c.method for c in fake.unknown] == ["chat.scheduleMessage"]
    finally:
        await fake.close()


async def test_thread_replies_paginate(fake_slack: FakeSlack):
    parent = fake_slack.add_message("C1", "root", user="U1")
    for i in range(5):
        fake_slack.add_message("C1", f"reply {i}", user="U2", thread_ts=parent)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    texts, cursor = [], None
    while True:
        page = await client.conversations_replies(channel="C1", ts=parent, limit=2, cursor=cursor)
        texts += [m["text"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert texts == ["root"] + [f"reply {i}" for i in range(5)]


async def test_socket_mode_round_trip(fake_slack: FakeSlack):
    app = bare_app(fake_slack)
    handler = AsyncSocketModeHandler(app, app_token=APP_TOKEN)
    await handler.connect_async()
    try:
        await fake_slack.wait_socket_connected()
        ack = await fake_slack.socket_send("slash_commands", p.slash_command(fake_slack, "over socket"))
        assert "envelope_id" in ack
        call = await fake_slack.wait_for("response_url")
        assert call["text"] == "you said over socket"
        ts = fake_slack.add_message("C2", "yo", user="U0REQ")
        envelope = p.event_callback(p.message_event(channel="C2", text="yo", ts=ts))
        await fake_slack.socket_send("events_api", envelope)
        await fake_slack.wait_for("chat.postMessage", channel="C2")
        assert fake_slack.calls_to("apps.connections.open")[0].token == APP_TOKEN
    finally:
        await handler.close_async()
