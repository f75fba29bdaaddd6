"""The staff card's buttons and selects, the requester's DM buttons, and refusals for everyone else."""

from __future__ import annotations

import pytest

from adapters.slack import render
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
    assert view["callback_id"] == render.CB_REPLY and view["private_metadata"] == ticket.id
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


@pytest.mark.parametrize(
    ("action", "selected"),
    [
        (render.A_CLAIM, None),
        (render.A_PENDING, None),
        (render.A_CLOSE, None),
        (render.A_REPLY, None),
        (render.A_PRIORITY, "Urgent"),
        (render.A_CATEGORY, "Billing"),
    ],
)
async def test_non_staff_pressing_a_staff_button_is_refused_and_nothing_changes(
    slack: SlackHarness, action: str, selected: str | None
):
    ticket = await slack.open_ticket()
    before_updates = len(slack.fake.calls_to("chat.update"))
    await slack.press(action, ticket.id, user=OLGA, selected=selected)
    refusal = await slack.fake.wait_for("response_url")
    assert refusal["response_type"] == "ephemeral" and ":no_entry:" in refusal["text"]
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
