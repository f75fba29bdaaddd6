"""Opening tickets from Slack: the /ticket modal, its validation, and what appears afterwards."""

from __future__ import annotations

import pytest

from adapters.slack import render
from tests.e2e.slack.harness import ALICE, BOB, GENERAL, STAFF_CHANNEL, SlackHarness


async def open_modal(slack: SlackHarness, *, user: str = BOB) -> dict:
    reply = await slack.command("", user=user)
    assert reply.status == 200 and reply.body == b""  # acked at once, the modal comes via views.open
    call = await slack.fake.wait_for("views.open", where=lambda c: c.ok)
    return call.response["view"]


async def test_ticket_with_no_text_opens_the_new_ticket_modal(slack: SlackHarness):
    view = await open_modal(slack)
    assert view["callback_id"] == render.CB_NEW
    assert [b["block_id"] for b in view["blocks"]] == ["subject", "category", "priority", "description", "files"]
    assert view["blocks"][4]["element"]["type"] == "file_input" and view["blocks"][4]["optional"] is True


@pytest.mark.parametrize("settings_overrides", [{"categories": ["Tech Support", "Billing"]}])
async def test_the_modal_offers_the_configured_categories_starting_with_the_first(slack: SlackHarness):
    view = await open_modal(slack)
    select = next(b for b in view["blocks"] if b["block_id"] == "category")["element"]
    assert [o["value"] for o in select["options"]] == ["Tech Support", "Billing"]
    assert select["initial_option"]["value"] == "Tech Support"
    await slack.submit_new_ticket(view, category=select["initial_option"]["value"])
    await slack.settle()
    [ticket] = await slack.desk.list_tickets(actor=slack.actor(BOB))
    assert ticket.category == "Tech Support"


async def test_submitting_the_modal_opens_a_ticket_with_card_thread_and_dm(slack: SlackHarness):
    view = await open_modal(slack)
    files = [
        {
            "id": "F1",
            "name": "smoke.png",
            "mimetype": "image/png",
            "size": 1234,
            "permalink": "https://fake-team.slack.com/files/U0REQ/F1/smoke.png",
        }
    ]
    reply = await slack.submit_new_ticket(view, subject="  Printer   on fire ", priority="Urgent", files=files)
    assert reply.status == 200 and reply.body == b""  # the modal closes
    await slack.settle()

    [ticket] = await slack.desk.list_tickets(actor=slack.actor(ALICE))
    assert (ticket.subject, ticket.priority.value, ticket.category) == ("Printer on fire", "Urgent", "Technical")
    assert (
        ticket.requester.user_id == BOB
        and ticket.requester.name == "Bob"
        and ticket.requester.email == "bob@example.com"
    )
    [message] = await slack.desk.get_thread(ticket_id=ticket.id, actor=slack.actor(ALICE))
    assert message.body == "It smokes." and message.attachments[0].name == "smoke.png"

    card = await slack.card(ticket.id)
    assert card.channel_id == STAFF_CHANNEL
    posted = slack.fake.message(STAFF_CHANNEL, card.message_id)
    assert posted["blocks"][0]["text"]["text"] == f"{ticket.id} · Printer on fire"
    fields = slack.card_fields(posted)
    for expected in ("Bob (Slack)", "Technical", "Urgent", "Open", "unassigned", "*SLA*\ndue in 1 h · <!date^"):
        assert expected in fields
    post = slack.fake.calls_to("chat.postMessage", channel=STAFF_CHANNEL)[0]
    assert post["unfurl_links"] is False and "link_names" not in post.args

    [mirrored] = await slack.staff_thread(ticket.id)
    assert "*Bob* (Slack) · requester" in mirrored["blocks"][0]["elements"][0]["text"]
    assert mirrored["blocks"][1]["text"]["text"] == "It smokes."
    assert "smoke.png" in mirrored["blocks"][2]["elements"][0]["text"]

    dm = await slack.dm(ticket.id)
    assert dm.channel_id == "D" + BOB[1:]
    dm_card = slack.fake.message(dm.channel_id, dm.message_id)
    assert dm_card["blocks"][-1]["elements"][0]["action_id"] == render.A_CLOSE

    confirm = await slack.fake.wait_for("chat.postEphemeral", channel=GENERAL, user=BOB)
    assert confirm["text"] == f"Opened {ticket.id}: Printer on fire."


@pytest.mark.parametrize(
    ("fields", "block"),
    [
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 151}, "subject"),
        ({"category": None}, "category"),
        ({"priority": "Whenever"}, "priority"),
    ],
)
async def test_invalid_modal_submit_returns_errors_inside_the_modal(slack: SlackHarness, fields: dict, block: str):
    view = await open_modal(slack)
    reply = await slack.submit_new_ticket(view, **fields)
    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == [block]
    await slack.settle()
    assert await slack.desk.list_tickets(actor=slack.actor(ALICE)) == []
    assert slack.fake.calls_to("chat.postMessage") == []


async def test_open_ticket_limit_is_shown_inside_the_modal(slack: SlackHarness):
    slack.desk.max_open_per_user = 1
    await slack.open_ticket("first")
    view = await open_modal(slack)
    reply = await slack.submit_new_ticket(view, subject="second")
    answer = reply.json()
    assert answer["response_action"] == "errors" and "open tickets" in answer["errors"]["subject"]
    assert len(await slack.desk.list_tickets(actor=slack.actor(ALICE))) == 1
