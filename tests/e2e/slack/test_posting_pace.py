"""Slack's posting pace: about one message per second per channel, enforced by the fake. A burst of tickets is
queued per channel and paced, so every card arrives, in order, once; Retry-After is honoured; with 30 % of calls
answered 429 and 10 % answered 500, every notification still arrives once, in order per ticket.

The limit is scaled up (50 posts/s instead of 1) so the tests take seconds; bench/slack_pacing_bench.py runs
the real one-per-second limit.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from core.model import Actor
from tests.e2e.slack.harness import (
    ALICE,
    BOB,
    STAFF_CHANNEL,
    SlackHarness,
    cast,
    runtime_around,
    slack_settings,
    start_slack,
)
from tests.fakes.slack import FakeSlack

RATE = 50.0  # posts per second per channel, for the fake's limit and our pace alike
TICKET_ID = re.compile(r"TKT-[0-9A-Z]{5}")


@pytest.fixture
async def paced(
    fake_slack: FakeSlack,
    desk,
    clock,
    settings_factory,  # type: ignore[no-untyped-def]
) -> AsyncIterator[Callable[..., Awaitable[SlackHarness]]]:
    runtimes = []

    async def make(posts_per_second: float) -> SlackHarness:
        cast(fake_slack)
        runtime = runtime_around(desk, settings_factory(slack=slack_settings(fake_slack)))
        runtimes.append(runtime)
        adapter = await start_slack(runtime, posts_per_second=posts_per_second)
        return SlackHarness(fake_slack, runtime, adapter, None, clock)

    try:
        yield make
    finally:
        for runtime in runtimes:
            await runtime.close()


async def pending(slack: SlackHarness) -> int:
    return await slack.desk.db.read(lambda uow: uow.outbox.pending("slack"))


async def deliver_all(slack: SlackHarness, *, step_minutes: float = 10) -> int:
    """Deliver until the outbox is empty, moving the clock past each retry's backoff; returns the rounds."""
    for rounds in range(1, 200):
        await slack.settle()
        if not await pending(slack):
            return rounds
        slack.clock.advance(minutes=step_minutes)
    raise AssertionError(f"{await pending(slack)} event(s) never delivered")


def cards(fake: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake.posts(STAFF_CHANNEL) if m.get("thread_ts") in (None, m["ts"])]  # top level


def card_ids(fake: FakeSlack) -> list[str]:
    return [TICKET_ID.search(m["text"]).group(0) for m in cards(fake)]  # type: ignore[union-attr]


async def burst(slack: SlackHarness, n: int = 100) -> list[str]:
    """``n`` tickets opened one after another, before any is delivered (a flood in the help channel)."""
    opened = []
    for i in range(n):
        requester = Actor("api", f"user{i}", f"User {i}")
        ticket = await slack.desk.create_ticket(subject=f"Outage report {i}", message=f"Down here too ({i})",
                                                requester=requester)  # fmt: skip
        opened.append(ticket.id)
    return opened


async def test_a_burst_of_100_tickets_gets_100_cards_in_order_none_twice(paced):  # type: ignore[no-untyped-def]
    slack: SlackHarness = await paced(posts_per_second=RATE)
    slack.fake.limit_channel_posts(per_second=RATE, burst=3)
    opened = await burst(slack)
    await deliver_all(slack)

    assert card_ids(slack.fake) == opened  # every card, in the order the tickets were opened, none twice
    refused = [c for c in slack.fake.calls_to("chat.postMessage") if c.limited]
    assert refused == []  # paced under the limit: Slack never had to say "slow down"
    for ticket_id in opened[:: len(opened) // 10]:  # each card's thread got its description once
        card = await slack.card(ticket_id)
        thread = [m for m in slack.fake.posts(STAFF_CHANNEL, thread_ts=card.thread_id) if m["ts"] != card.thread_id]
        assert [m["text"].split(": ", 1)[1] for m in thread] == [f"Down here too ({opened.index(ticket_id)})"]


async def test_unpaced_the_limit_refuses_posts_and_retry_after_still_delivers_each_card_once(paced):  # type: ignore[no-untyped-def]
    slack: SlackHarness = await paced(posts_per_second=0)  # the control: no pacing
    slack.fake.limit_channel_posts(per_second=RATE, burst=3, retry_after=0)
    opened = await burst(slack, 40)
    await deliver_all(slack)

    refused = [c for c in slack.fake.calls_to("chat.postMessage") if c.limited]
    assert refused, "without pacing the burst runs into Slack's limit"
    assert sorted(card_ids(slack.fake)) == sorted(opened)  # retried after Retry-After: each card once
    assert len(cards(slack.fake)) == len(opened)


async def test_with_30_percent_429_and_10_percent_500_every_notification_arrives_once_in_order(paced):  # type: ignore[no-untyped-def]
    slack: SlackHarness = await paced(posts_per_second=RATE)
    injector = slack.fake.inject_faults(rate_429=0.3, rate_500=0.1, seed=7, retry_after=1)
    alice, bob = slack.actor(ALICE), slack.actor(BOB)
    tickets = []
    for n in range(5):  # each ticket's whole life is queued before anything is delivered
        ticket = await slack.desk.create_ticket(subject=f"Printer {n} on fire", message=f"It smokes ({n})",
                                                requester=bob)  # fmt: skip
        await slack.desk.admin_reply_to_ticket(ticket_id=ticket.id, content=f"Unplug it ({n})", actor=alice)
        await slack.desk.reply_to_ticket(ticket_id=ticket.id, content=f"Done, still smokes ({n})", actor=bob)
        await slack.desk.close_ticket(ticket_id=ticket.id, actor=alice, reason=f"replaced ({n})")
        tickets.append(ticket.id)
    await deliver_all(slack, step_minutes=30)
    assert injector.drawn[429] > 10 and injector.drawn[500] > 3  # the faults really happened

    assert sorted(card_ids(slack.fake)) == sorted(tickets)  # one card each (a faulted card goes out later)
    for n, ticket_id in enumerate(tickets):
        staff = [m["text"] for m in await slack.staff_thread(ticket_id)]
        assert staff == [
            f"Bob (Slack) · requester: It smokes ({n})",
            f"Alice (Slack) replied to the requester: Unplug it ({n})",
            f"Bob (Slack) · requester: Done, still smokes ({n})",
            f"Status Open → Closed by Alice (Slack) — replaced ({n})",
        ]
        dm = [m["text"] for m in await slack.dm_thread(ticket_id)]
        assert dm == [
            f"Alice · support: Unplug it ({n})",
            f"Your ticket was closed: replaced ({n}). Reply in this thread to reopen it.",
        ]
        card = await slack.card(ticket_id)
        assert "Closed" in slack.fake.message(card.channel_id, card.message_id)["text"]  # type: ignore[arg-type]
