"""Tickets made from Slack messages: the :ticket: reaction in watched channels and the message shortcut."""

from __future__ import annotations

import pytest

from adapters.slack import render
from core.model import Role
from tests.e2e.slack.harness import ALICE, BOB, GUS, HELP_CHANNEL, OLGA, SlackHarness
from tests.fakes.slack import payloads as p


def seed_thread(slack: SlackHarness, channel: str = HELP_CHANNEL) -> tuple[str, str]:
    """Bob asks for help; Olga and Gus chime in; Bob adds detail. Returns (root ts, Bob's detail ts)."""
    root = slack.fake.add_message(channel, "VPN drops every 5 minutes\nsince the update <!here>", user=BOB)
    slack.fake.add_message(channel, "same for me", user=OLGA, thread_ts=root)
    slack.fake.add_message(channel, "looking", user=GUS, thread_ts=root)
    detail = slack.fake.add_message(channel, "on macOS 15", user=BOB, thread_ts=root)
    slack.fake.add_message(channel, "beep", user="U0ZAP", thread_ts=root, bot_id="B0ZAP")
    return root, detail


async def react(slack: SlackHarness, ts: str, *, user: str, channel: str = HELP_CHANNEL, author: str = BOB) -> None:
    event = p.reaction_added_event(channel=channel, ts=ts, user=user, item_user=author)
    assert (await slack.sender.event(event)).status == 200
    await slack.settle()


async def test_ticket_reaction_by_staff_opens_a_ticket_for_the_author_with_the_whole_thread(slack: SlackHarness):
    root, _ = seed_thread(slack)
    await react(slack, root, user=ALICE)
    [ticket] = await slack.desk.list_tickets(actor=slack.actor(ALICE))
    assert ticket.requester.user_id == BOB and ticket.subject == "VPN drops every 5 minutes"
    thread = await slack.desk.get_thread(ticket_id=ticket.id, actor=slack.actor(ALICE))
    assert [(m.author.user_id, m.role, m.internal, m.body) for m in thread] == [
        (BOB, Role.REQUESTER, False, "VPN drops every 5 minutes\nsince the update @here"),
        (ALICE, Role.STAFF, True, "Olga wrote in Slack: same for me"),  # kept by the importer
        (GUS, Role.STAFF, True, "looking"),
        (BOB, Role.REQUESTER, False, "on macOS 15"),
    ]
    said = slack.fake.calls_to("chat.postMessage", channel=HELP_CHANNEL)
    assert len(said) == 1 and said[0]["thread_ts"] == root and ticket.id in said[0]["text"]
    assert len(await slack.staff_thread(ticket.id)) == 4  # the imported conversation is in the card's thread


@pytest.mark.parametrize("settings_overrides", [{"categories": ["Tech Support", "Billing"]}])
async def test_a_reaction_opens_the_ticket_in_the_first_configured_category(slack: SlackHarness):
    root, _ = seed_thread(slack)
    await react(slack, root, user=ALICE)
    [ticket] = await slack.desk.list_tickets(actor=slack.actor(ALICE))
    assert ticket.category == "Tech Support"


async def test_a_second_reaction_or_a_retry_opens_no_second_ticket(slack: SlackHarness):
    root, _ = seed_thread(slack)
    await react(slack, root, user=ALICE)
    await react(slack, root, user=GUS)
    assert len(await slack.desk.list_tickets(actor=slack.actor(ALICE))) == 1
    assert len(slack.fake.calls_to("chat.postMessage", channel=HELP_CHANNEL)) == 1


async def test_reactions_elsewhere_or_by_bystanders_do_nothing(slack: SlackHarness):
    root, _ = seed_thread(slack, channel="C0RANDOM")
    await react(slack, root, user=ALICE, channel="C0RANDOM")  # not a watched channel
    help_root, _ = seed_thread(slack)
    await react(slack, help_root, user=OLGA)  # neither staff nor the author: the desk refuses, Olga learns why
    told = await slack.fake.wait_for("chat.postEphemeral", user=OLGA)
    assert told["text"] == ":no_entry: only support staff can open a ticket for someone else"
    assert (told["channel"], told["thread_ts"]) == (HELP_CHANNEL, help_root)
    other = p.reaction_added_event(channel=HELP_CHANNEL, ts=help_root, user=ALICE, item_user=BOB, reaction="eyes")
    await slack.sender.event(other)
    await slack.settle()
    assert await slack.desk.list_tickets(actor=slack.actor(ALICE)) == []
    assert slack.fake.calls_to("chat.postMessage") == []
    assert len(slack.fake.calls_to("chat.postEphemeral")) == 1


async def test_the_author_may_flag_their_own_message(slack: SlackHarness):
    _, detail = seed_thread(slack)
    await react(slack, detail, user=BOB)  # a reply: the whole thread comes along
    [ticket] = await slack.desk.list_tickets(actor=slack.actor(ALICE))
    assert ticket.subject == "on macOS 15"
    bodies = [m.body for m in await slack.desk.get_thread(ticket_id=ticket.id, actor=slack.actor(ALICE))]
    assert bodies[0] == "on macOS 15" and "VPN drops every 5 minutes\nsince the update @here" in bodies


async def test_message_shortcut_prefills_the_modal_and_imports_the_thread(slack: SlackHarness):
    root, detail = seed_thread(slack, channel="C0ANY")
    shortcut = p.message_shortcut(slack.fake, channel_id="C0ANY", message_ts=root, user_id=ALICE)
    assert (await slack.sender.interaction(shortcut)).status == 200
    call = await slack.fake.wait_for("views.open", where=lambda c: c.ok)
    view = call.response["view"]
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["subject"]["element"]["initial_value"] == "VPN drops every 5 minutes"
    assert blocks["description"]["element"]["initial_value"] == "VPN drops every 5 minutes\nsince the update @here"
    reply = await slack.submit_new_ticket(
        view, user=ALICE, subject="VPN drops", description="VPN drops every 5 minutes"
    )
    assert reply.status == 200 and reply.body == b""
    await slack.settle()
    [ticket] = await slack.desk.list_tickets(actor=slack.actor(ALICE))
    assert ticket.requester.user_id == BOB  # staff open it for the author
    bodies = [m.body for m in await slack.desk.get_thread(ticket_id=ticket.id, actor=slack.actor(ALICE))]
    assert bodies == ["VPN drops every 5 minutes", "Olga wrote in Slack: same for me", "looking", "on macOS 15"]
    again = p.message_shortcut(slack.fake, channel_id="C0ANY", message_ts=root, user_id=GUS)
    await slack.sender.interaction(again)
    told = await slack.fake.wait_for("response_url")
    assert f"already has ticket {ticket.id}" in told["text"]
    assert len([c for c in slack.fake.calls_to("views.open") if c.ok]) == 1
    assert slack.fake.calls_to("conversations.replies", channel="C0ANY")
    assert detail  # Bob's detail was imported (above)


async def test_shortcut_by_a_non_staff_user_opens_the_ticket_for_themselves(slack: SlackHarness):
    root, _ = seed_thread(slack, channel="C0ANY")
    await slack.sender.interaction(p.message_shortcut(slack.fake, channel_id="C0ANY", message_ts=root, user_id=OLGA))
    view = (await slack.fake.wait_for("views.open", where=lambda c: c.ok)).response["view"]
    await slack.submit_new_ticket(view, user=OLGA, subject="me too")
    await slack.settle()
    [ticket] = await slack.desk.list_tickets(actor=slack.actor(ALICE))
    assert ticket.requester.user_id == OLGA
    assert render.CB_NEW == view["callback_id"]
