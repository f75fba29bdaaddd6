"""App Home: the requester's tickets; for staff the queue (unassigned first, by SLA due), paginated."""

from __future__ import annotations

from adapters.slack import render
from core.model import Priority, Status
from tests.e2e.slack.harness import ALICE, BOB, GUS, OLGA, SlackHarness, reply_values
from tests.fakes.slack import payloads as p
from tests.fakes.slack.reading import texts_of


async def open_home(slack: SlackHarness, user: str) -> dict:
    before = len(slack.fake.calls_to("views.publish", user_id=user))
    await slack.sender.event(p.app_home_opened_event(user=user))
    call = await slack.fake.wait_for("views.publish", user_id=user, n=before + 1)
    assert call.ok, call.response
    return call.args["view"]


async def test_requester_sees_their_own_tickets(slack: SlackHarness):
    mine = await slack.open_ticket("my printer", by=BOB)
    await slack.open_ticket("not mine", by=OLGA)
    view = await open_home(slack, BOB)
    text = " ".join(texts_of(view))
    assert "Your tickets" in text and mine.id in text and "not mine" not in text
    actions = [b for b in view["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == [render.A_CLOSE]


async def test_staff_see_the_queue_unassigned_first_then_by_sla_due(slack: SlackHarness):
    low = await slack.open_ticket("low one")
    urgent = await slack.open_ticket("urgent one")
    claimed = await slack.open_ticket("claimed one")
    await slack.desk.set_priority(ticket_id=low.id, priority=Priority.LOW, actor=slack.actor(ALICE))
    await slack.desk.set_priority(ticket_id=urgent.id, priority=Priority.URGENT, actor=slack.actor(ALICE))
    await slack.desk.claim_ticket(ticket_id=claimed.id, actor=slack.actor(GUS))
    view = await open_home(slack, GUS)
    ids = [b["block_id"].split("|")[-1] for b in view["blocks"] if b.get("block_id", "").startswith("home_ticket|")]
    assert ids == [urgent.id, low.id, claimed.id]
    assert view["blocks"][0]["text"]["text"] == "Support queue"


async def test_home_buttons_act_and_republish(slack: SlackHarness):
    ticket = await slack.open_ticket()
    view = await open_home(slack, ALICE)
    stored = slack.fake.home[ALICE]
    press = p.block_action(
        slack.fake, render.A_CLAIM, value=ticket.id, user_id=ALICE, view=stored, block_id=f"home_actions|0|{ticket.id}"
    )
    await slack.sender.interaction(press)
    republished = await slack.fake.wait_for("views.publish", user_id=ALICE, n=2)
    assert f"{ticket.id} is assigned to Alice (Slack)." in " ".join(texts_of(republished.args["view"])).replace("*", "")
    await slack.settle()
    assert (await slack.ticket(ticket.id)).assignee.user_id == ALICE
    assert view["type"] == "home"
    refused = p.block_action(
        slack.fake, render.A_CLAIM, value=ticket.id, user_id=OLGA, view=stored, block_id=f"home_actions|0|{ticket.id}"
    )
    await slack.sender.interaction(refused)
    notice = await slack.fake.wait_for("views.publish", user_id=OLGA)
    assert ":no_entry: only support staff can do that" in texts_of(notice.args["view"])


async def test_home_is_paginated_within_100_blocks(slack: SlackHarness):
    for i in range(render.HOME_PAGE_SIZE + 5):
        await slack.desk.create_ticket(subject=f"ticket {i}", requester=slack.actor(BOB))
    view = await open_home(slack, ALICE)
    assert len(view["blocks"]) <= 100
    pager = next(b for b in view["blocks"] if b.get("block_id") == "home_pager")
    [nxt] = pager["elements"]
    assert (nxt["action_id"], nxt["value"]) == (render.A_HOME_NEXT, str(render.HOME_PAGE_SIZE))
    await slack.sender.interaction(
        p.block_action(
            slack.fake,
            nxt["action_id"],
            value=nxt["value"],
            user_id=ALICE,
            view=slack.fake.home[ALICE],
            block_id="home_pager",
        )
    )
    page2 = (await slack.fake.wait_for("views.publish", user_id=ALICE, n=2)).args["view"]
    shown = [b for b in page2["blocks"] if b.get("block_id", "").startswith("home_ticket|")]
    assert len(shown) == 5
    assert [
        e["action_id"] for e in next(b for b in page2["blocks"] if b.get("block_id") == "home_pager")["elements"]
    ] == [render.A_HOME_PREV]
    assert Status.OPEN  # queue shows open tickets


async def test_a_reply_from_the_home_tab_is_answered_there(slack: SlackHarness):
    ticket = await slack.open_ticket()
    await open_home(slack, ALICE)
    press = p.block_action(
        slack.fake, render.A_REPLY, value=ticket.id, user_id=ALICE, view=slack.fake.home[ALICE],
        block_id=f"home_actions|0|{ticket.id}",
    )  # fmt: skip
    await slack.sender.interaction(press)
    view = (await slack.fake.wait_for("views.open", where=lambda c: c.ok)).response["view"]
    await slack.sender.interaction(p.view_submission(slack.fake, view, reply_values("Try again now"), user_id=ALICE))
    home = await slack.fake.wait_for("views.publish", user_id=ALICE, n=2)
    said = " ".join(texts_of(home.args["view"])).replace("*", "")
    assert f"Sent to the requester of {ticket.id}; it is now Pending (waiting on the requester)." in said
    await slack.settle()
    assert [m["blocks"][1]["text"]["text"] for m in await slack.dm_thread(ticket.id)] == ["Try again now"]
