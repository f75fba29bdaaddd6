"""When Slack says no: bad signatures, Web API errors, rate limits — logged, retried, never lost."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from adapters.slack import render
from tests.e2e.slack.harness import ALICE, BOB, STAFF_CHANNEL, SlackHarness
from tests.fakes.slack import payloads as p


def cards_posted(slack: SlackHarness) -> list:
    return [
        c for c in slack.fake.calls_to("chat.postMessage", channel=STAFF_CHANNEL) if c.ok and "thread_ts" not in c.args
    ]


async def test_bad_signature_is_401_and_nothing_happens(slack: SlackHarness):
    sender = slack.sender
    forged = await sender.send_command(p.slash_command(slack.fake, "new Give me admin"), signature="v0=" + "f" * 64)
    stale = await sender.send_command(p.slash_command(slack.fake, "new Replayed"), timestamp="1500000000")
    click = await sender.interaction(p.block_action(slack.fake, render.A_CLOSE, value="TKT-BBBBB"), signature="v0=00")
    event = await sender.post(
        json.dumps(p.event_callback(p.app_home_opened_event(user=BOB))), "application/json", signature="v0=" + "0" * 64
    )
    assert [r.status for r in (forged, stale, click, event)] == [401, 401, 401, 401]
    await slack.settle()
    assert slack.fake.calls == []
    assert await slack.desk.list_tickets(actor=slack.actor(ALICE)) == []


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "invalid_auth"])
async def test_operator_errors_are_logged_with_the_ticket_id_and_retried(
    slack: SlackHarness, expect_logged_errors, error
):
    records = expect_logged_errors(rf"Slack refused ticket_opened for ticket TKT-\w+: {error}")
    slack.fake.fail("chat.postMessage", error, channel=STAFF_CHANNEL, times=2)
    ticket = await slack.desk.create_ticket(subject="Printer on fire", requester=slack.actor(BOB))
    await slack.settle()
    assert cards_posted(slack) == []
    [record] = [r for r in records if r.levelname == "ERROR"]
    assert record.ticket_id == ticket.id and ticket.id in record.getMessage()
    slack.clock.advance(seconds=1.5)  # first backoff: fails again
    await slack.settle()
    assert cards_posted(slack) == []
    slack.clock.advance(seconds=3)
    await slack.settle()
    assert len(cards_posted(slack)) == 1  # the ticket was never lost
    assert (await slack.card(ticket.id)).channel_id == STAFF_CHANNEL


async def test_rate_limit_honours_retry_after(slack: SlackHarness):
    ticket = await slack.open_ticket()
    slack.fake.rate_limit("chat.update", retry_after=7)
    await slack.press(render.A_CLAIM, ticket.id)
    await slack.settle()
    updates = lambda: [c for c in slack.fake.calls_to("chat.update", channel=STAFF_CHANNEL) if c.ok]  # noqa: E731
    assert updates() == [] and slack.fake.calls_to("chat.update")[0].status == 429
    slack.clock.advance(seconds=5)
    await slack.settle()
    assert updates() == []  # not before Retry-After
    slack.clock.advance(seconds=3)
    await slack.settle()
    assert len(updates()) >= 1 and "Alice (Slack)" in slack.card_fields(updates()[-1].args)


async def test_a_deleted_card_is_posted_again_with_its_conversation(slack: SlackHarness):
    ticket = await slack.open_ticket()
    old = await slack.card(ticket.id)
    slack.fake.fail("chat.update", "message_not_found", ts=old.message_id, times=None)
    await slack.press(render.A_CLAIM, ticket.id)
    await slack.settle()
    new = await slack.card(ticket.id)
    assert new.message_id != old.message_id
    assert [m["blocks"][1]["text"]["text"] for m in await slack.staff_thread(ticket.id)] == ["It smokes."]


async def test_a_requester_who_cannot_be_dmed_does_not_block_the_staff_card(slack: SlackHarness):
    slack.fake.fail("conversations.open", "cannot_dm_bot", times=None)
    ticket = await slack.open_ticket()
    assert len(cards_posted(slack)) == 1
    await slack.press(render.A_CLAIM, ticket.id)
    await slack.settle()
    assert [c for c in slack.fake.calls_to("chat.update") if c.ok]


async def test_a_web_api_error_in_a_listener_gets_an_apology(slack: SlackHarness, expect_logged_errors):
    expect_logged_errors(r"Slack API error in a listener .*expired_trigger_id")
    slack.fake.fail("views.open", "expired_trigger_id")
    await slack.command("", user=BOB)
    told = await slack.fake.wait_for("response_url")
    assert "Sorry, something went wrong" in told["text"] and told["response_type"] == "ephemeral"


async def test_rate_limited_listener_call_is_answered_not_lost(slack: SlackHarness, expect_logged_errors):
    expect_logged_errors(r"Slack API error in a listener .*ratelimited")
    slack.fake.rate_limit("views.open", retry_after=3)
    await slack.command("new", user=BOB)
    told = await slack.fake.wait_for("response_url")
    assert "try again" in told["text"]
    assert await slack.desk.list_tickets(actor=slack.actor(ALICE)) == []
    _ = timedelta  # the clock is not involved: nothing was queued


async def test_a_retried_status_change_posts_each_note_once(slack: SlackHarness):
    ticket = await slack.open_ticket()  # Bob's ticket: a card for staff and a DM for Bob
    card, dm = await slack.card(ticket.id), await slack.dm(ticket.id)

    def notes(link) -> list:  # type: ignore[no-untyped-def]
        return [
            c for c in slack.fake.calls_to("chat.postMessage", channel=link.channel_id)
            if c.ok and c.args.get("thread_ts") == link.thread_id
        ]  # fmt: skip

    before_staff, before_dm = len(notes(card)), len(notes(dm))
    # the staff-thread note goes out, then Slack rate-limits the DM note: the whole event is retried later
    slack.fake.rate_limit("chat.postMessage", retry_after=2, channel=dm.channel_id)
    await slack.press(render.A_CLOSE, ticket.id)
    await slack.settle()
    assert (len(notes(card)), len(notes(dm))) == (before_staff + 1, before_dm)
    slack.clock.advance(seconds=3)
    await slack.settle()
    assert (len(notes(card)), len(notes(dm))) == (before_staff + 1, before_dm + 1), "each note once"


async def test_a_card_whose_thread_copy_was_interrupted_is_posted_once_and_the_copy_finished(slack: SlackHarness):
    # the card goes out, then Slack rate-limits the copy of the description into its thread: the event is retried
    slack.fake.rate_limit("chat.postMessage", retry_after=2, text="Bob (Slack) · requester: It smokes.")
    ticket = await slack.desk.create_ticket(subject="Printer on fire", message="It smokes.", requester=slack.actor(BOB))
    await slack.settle()
    assert len(cards_posted(slack)) == 1
    assert await slack.desk.queries.link(ticket.id, "slack", "staff_card") is None  # not linked before its copy
    slack.clock.advance(seconds=3)
    await slack.settle()
    assert len(cards_posted(slack)) == 1, "the card is posted once"
    assert [m["text"] for m in await slack.staff_thread(ticket.id)] == ["Bob (Slack) · requester: It smokes."]
    assert (await slack.dm(ticket.id)).message_id


async def test_a_requester_slack_will_never_dm_is_asked_once(slack: SlackHarness):
    slack.fake.fail("conversations.open", "cannot_dm_bot", times=None)
    ticket = await slack.open_ticket()
    for button in (render.A_CLAIM, render.A_PENDING):
        await slack.press(button, ticket.id)
        await slack.settle()
    assert len(slack.fake.calls_to("conversations.open")) == 1  # the "never" is recorded with the step
    assert await slack.desk.queries.link(ticket.id, "slack", "requester_dm") is None
    assert len([c for c in slack.fake.calls_to("chat.update") if c.ok]) == 2  # staff still see every change
