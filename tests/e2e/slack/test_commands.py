"""``/ticket <subcommand>``: the core's grammar and query language, run by the desk, answered ephemerally in
words that say what changed."""

from __future__ import annotations

import pytest

from adapters.slack import render
from core.commands import AddNote, Assign, SetPriority, ShowStats, UserRef
from core.model import Priority, Status
from tests.e2e.slack.harness import ALICE, BOB, GENERAL, GUS, OLGA, STAFF_CHANNEL, SlackHarness
from tests.fakes.slack import payloads as p
from tests.fakes.slack.reading import texts_of


async def answer(slack: SlackHarness, text: str, *, user: str = ALICE) -> dict:
    """Run ``/ticket text`` and return what the user sees (via response_url)."""
    before = len(slack.fake.calls_to("response_url"))
    reply = await slack.command(text, user=user)
    assert reply.status == 200 and reply.body == b""
    call = await slack.fake.wait_for("response_url", n=before + 1)
    assert call["response_type"] == "ephemeral" and call["replace_original"] is False
    return call.args


async def test_new_with_text_opens_a_ticket_with_options(slack: SlackHarness):
    shown = await answer(slack, "new Printer <!here> on fire | paper jam priority:high category:billing", user=BOB)
    await slack.settle()
    [ticket] = await slack.desk.list_tickets(actor=slack.actor(BOB))
    assert ticket.subject == "Printer @here on fire"
    assert (ticket.priority, ticket.category) == (Priority.HIGH, "Billing")
    assert shown["blocks"][0]["text"]["text"] == f"Opened *{ticket.id}*: Printer @\u200bhere on fire."
    assert shown["blocks"][1]["elements"][0]["text"] == "Open · High · Billing · unassigned"
    card = slack.fake.message("C0STAFF", (await slack.card(ticket.id)).message_id)
    assert card["blocks"][0]["text"]["type"] == "plain_text"  # headers never ping
    [first] = await slack.staff_thread(ticket.id)
    assert first["blocks"][1]["text"]["text"] == "paper jam"


async def test_list_show_and_search(slack: SlackHarness):
    ticket = await slack.open_ticket("Login error on <b>mobile</b>", "error 500 when logging in")
    other = await slack.open_ticket("Billing question", by=OLGA)
    listed = await answer(slack, "list")
    text = " ".join(texts_of(listed["blocks"]))
    assert ticket.id in text and other.id in text and "Login error on &lt;b&gt;mobile&lt;/b&gt;" in text
    assert "Showing 1–2 of 2." in text and "due in 1 d" in text  # the response clock in words
    own = await answer(slack, "list", user=BOB)
    own_text = " ".join(texts_of(own["blocks"]))
    assert ticket.id in own_text and other.id not in own_text  # requesters see only their own
    shown = await answer(slack, f"show {ticket.id.lower()}", user=BOB)
    assert shown["blocks"][0]["text"]["text"].startswith(ticket.id)
    assert any("error 500" in b.get("text", {}).get("text", "") for b in shown["blocks"] if b["type"] == "section")
    found = await answer(slack, 'search "error 500" status:open')
    found_text = " ".join(b["text"]["text"] for b in found["blocks"] if b["type"] == "section")
    assert ticket.id in found_text and other.id not in found_text
    mine = await answer(slack, "search error", user=BOB)  # a requester searches their own tickets
    assert ticket.id in " ".join(texts_of(mine["blocks"]))
    by_person = await answer(slack, f"search requester:<@{OLGA}|olga>")  # a mention names the person
    by_person_text = " ".join(texts_of(by_person["blocks"]))
    assert other.id in by_person_text and ticket.id not in by_person_text


async def test_bad_search_syntax_is_a_clear_message(slack: SlackHarness):
    shown = await answer(slack, "search created:yesterday..banana")
    assert ":warning:" in shown["blocks"][0]["text"]["text"]


async def test_staff_subcommands_change_the_ticket_and_the_card(slack: SlackHarness):
    ticket = await slack.open_ticket()
    assigned = await answer(slack, f"assign {ticket.id} <@{GUS}|gus>")
    assert assigned["text"] == f"{ticket.id} is assigned to Gus (Slack)."
    prioritised = await answer(slack, f"priority {ticket.id} urgent")
    assert prioritised["text"] == f"{ticket.id} is now Urgent priority (was Medium)."
    await slack.settle()
    now = await slack.ticket(ticket.id)
    assert now.assignee is not None and now.assignee.user_id == GUS and now.assignee.name == "Gus"
    assert now.priority is Priority.URGENT
    card = await slack.card(ticket.id)
    update = slack.fake.calls_to("chat.update", ts=card.message_id)[-1]
    assert "Gus (Slack)" in slack.card_fields(update.args) and "Urgent" in slack.card_fields(update.args)
    closed = await answer(slack, f"close {ticket.id} fixed the &lt;b&gt;toner&lt;/b&gt;")  # as Slack sends "<b>"
    assert closed["text"] == f"{ticket.id} is now Closed (resolved) — fixed the &lt;b&gt;toner&lt;/b&gt;."
    await slack.settle()
    after = await slack.ticket(ticket.id)
    assert (after.status, after.close_reason) == (Status.CLOSED, "fixed the <b>toner</b>")
    # the reason travels with the change: on the card, in the staff thread and in the requester's DM
    card = slack.fake.message(STAFF_CHANNEL, (await slack.card(ticket.id)).message_id)
    assert "closed: fixed the &lt;b&gt;toner&lt;/b&gt;" in " ".join(texts_of(card["blocks"]))
    assert any(
        m["text"] == "Status Open → Closed by Alice (Slack) — fixed the &lt;b&gt;toner&lt;/b&gt;"
        for m in await slack.staff_thread(ticket.id)
    )
    assert [m["text"] for m in await slack.dm_thread(ticket.id)] == [
        "Your ticket was closed: fixed the &lt;b&gt;toner&lt;/b&gt;. Reply in this thread to reopen it."
    ]
    reopened = await answer(slack, f"reopen {ticket.id}", user=BOB)
    assert reopened["text"] == f"{ticket.id} is reopened."
    await slack.settle()
    assert (await slack.ticket(ticket.id)).status is Status.OPEN


async def test_reply_reaches_the_requester_and_note_does_not(slack: SlackHarness):
    ticket = await slack.open_ticket()
    sent = await answer(slack, f"reply {ticket.id} Please restart it")
    assert sent["text"] == f"Sent to the requester of {ticket.id}; it is now Pending (waiting on the requester)."
    noted = await answer(slack, f"note {ticket.id} probably the fuser")
    assert noted["text"] == f"Internal note added to {ticket.id} (never shown to the requester)."
    await slack.settle()
    dm = [m["blocks"][1]["text"]["text"] for m in await slack.dm_thread(ticket.id)]
    assert dm == ["Please restart it"]
    staff = await slack.staff_thread(ticket.id)
    reply_msg = next(m for m in staff if "Please restart it" in m["text"])
    note_msg = next(m for m in staff if "probably the fuser" in m["text"])
    assert "replied to the requester" in reply_msg["blocks"][0]["elements"][0]["text"]
    assert "Internal note" in note_msg["blocks"][0]["elements"][0]["text"]
    assert slack.fake.reactions("C0STAFF", reply_msg["ts"]) == {render.MARK_SENT}
    assert slack.fake.reactions("C0STAFF", note_msg["ts"]) == {render.MARK_INTERNAL}
    assert (await slack.ticket(ticket.id)).status is Status.PENDING


async def test_stats_for_staff(slack: SlackHarness):
    await slack.open_ticket()
    shown = await answer(slack, "stats", user=GUS)  # staff through the user group
    assert shown["blocks"][0]["text"]["text"] == "Support statistics"


async def test_a_staff_subcommand_by_anyone_else_gets_the_desks_refusal_and_nothing_changes(slack: SlackHarness):
    ticket = await slack.open_ticket(by=BOB)
    cases = [
        (BOB, "stats", ShowStats()),
        (BOB, f"priority {ticket.id} urgent", SetPriority(ticket.id, "urgent")),
        (BOB, f"assign {ticket.id} me", Assign(ticket.id, UserRef("me"))),
        (BOB, f"note {ticket.id} hi", AddNote(ticket.id, "hi")),
        (OLGA, "stats", ShowStats()),
        (OLGA, f"priority {ticket.id} urgent", SetPriority(ticket.id, "urgent")),
        (OLGA, f"note {ticket.id} hi", AddNote(ticket.id, "hi")),
    ]
    for user, text, command in cases:
        expected = await slack.refusal(command, user)
        shown = await answer(slack, text, user=user)
        assert expected in shown["text"] and "Sorry" not in shown["text"], (text, user, shown["text"])
    assert (await answer(slack, "stats", user=BOB))["text"] == ":no_entry: only support staff can see statistics"
    shown = await answer(slack, f"close {ticket.id}", user=OLGA)  # someone else's ticket
    assert "not found" in shown["text"]
    await slack.settle()
    after = await slack.ticket(ticket.id)
    assert (after.priority, after.assignee, after.status) == (ticket.priority, None, Status.OPEN)
    assert len(await slack.desk.get_thread(ticket_id=ticket.id, actor=slack.actor(ALICE))) == 1
    assert slack.fake.calls_to("chat.update") == []


async def test_only_staff_can_be_assigned(slack: SlackHarness):
    ticket = await slack.open_ticket(by=BOB)
    shown = await answer(slack, f"assign {ticket.id} <@{OLGA}|olga>")  # a Slack user who is not in the team
    assert shown["text"] == ":warning: Olga is not in the support team; only staff can be assigned"
    assert (await slack.ticket(ticket.id)).assignee is None


@pytest.mark.parametrize("who", ["O'Brien", '"ann', "@ann", "U0STAFF"])
async def test_assigning_someone_slack_cannot_name_says_so(slack: SlackHarness, who: str):
    ticket = await slack.open_ticket(by=BOB)
    shown = await answer(slack, f"assign {ticket.id} {who}")
    assert shown["text"].startswith(":warning: unknown user") and "Sorry" not in shown["text"]
    assert (await slack.ticket(ticket.id)).assignee is None


async def page(slack: SlackHarness, button: dict, *, user: str = ALICE, n: int, replaced: bool = True) -> dict:
    """Press a paging button on an ephemeral list; return the page that replaces it (or the answer beside it)."""
    press = p.block_action(
        slack.fake,
        button["action_id"],
        value=button["value"],
        user_id=user,
        channel_id=GENERAL,
        message={"type": "message", "ts": "1.0", "text": ""},
        block_id="ticket_pager",
    )
    press["container"]["is_ephemeral"] = True
    assert (await slack.sender.interaction(press)).status == 200
    call = await slack.fake.wait_for("response_url", n=n)
    assert call["replace_original"] is replaced and call["response_type"] == "ephemeral"
    return call.args


def pager(message: dict) -> dict[str, dict]:
    blocks = [b for b in message["blocks"] if b.get("block_id") == "ticket_pager"]
    return {e["action_id"]: e for b in blocks for e in b["elements"]}


async def test_lists_and_searches_say_what_they_show_and_page(slack: SlackHarness):
    for i in range(25):
        await slack.desk.create_ticket(subject=f"printer {i}", requester=slack.actor(BOB))
    first = await answer(slack, "list")
    assert "Showing 1–20 of 25." in texts_of(first["blocks"])
    assert len([b for b in first["blocks"] if "TKT-" in str(b)]) == 20
    assert list(pager(first)) == [render.A_PAGE_NEXT]
    second = await page(slack, pager(first)[render.A_PAGE_NEXT], n=2)
    assert "Showing 21–25 of 25." in texts_of(second["blocks"]) and second["text"].startswith("Queue:")
    assert list(pager(second)) == [render.A_PAGE_PREV]
    again = await page(slack, pager(second)[render.A_PAGE_PREV], n=3)
    assert "Showing 1–20 of 25." in texts_of(again["blocks"])

    found = await answer(slack, "search printer", user=BOB)  # the requester's own tickets, paged the same way
    assert "Showing 1–20 of 25." in texts_of(found["blocks"]) and found["text"].startswith("Search: printer")
    rest = await page(slack, pager(found)[render.A_PAGE_NEXT], user=BOB, n=5)
    assert "Showing 21–25 of 25." in texts_of(rest["blocks"]) and list(pager(rest)) == [render.A_PAGE_PREV]
    # the button remembers the query, not the person: Olga pressing Bob's button sees her own (none)
    none = await page(slack, pager(found)[render.A_PAGE_NEXT], user=OLGA, n=6)
    assert "No tickets match." in texts_of(none["blocks"]) and list(pager(none)) == [render.A_PAGE_PREV]


async def test_a_stale_paging_button_explains(slack: SlackHarness):
    told = await page(slack, {"action_id": render.A_PAGE_NEXT, "value": "not a page"}, n=1, replaced=False)
    assert told["text"] == ":warning: this list can no longer be paged; run the command again"


@pytest.mark.parametrize("settings_overrides", [{"categories": ["Tech Support", "Billing"]}])
async def test_renamed_categories_new_tickets_open_in_the_first(slack: SlackHarness):
    shown = await answer(slack, "new VPN is down", user=BOB)
    [ticket] = await slack.desk.list_tickets(actor=slack.actor(BOB))
    assert ticket.category == "Tech Support" and "Tech Support" in str(shown["blocks"])
    with_option = await answer(slack, "new Invoice wrong category:billing", user=OLGA)
    assert "Billing" in with_option["blocks"][1]["elements"][0]["text"]
    await slack.settle()
    card = slack.fake.message(STAFF_CHANNEL, (await slack.card(ticket.id)).message_id)
    options = [o["value"] for o in card["blocks"][-1]["elements"][-1]["options"]]
    assert options == [f"{ticket.id}|Tech Support", f"{ticket.id}|Billing"]


async def test_unknown_or_malformed_input_gets_short_help_in_the_ack(slack: SlackHarness):
    for text, expected in (
        ("frobnicate", "unknown command"),
        ("close", "usage: /ticket close"),
        ("close TKT-AEIOU", "is not a ticket id"),
        ("help", "/ticket search"),
    ):
        reply = await slack.command(text, user=BOB)
        body = reply.json()
        assert body["response_type"] == "ephemeral"
        assert expected in body["blocks"][0]["text"]["text"]
    await slack.settle()
    assert slack.fake.calls_to("response_url") == []


async def test_replying_to_a_missing_or_foreign_ticket_says_not_found_and_writes_nothing(slack: SlackHarness):
    ticket = await slack.open_ticket()
    for text, user in (("reply TKT-BBBBB hello", ALICE), (f"reply {ticket.id} let me in", OLGA)):
        shown = await answer(slack, text, user=user)
        assert "not found" in shown["text"] and "Sorry" not in shown["text"]
    await slack.settle()
    assert len(await slack.desk.get_thread(ticket_id=ticket.id, actor=slack.actor(ALICE))) == 1
