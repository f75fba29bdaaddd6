"""Thread = conversation: requester DM threads, the staff card thread, reply modes, retries, loops."""

from __future__ import annotations

import pytest

from adapters.slack import render
from core.commands import AddNote
from core.model import Role, Status
from tests.e2e.slack.harness import ALICE, BOB, GUS, OLGA, STAFF_CHANNEL, SlackHarness
from tests.fakes.slack import BOT_ID, BOT_USER_ID
from tests.fakes.slack import payloads as p


async def thread_bodies(slack: SlackHarness, ticket_id: str) -> list[tuple[str, str, bool]]:
    return [
        (m.author.user_id, m.body, m.internal)
        for m in await slack.desk.get_thread(ticket_id=ticket_id, actor=slack.actor(ALICE))
    ]


async def test_requester_reply_in_dm_thread_is_mirrored_with_name_and_platform(slack: SlackHarness):
    ticket = await slack.open_ticket()
    await slack.press(render.A_PENDING, ticket.id)
    await slack.settle()
    reply, _ = await slack.say_in_thread(ticket.id, "Still <!everyone> smoking &", user=BOB, where="dm")
    assert reply.status == 200
    await slack.settle()
    assert (await thread_bodies(slack, ticket.id))[-1] == (BOB, "Still @everyone smoking &", False)
    assert (await slack.ticket(ticket.id)).status is Status.OPEN  # a requester reply reopens Pending
    mirrored = (await slack.staff_thread(ticket.id))[-1]
    assert "*Bob* (Slack) · requester" in mirrored["blocks"][0]["elements"][0]["text"]
    assert mirrored["blocks"][1]["text"]["text"] == "Still @\u200beveryone smoking &amp;"
    echoed = [m for m in await slack.dm_thread(ticket.id) if m.get("bot_id") and "smoking" in m["text"]]
    assert echoed == []  # typed there: no echo


async def test_messages_from_another_platform_are_mirrored_with_its_name(slack: SlackHarness):
    ticket = await slack.open_ticket("VPN down", "since 9am", platform="discord")
    [first] = await slack.staff_thread(ticket.id)
    assert "*Dana* (Discord) · requester" in first["blocks"][0]["elements"][0]["text"]
    await slack.desk.add_message(ticket_id=ticket.id, actor=slack.actor(ALICE), content="Which office?")
    await slack.settle()
    staff_reply = (await slack.staff_thread(ticket.id))[-1]
    assert slack.fake.reactions(STAFF_CHANNEL, staff_reply["ts"]) == {render.MARK_HANDED_OFF}
    assert slack.fake.calls_to("conversations.open") == []  # the requester is on Discord: no Slack DM


async def test_explicit_mode_thread_messages_are_internal_notes(slack: SlackHarness):
    ticket = await slack.open_ticket()
    _, ts = await slack.say_in_thread(ticket.id, "I think it's the fuser", user=GUS)
    await slack.settle()
    assert (await thread_bodies(slack, ticket.id))[-1] == (GUS, "I think it's the fuser", True)
    assert slack.fake.reactions(STAFF_CHANNEL, ts) == {render.MARK_INTERNAL}
    assert await slack.dm_thread(ticket.id) == []
    assert [m for m in await slack.staff_thread(ticket.id) if "fuser" in m["text"]] == [
        slack.fake.message(STAFF_CHANNEL, ts)
    ]


@pytest.mark.parametrize("slack_overrides", [{"reply_mode": "thread"}])
async def test_thread_mode_sends_thread_messages_except_notes(slack: SlackHarness):
    ticket = await slack.open_ticket()
    _, reply_ts = await slack.say_in_thread(ticket.id, "Please restart it", user=ALICE)
    await slack.settle()  # typed seconds apart, as people do (two events at once may be handled in either order)
    _, note_ts = await slack.say_in_thread(ticket.id, "Note:  check the logs", user=ALICE)
    await slack.settle()
    bodies = await thread_bodies(slack, ticket.id)
    assert bodies[-2:] == [(ALICE, "Please restart it", False), (ALICE, "check the logs", True)]
    assert [m["blocks"][1]["text"]["text"] for m in await slack.dm_thread(ticket.id)] == ["Please restart it"]
    assert slack.fake.reactions(STAFF_CHANNEL, reply_ts) == {render.MARK_SENT}
    assert slack.fake.reactions(STAFF_CHANNEL, note_ts) == {render.MARK_INTERNAL}
    staff = await slack.staff_thread(ticket.id)
    assert [m["ts"] for m in staff if "restart" in m["text"]] == [reply_ts]  # not echoed back as a copy
    assert (await slack.ticket(ticket.id)).status is Status.PENDING


async def test_non_staff_message_in_the_staff_thread_is_not_recorded(slack: SlackHarness):
    ticket = await slack.open_ticket()
    expected = await slack.refusal(AddNote(ticket.id, "me too!"), OLGA)  # the desk decides, not the adapter
    await slack.say_in_thread(ticket.id, "me too!", user=OLGA)
    told = await slack.fake.wait_for("chat.postEphemeral", user=OLGA)
    assert told["text"] == f":warning: {expected}" and ticket.id in told["text"]
    assert told["thread_ts"] == (await slack.card(ticket.id)).thread_id
    assert len(await thread_bodies(slack, ticket.id)) == 1


async def test_a_requester_message_that_reopens_says_so(slack: SlackHarness):
    ticket = await slack.open_ticket()
    await slack.desk.close_ticket(ticket_id=ticket.id, actor=slack.actor(ALICE), reason="fixed")
    await slack.settle()
    await slack.say_in_thread(ticket.id, "it broke again", user=BOB, where="dm")
    told = await slack.fake.wait_for("chat.postEphemeral", user=BOB)
    assert told["text"] == f"Added to {ticket.id}; it is reopened."
    assert told["thread_ts"] == (await slack.dm(ticket.id)).thread_id
    assert (await slack.ticket(ticket.id)).status is Status.OPEN
    await slack.say_in_thread(ticket.id, "still broken", user=BOB, where="dm")  # an ordinary reply: no answer
    await slack.settle()
    assert len(slack.fake.calls_to("chat.postEphemeral", user=BOB)) == 1


async def test_a_requester_message_long_after_closing_opens_a_follow_up_and_says_which(slack: SlackHarness):
    ticket = await slack.open_ticket()
    await slack.desk.close_ticket(ticket_id=ticket.id, actor=slack.actor(ALICE))
    await slack.settle()
    slack.clock.advance(days=8)  # past the reopen window
    await slack.say_in_thread(ticket.id, "it broke again", user=BOB, where="dm")
    told = await slack.fake.wait_for("chat.postEphemeral", user=BOB)
    await slack.settle()
    [follow_up] = [t for t in await slack.desk.list_tickets(actor=slack.actor(BOB)) if t.id != ticket.id]
    assert follow_up.reopened_from == ticket.id
    assert told["text"] == (
        f"{ticket.id} was closed too long ago to reopen, so your message opened {follow_up.id} "
        f"(a follow-up of {ticket.id})."
    )
    assert (await slack.ticket(ticket.id)).status is Status.CLOSED
    assert "it broke again" in [m["blocks"][1]["text"]["text"] for m in await slack.staff_thread(follow_up.id)]
    assert (await slack.dm(follow_up.id)).message_id  # the follow-up has its own DM card


async def test_files_shared_in_the_thread_become_attachments(slack: SlackHarness):
    ticket = await slack.open_ticket()
    dm = await slack.dm(ticket.id)
    ts = slack.fake.add_message(dm.channel_id, "", user=BOB, thread_ts=dm.thread_id)
    files = [
        {
            "id": "F9",
            "name": "log.txt",
            "mimetype": "text/plain",
            "size": 10,
            "url_private": "https://files.slack.test/F9",
        }
    ]
    event = p.message_event(
        channel=dm.channel_id, text="", user=BOB, ts=ts, thread_ts=dm.thread_id, channel_type="im", files=files
    )
    await slack.sender.event(event)
    await slack.settle()
    [*_, last] = await slack.desk.get_thread(ticket_id=ticket.id, actor=slack.actor(ALICE))
    assert last.role is Role.REQUESTER and [a.name for a in last.attachments] == ["log.txt"]


async def test_bot_messages_and_edits_are_ignored(slack: SlackHarness):
    ticket = await slack.open_ticket()
    card = await slack.card(ticket.id)
    ours = p.message_event(
        channel=STAFF_CHANNEL,
        text="echo",
        user=BOT_USER_ID,
        ts=slack.fake.next_ts(),
        thread_ts=card.thread_id,
        bot_id=BOT_ID,
    )
    other_bot = p.message_event(
        channel=STAFF_CHANNEL,
        text="beep",
        user="U0ZAP",
        ts=slack.fake.next_ts(),
        thread_ts=card.thread_id,
        bot_id="B0ZAP",
    )
    edit = p.message_event(
        channel=STAFF_CHANNEL,
        text="x",
        user=ALICE,
        ts=slack.fake.next_ts(),
        thread_ts=card.thread_id,
        subtype="message_changed",
    )
    for event in (ours, other_bot, edit):
        assert (await slack.sender.event(event)).status == 200
    await slack.settle()
    assert len(await thread_bodies(slack, ticket.id)) == 1
    assert slack.fake.calls_to("chat.postEphemeral") == [] and slack.fake.calls_to("reactions.add") == []


async def test_a_retried_event_has_no_second_effect(slack: SlackHarness):
    ticket = await slack.open_ticket()
    link = await slack.dm(ticket.id)
    ts = slack.fake.add_message(link.channel_id, "one more thing", user=BOB, thread_ts=link.thread_id)
    envelope = p.event_callback(
        p.message_event(
            channel=link.channel_id, text="one more thing", user=BOB, ts=ts, thread_ts=link.thread_id, channel_type="im"
        ),
        event_id="Ev0RETRY1",
    )
    first = await slack.sender.event(envelope=envelope)
    await slack.settle()
    again = await slack.sender.event(envelope=envelope, retry_num=1, retry_reason="http_timeout")
    await slack.settle()
    assert first.status == again.status == 200
    assert [b for _, b, _ in await thread_bodies(slack, ticket.id)].count("one more thing") == 1
    assert len([m for m in await slack.staff_thread(ticket.id) if "one more thing" in m["text"]]) == 1


async def test_a_retry_whose_first_try_never_committed_is_processed(slack: SlackHarness):
    ticket = await slack.open_ticket()
    link = await slack.dm(ticket.id)
    ts = slack.fake.add_message(link.channel_id, "are you there?", user=BOB, thread_ts=link.thread_id)
    event = p.message_event(
        channel=link.channel_id, text="are you there?", user=BOB, ts=ts, thread_ts=link.thread_id, channel_type="im"
    )
    # the first delivery died before our commit (we never saw it): Slack's retry #2 is the one that counts
    await slack.sender.event(event, event_id="Ev0LOST", retry_num=2, retry_reason="http_error")
    await slack.settle()
    await slack.sender.event(event, event_id="Ev0LOST", retry_num=3, retry_reason="http_error")
    await slack.settle()
    assert [b for _, b, _ in await thread_bodies(slack, ticket.id)].count("are you there?") == 1


async def test_messages_in_unrelated_threads_are_ignored(slack: SlackHarness):
    root = slack.fake.add_message("C0GENERAL", "lunch?", user=BOB)
    ts = slack.fake.add_message("C0GENERAL", "yes", user=ALICE, thread_ts=root)
    await slack.sender.event(p.message_event(channel="C0GENERAL", text="yes", user=ALICE, ts=ts, thread_ts=root))
    await slack.settle()
    assert slack.fake.calls == [c for c in slack.fake.calls if c.method in ("auth.test",)]
