"""Keyword rules in a watched Slack channel: a message holding a keyword (a whole word, any case) opens a
ticket for its author, at most one per person per cooldown, and the bot says so in the message's thread."""

from __future__ import annotations

from typing import Any

import pytest

from core.commands import Page, Search
from core.model import Status
from tests.e2e.slack.harness import BOB, GENERAL, HELP_CHANNEL, OLGA, SlackHarness
from tests.fakes.slack import payloads as p


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"rules": {"keywords": "help, error, out of order", "cooldown": "10m"}}


async def say(
    slack: SlackHarness, text: str, *, user: str = BOB, channel: str = HELP_CHANNEL, thread: str | None = None
) -> str:
    assert slack.sender is not None
    ts = slack.fake.add_message(channel, text, user=user, thread_ts=thread)
    event = p.message_event(channel=channel, text=text, user=user, ts=ts, thread_ts=thread)
    assert (await slack.sender.event(event)).status == 200
    await slack.settle()
    return ts


async def tickets_of(slack: SlackHarness, user: str) -> list[Any]:
    page = await slack.desk.execute(Search(f"requester:{user}"), slack.actor(user))
    assert isinstance(page, Page)
    return list(page.items)


async def test_a_keyword_opens_a_ticket_for_the_author_and_the_bot_answers_in_thread(slack: SlackHarness) -> None:
    ts = await say(slack, "HELP: the printer on floor 3 is on fire")
    [ticket] = await tickets_of(slack, BOB)
    assert ticket.subject == "HELP: the printer on floor 3 is on fire" and ticket.status is Status.OPEN
    assert ticket.requester.user_id == BOB and ticket.requester.name == "Bob"
    note = await slack.fake.wait_for("chat.postMessage", channel=HELP_CHANNEL, thread_ts=ts)
    assert ticket.id in note["text"]
    source = await slack.desk.queries.ticket_by_link(
        platform="slack", channel_id=HELP_CHANNEL, thread_id=ts, kind="source"
    )
    assert source is not None and source.id == ticket.id  # a :ticket: reaction on it now opens nothing more


async def test_whole_words_only_and_only_in_watched_channels(slack: SlackHarness) -> None:
    await say(slack, "that was helpful, thanks")  # help inside a word
    await say(slack, "terror alert")  # error inside a word
    await say(slack, "help please", channel=GENERAL)  # not watched
    await say(slack, "the coffee machine is out of order")  # a phrase keyword
    tickets = await tickets_of(slack, BOB)
    assert [t.subject for t in tickets] == ["the coffee machine is out of order"]


async def test_one_ticket_per_person_per_cooldown(slack: SlackHarness, clock: Any) -> None:
    first = await say(slack, "error 500 on login")
    await say(slack, "still an error", thread=first)  # in the ticket's own thread: it is a ticket already
    await say(slack, "another error on checkout")  # the same person within the cooldown
    assert len(await tickets_of(slack, BOB)) == 1
    await say(slack, "help, error here too", user=OLGA)  # someone else is not held back
    assert len(await tickets_of(slack, OLGA)) == 1
    clock.advance(minutes=11)
    await say(slack, "error again, a new one")
    assert len(await tickets_of(slack, BOB)) == 2
    posted = slack.fake.calls_to("chat.postMessage", channel=HELP_CHANNEL)
    answers = [m for m in posted if "opened from this" in m["text"]]
    assert len(answers) == 3
