"""The staff card's buttons and selects, the requester's DM buttons, and the desk's refusals for everyone else.

Every button is a core command run for whoever pressed it: what they may do is the desk's rule, and its
refusal is what they read.
"""

from __future__ import annotations

import json

import pytest

from adapters.slack import render
from core.commands import ChangeStatus, Claim, Close, Command, SetCategory, SetPriority
from core.model import Priority, Status
from tests.e2e.slack.harness import ALICE, BOB, GUS, OLGA, STAFF_CHANNEL, SlackHarness, reply_values
from tests.fakes.slack import payloads as p


async def card_after(slack: SlackHarness, ticket_id: str) -> dict:
    """The card as staff now see it (after the last chat.update)."""
    card = await slack.card(ticket_id)
    return slack.fake.message(STAFF_CHANNEL, card.message_id)


async def test_claim_assigns_the_presser_and_updates_the_card_in_place(slack: SlackHarness):
    ticket = await slack.open_ticket()
    reply = await slack.press(render.A_CLAIM, ticket.id, user=GUS)
    assert reply.status == 200
    await slack.settle()
    assert (await slack.ticket(ticket.id)).assignee.user_id == GUS
    card = await card_after(slack, ticket.id)
    assert "Gus (Slack)" in slack.card_fields(card) and card.get("edited")
    assert (
        len(slack.fake.calls_to("chat.postMessage", channel=STAFF_CHANNEL, where=lambda c: "thread_ts" not in c.args))
        == 1
    )


async def test_pending_close_and_reopen(slack: SlackHarness):
    ticket = await slack.open_ticket()
    await slack.press(render.A_PENDING, ticket.id)
    await slack.settle()
    assert (await slack.ticket(ticket.id)).status is Status.PENDING
    assert "Pending" in slack.card_fields(await card_after(slack, ticket.id))
    await slack.press(render.A_CLOSE, ticket.id)
    await slack.settle()
    assert (await slack.ticket(ticket.id)).status is Status.CLOSED
    card = await card_after(slack, ticket.id)
    assert [e["action_id"] for e in card["blocks"][-1]["elements"]][:2] == [render.A_REPLY, render.A_REOPEN]
    assert any("Your ticket was closed" in m["text"] for m in await slack.dm_thread(ticket.id))  # requester told
    assert any(
        "→ *Closed* by Alice" in m["blocks"][0]["elements"][0]["text"] for m in await slack.staff_thread(ticket.id)
    )
    await slack.press(render.A_REOPEN, ticket.id)
    await slack.settle()
    assert (await slack.ticket(ticket.id)).status is Status.OPEN


async def test_priority_and_category_selects(slack: SlackHarness):
    ticket = await slack.open_ticket()
    await slack.press(render.A_PRIORITY, ticket.id, selected="Urgent")
    await slack.press(render.A_CATEGORY, ticket.id, selected="Billing")
    await slack.settle()
    after = await slack.ticket(ticket.id)
    assert (after.priority, after.category) == (Priority.URGENT, "Billing")
    actions = (await card_after(slack, ticket.id))["blocks"][-1]["elements"]
    assert actions[-2]["initial_option"]["value"] == f"{ticket.id}|Urgent"
    assert actions[-1]["initial_option"]["value"] == f"{ticket.id}|Billing"


async def test_reply_button_opens_a_modal_whose_submission_reaches_the_requester(slack: SlackHarness):
    ticket = await slack.open_ticket()
    await slack.press(render.A_REPLY, ticket.id)
    call = await slack.fake.wait_for("views.open", where=lambda c: c.ok)
    view = call.response["view"]
    assert view["callback_id"] == render.CB_REPLY
    assert json.loads(view["private_metadata"]) == {"ticket_id": ticket.id, "channel": STAFF_CHANNEL}
    empty = await slack.sender.interaction(p.view_submission(slack.fake, view, reply_values("  "), user_id=ALICE))
    assert empty.json()["response_action"] == "errors" and "body" in empty.json()["errors"]
    sent = await slack.sender.interaction(
        p.view_submission(slack.fake, view, reply_values("Try <!channel> power-cycling"), user_id=ALICE)
    )
    assert sent.status == 200 and sent.body == b""
    await slack.settle()
    [dm] = await slack.dm_thread(ticket.id)
    assert dm["blocks"][1]["text"]["text"] == "Try &lt;!channel&gt; power-cycling"
    assert "*Alice* · support" in dm["blocks"][0]["elements"][0]["text"]
    mirrored = [m for m in await slack.staff_thread(ticket.id) if "power-cycling" in m["text"]]
    assert len(mirrored) == 1 and slack.fake.reactions(STAFF_CHANNEL, mirrored[0]["ts"]) == {render.MARK_SENT}
    assert (await slack.ticket(ticket.id)).status is Status.PENDING
    # the modal is gone: Alice reads what her reply did, privately, where she pressed Reply
    told = await slack.fake.wait_for("chat.postEphemeral", channel=STAFF_CHANNEL, user=ALICE)
    assert told["text"] == f"Sent to the requester of {ticket.id}; it is now Pending (waiting on the requester)."


STAFF_BUTTONS: list[tuple[str, str | None]] = [
    (render.A_CLAIM, None),
    (render.A_PENDING, None),
    (render.A_PRIORITY, "Urgent"),
    (render.A_CATEGORY, "Billing"),
]


def command_of(action: str, ticket_id: str, selected: str | None) -> Command:
    """The core command a button stands for (what the desk is asked)."""
    return {
        render.A_CLAIM: lambda: Claim(ticket_id),
        render.A_PENDING: lambda: ChangeStatus(ticket_id, Status.PENDING),
        render.A_CLOSE: lambda: Close(ticket_id),
        render.A_PRIORITY: lambda: SetPriority(ticket_id, selected or ""),
        render.A_CATEGORY: lambda: SetCategory(ticket_id, selected or ""),
    }[action]()


async def assert_refused_and_unchanged(slack: SlackHarness, ticket, user: str, action: str, selected: str | None):  # type: ignore[no-untyped-def]
    before_updates = len(slack.fake.calls_to("chat.update"))
    expected = await slack.refusal(command_of(action, ticket.id, selected), user)
    await slack.press(action, ticket.id, user=user, selected=selected)
    shown = await slack.fake.wait_for("response_url")
    assert shown["response_type"] == "ephemeral"
    assert expected in shown["text"], (expected, shown["text"])  # the desk's own words
    await slack.settle()
    after = await slack.ticket(ticket.id)
    assert (after.status, after.priority, after.category, after.assignee) == (
        ticket.status,
        ticket.priority,
        ticket.category,
        None,
    )
    assert len(slack.fake.calls_to("chat.update")) == before_updates
    assert not [c for c in slack.fake.calls_to("views.open") if c.ok]
    return shown


@pytest.mark.parametrize(("action", "selected"), STAFF_BUTTONS)
async def test_a_requester_pressing_a_staff_button_gets_the_desks_refusal_and_nothing_changes(
    slack: SlackHarness, action: str, selected: str | None
):
    ticket = await slack.open_ticket(by=BOB)  # Bob's own ticket: he sees it, but staff work it
    shown = await assert_refused_and_unchanged(slack, ticket, BOB, action, selected)
    assert shown["text"] == ":no_entry: only support staff can do that"


@pytest.mark.parametrize(("action", "selected"), [*STAFF_BUTTONS, (render.A_CLOSE, None)])
async def test_someone_elses_ticket_is_refused_by_the_desk_and_nothing_changes(
    slack: SlackHarness, action: str, selected: str | None
):
    ticket = await slack.open_ticket(by=BOB)
    shown = await assert_refused_and_unchanged(slack, ticket, OLGA, action, selected)
    assert "Sorry" not in shown["text"]


async def test_the_reply_form_opens_for_staff_only(slack: SlackHarness):
    ticket = await slack.open_ticket(by=BOB)
    await slack.press(render.A_REPLY, ticket.id, user=BOB)  # the requester may see the ticket, not answer as staff
    refused = await slack.fake.wait_for("response_url")
    assert refused["text"] == ":no_entry: only support staff can reply to the requester"
    await slack.press(render.A_REPLY, ticket.id, user=OLGA)  # a stranger does not even learn it exists
    hidden = await slack.fake.wait_for("response_url", n=2)
    assert hidden["text"] == f":warning: ticket {ticket.id} not found"
    assert not [c for c in slack.fake.calls_to("views.open") if c.ok]
    await slack.press(render.A_REPLY, ticket.id, user=GUS)  # staff through the user group
    assert (await slack.fake.wait_for("views.open", where=lambda c: c.ok)).response["view"]["callback_id"] == (
        render.CB_REPLY
    )


async def test_a_requester_may_close_their_ticket_from_any_button(slack: SlackHarness):
    ticket = await slack.open_ticket(by=BOB)
    await slack.press(render.A_CLOSE, ticket.id, user=BOB)  # the staff card's Close: the desk lets him
    await slack.settle()
    assert (await slack.ticket(ticket.id)).status is Status.CLOSED
    assert slack.fake.calls_to("response_url") == []


async def test_the_requester_closes_and_reopens_from_their_dm(slack: SlackHarness):
    ticket = await slack.open_ticket()
    await slack.press(render.A_CLOSE, ticket.id, user=BOB, where="dm")
    await slack.settle()
    assert (await slack.ticket(ticket.id)).status is Status.CLOSED
    dm = await slack.dm(ticket.id)
    assert slack.fake.message(dm.channel_id, dm.message_id)["blocks"][-1]["elements"][0]["action_id"] == render.A_REOPEN
    assert not any("Your ticket was closed" in m["text"] for m in await slack.dm_thread(ticket.id))  # they did it
    await slack.press(render.A_REOPEN, ticket.id, user=BOB, where="dm")
    await slack.settle()
    assert (await slack.ticket(ticket.id)).status is Status.OPEN


async def test_a_stale_button_explains_instead_of_failing(slack: SlackHarness):
    ticket = await slack.open_ticket()
    await slack.press(render.A_CLOSE, ticket.id)
    await slack.settle()
    await slack.press(render.A_CLOSE, ticket.id)  # an old card still showing Close
    shown = await slack.fake.wait_for("response_url")
    assert ":warning:" in shown["text"] and "closed" in shown["text"].lower()


async def test_the_requester_hears_of_status_changes_but_not_twice(slack: SlackHarness):
    ticket = await slack.open_ticket()
    await slack.press(render.A_PENDING, ticket.id)  # no reply: the requester is told support waits on them
    await slack.settle()
    await slack.desk.reply_to_ticket(ticket_id=ticket.id, content="here you go", actor=slack.actor(BOB))
    await slack.desk.add_message(ticket_id=ticket.id, actor=slack.actor(ALICE), content="thanks, fixed?")
    await slack.settle()  # Pending again, implied by the reply itself
    notes = [m["text"] for m in await slack.dm_thread(ticket.id)]
    assert notes == ["Support answered and is waiting for your reply.", "Alice · support: thanks, fixed?"]
