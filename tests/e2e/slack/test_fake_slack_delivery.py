"""The fake Slack's delivery hazards, through slack_sdk: the per-channel posting limit and seeded faults."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler, AsyncServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import BOT_TOKEN, FakeSlack


def client_for(fake: FakeSlack, **options: Any) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url, **options)


async def post_until_accepted(client: AsyncWebClient, **args: Any) -> tuple[str, list[SlackApiError]]:
    """Post, retrying at once on 429/500 (the fake's Retry-After is 0 in these tests); return ts and refusals."""
    refusals: list[SlackApiError] = []
    while True:
        try:
            return (await client.chat_postMessage(**args))["ts"], refusals
        except SlackApiError as err:
            if err.response.status_code not in (429, 500):
                raise
            refusals.append(err)


async def test_the_channel_post_limit_refuses_a_burst_beyond_its_size_per_channel(fake_slack: FakeSlack):
    client = client_for(fake_slack)
    fake_slack.limit_channel_posts(per_second=0.1, burst=2)
    await client.chat_postMessage(channel="C1", text="one")
    await client.chat_postMessage(channel="C1", text="two")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="three")
    assert err.value.response.status_code == 429
    assert err.value.response["error"] == "ratelimited"
    # one post per 10 s, minus what refilled meanwhile, in whole seconds like Slack
    assert err.value.response.headers["Retry-After"] in ("9", "10")
    await client.chat_postMessage(channel="C2", text="elsewhere")  # the limit is per channel

    assert [m["text"] for m in fake_slack.posts("C1")] == ["one", "two"]
    assert [m["text"] for m in fake_slack.messages("C1")] == ["one", "two"]  # the refused post changed nothing
    refused = fake_slack.calls_to("chat.postMessage", text="three")[0]
    assert refused.limited and refused.status == 429 and not refused.fault
    fake_slack.unlimit_channel_posts()
    await client.chat_postMessage(channel="C1", text="three")
    assert [m["text"] for m in fake_slack.posts("C1")] == ["one", "two", "three"]


async def test_a_hundred_cards_posted_under_the_limit_are_recorded_in_order_once(fake_slack: FakeSlack):
    client = client_for(fake_slack)
    fake_slack.limit_channel_posts(per_second=300, burst=5, retry_after=0)
    sent = [f"card {i}" for i in range(100)]
    for text in sent:
        await post_until_accepted(client, channel="C0STAFF", text=text)
    reply_ts, _ = await post_until_accepted(client, channel="C0STAFF", text="in a thread", thread_ts="1.1")

    posts = fake_slack.posts("C0STAFF")
    assert [m["text"] for m in posts[:100]] == sent
    assert len({m["ts"] for m in posts}) == len(posts) == 101
    assert [m["ts"] for m in fake_slack.posts("C0STAFF", thread_ts="1.1")] == [reply_ts]
    calls = fake_slack.calls_to("chat.postMessage")
    assert len(calls) == 101 + sum(c.limited for c in calls)


async def test_seeded_faults_answer_429_or_500_and_change_nothing(fake_slack: FakeSlack):
    client = client_for(fake_slack)
    injector = fake_slack.inject_faults(rate_429=0.3, rate_500=0.1, methods=["chat.postMessage"], seed=7, retry_after=0)
    sent = [f"m{i}" for i in range(30)]
    refusals: list[SlackApiError] = []
    for text in sent:
        refusals += (await post_until_accepted(client, channel="C1", text=text))[1]
    first = fake_slack.posts("C1")[0]
    await client.chat_update(channel="C1", ts=first["ts"], text="edited")  # not a faulted method

    assert [m["text"] for m in fake_slack.posts("C1")] == ["edited", *sent[1:]]
    statuses = sorted({e.response.status_code for e in refusals})
    assert statuses == [429, 500]
    assert {e.response["error"] for e in refusals} == {"ratelimited", "internal_error"}
    assert all(e.response.headers["Retry-After"] == "0" for e in refusals if e.response.status_code == 429)
    faulted = [c for c in fake_slack.calls if c.fault]
    assert len(faulted) == len(refusals) == injector.drawn[429] + injector.drawn[500]
    assert all(c.method == "chat.postMessage" for c in faulted)

    # the same seed faults the same calls
    again = await FakeSlack().start()
    try:
        again.inject_faults(rate_429=0.3, rate_500=0.1, methods=["chat.postMessage"], seed=7, retry_after=0)
        for text in sent:
            await post_until_accepted(client_for(again), channel="C1", text=text)
        assert [c.status for c in again.calls] == [c.status for c in fake_slack.calls_to("chat.postMessage")]
    finally:
        await again.close()


async def test_slack_sdk_retry_handlers_recover_from_faults(fake_slack: FakeSlack):
    client = client_for(
        fake_slack,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=10),
            AsyncServerErrorRetryHandler(max_retry_count=10, interval_calculator=FixedValueRetryIntervalCalculator(0)),
        ],
    )
    fake_slack.inject_faults(rate_429=0.2, rate_500=0.2, seed=3, retry_after=0)  # every method
    for i in range(6):
        await client.chat_postMessage(channel="C1", text=f"m{i}")
    assert [m["text"] for m in fake_slack.posts("C1")] == [f"m{i}" for i in range(6)]
    assert {c.status for c in fake_slack.calls if c.fault} == {429, 500}
    fake_slack.clear_faults()
    assert (await client.auth_test())["user_id"]
