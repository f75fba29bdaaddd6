"""``/ticket <subcommand>``: the core's grammar and query language, answered ephemerally."""

from __future__ import annotations

from adapters.slack import render
from core.model import Priority, Status
from tests.e2e.slack.harness import ALICE, BOB, GUS, OLGA, SlackHarness


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
    assert f"Opened: *{ticket.id}*" in shown["blocks"][0]["text"]["text"]
    card = slack.fake.message("C0STAFF", (await slack.card(ticket.id)).message_id)
    assert card["blocks"][0]["text"]["type"] == "plain_text"  # headers never ping
    [first] = await slack.staff_thread(ticket.id)
    assert first["blocks"][1]["text"]["text"] == "paper jam"


async def test_list_show_and_search(slack: SlackHarness):
    ticket = await slack.open_ticket("Login error on <b>mobile</b>", "error 500 when logging in")
    other = await slack.open_ticket("Billing question", by=OLGA)
    listed = await answer(slack, "list")
    text = " ".join(b["text"]["text"] for b in listed["blocks"])
    assert ticket.id in text and other.id in text and "Login error on &lt;b&gt;mobile&lt;/b&gt;" in text
    own = await answer(slack, "list", user=BOB)
    own_text = " ".join(b["text"]["text"] for b in own["blocks"])
    assert ticket.id in own_text and other.id not in own_text  # requesters see only their own
    shown = await answer(slack, f"show {ticket.id.lower()}", user=BOB)
    assert shown["blocks"][0]["text"]["text"].startswith(ticket.id)
    assert any("error 500" in b.get("text", {}).get("text", "") for b in shown["blocks"] if b["type"] == "section")
    found = await answer(slack, 'search "error 500" status:open')
    found_text = " ".join(b["text"]["text"] for b in found["blocks"] if b["type"] == "section")
    assert ticket.id in found_text and other.id not in found_text


async def test_bad_search_syntax_is_a_clear_message(slack: SlackHarness):
    shown = await answer(slack, "search created:yesterday..banana")
    assert ":warning:" in shown["blocks"][0]["text"]["text"]


async def test_staff_subcommands_change_the_ticket_and_the_card(slack: SlackHarness):
    ticket = await slack.open_ticket()
    await answer(slack, f"assign {ticket.id} <@{GUS}|gus>")
    await answer(slack, f"priority {ticket.id} urgent")
    await slack.settle()
    now = await slack.ticket(ticket.id)
    assert now.assignee is not None and now.assignee.user_id == GUS and now.assignee.name == "Gus"
    assert now.priority is Priority.URGENT
    card = await slack.card(ticket.id)
    update = slack.fake.calls_to("chat.update", ts=card.message_id)[-1]
    assert "Gus (Slack)" in slack.card_fields(update.args) and "Urgent" in slack.card_fields(update.args)
    await answer(slack, f"close {ticket.id} fixed the toner")
    await slack.settle()
    assert (await slack.ticket(ticket.id)).status is Status.CLOSED
    await answer(slack, f"reopen {ticket.id}", user=BOB)
    await slack.settle()
    assert (await slack.ticket(ticket.id)).status is Status.OPEN


async def test_reply_reaches_the_requester_and_note_does_not(slack: SlackHarness):
    ticket = await slack.open_ticket()
    await answer(slack, f"reply {ticket.id} Please restart it")
    await answer(slack, f"note {ticket.id} probably the fuser")
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


async def test_non_staff_running_a_staff_subcommand_is_refused_and_nothing_changes(slack: SlackHarness):
    ticket = await slack.open_ticket()
    for text in ("stats", f"priority {ticket.id} urgent", f"assign {ticket.id} me", f"note {ticket.id} hi"):
        shown = await answer(slack, text, user=OLGA)
        assert ":no_entry: Only support staff" in shown["blocks"][0]["text"]["text"]
    shown = await answer(slack, f"close {ticket.id}", user=OLGA)  # someone else's ticket
    assert "not found" in shown["text"]
    await slack.settle()
    after = await slack.ticket(ticket.id)
    assert (after.priority, after.assignee, after.status) == (ticket.priority, None, Status.OPEN)
    assert slack.fake.calls_to("chat.update") == []


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
