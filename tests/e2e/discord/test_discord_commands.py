"""Every /ticket command through the real bot: what the user sees, what changes, and who may do it."""

from __future__ import annotations

import asyncio

from core.model import Actor, Status
from tests.e2e.discord.app import DiscordApp
from tests.fakes.discord import FakeDiscord

SYSTEM = Actor.system()


async def wait_for_messages(app: DiscordApp, ticket_id: str, count: int) -> None:
    """Wait until the ticket's conversation has ``count`` messages (thread messages are handled async)."""

    async def enough() -> bool:
        return len(await app.desk.get_thread(ticket_id=ticket_id, actor=SYSTEM)) >= count

    for _ in range(250):
        if await enough():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{ticket_id} never reached {count} messages")


async def test_status_shows_the_ticket_to_its_requester_only(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Cannot pay", "Card declined")
    mine = await (await fake.slash(fake.alice, "ticket status", ticket=ticket_id)).reply()
    assert mine.ephemeral and mine.embed["title"] == f"{ticket_id} · Cannot pay"
    assert "Card declined" in mine.embed_field("Latest messages")
    in_thread = await (await fake.slash(fake.alice, "ticket status", channel=thread)).reply()
    assert in_thread.embed["title"].startswith(ticket_id)
    other = await (await fake.slash(fake.bob, "ticket status", ticket=ticket_id)).reply()
    assert other.content == f"⚠️ ticket {ticket_id} not found"
    staff = await (await fake.slash(fake.sam, "ticket status", ticket=ticket_id.lower())).reply()
    assert staff.embed["title"].startswith(ticket_id)


async def test_a_command_needs_a_ticket_outside_a_ticket_thread(app: DiscordApp, fake: FakeDiscord) -> None:
    answer = await (await fake.slash(fake.alice, "ticket close")).reply()
    assert answer.content == "⚠️ give a ticket id (like TKT-B3X9C), or run this inside the ticket's thread"
    bad = await (await fake.slash(fake.alice, "ticket status", ticket="nope")).reply()
    assert bad.content.startswith("⚠️ 'nope' is not a ticket id")


async def test_list_shows_own_tickets_and_the_staff_queue(app: DiscordApp, fake: FakeDiscord) -> None:
    a, _, _ = await app.open_ticket(fake.alice, "Alice one")
    b, _, _ = await app.open_ticket(fake.bob, "Bob one")
    alice = await (await fake.slash(fake.alice, "ticket list")).reply()
    assert alice.embed["title"] == "Your tickets" and a in alice.embed["description"] and b not in alice.text()
    queue = await (await fake.slash(fake.sam, "ticket list")).reply()
    assert queue.embed["title"] == "Support queue" and a in queue.text() and b in queue.text()
    closed = await (await fake.slash(fake.alice, "ticket list", status="closed")).reply()
    assert closed.embed["description"] == "No tickets."


async def test_close_in_thread_posts_transcripts_asks_for_rating_and_locks(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Broken export", "CSV is empty")
    await fake.send_message(fake.sam, thread, "Fixed on our side, please retry.")
    await wait_for_messages(app, ticket_id, 2)
    await app.desk.add_note(
        ticket_id=ticket_id, content="root cause: cron", actor=Actor("slack", "U1", "Sam", is_staff=True)
    )
    answer = await (await fake.slash(fake.alice, "ticket close", channel=thread, reason="works now")).reply()
    assert answer.content == f"🔒 {ticket_id} is now Closed (resolved) — works now." and answer.ephemeral
    await app.settle()

    ticket = await app.desk.get_ticket(ticket_id=ticket_id, actor=SYSTEM)
    assert ticket.status is Status.CLOSED
    card = app.card(thread)
    assert card.embed_field("Status").endswith("Closed")
    assert [c["custom_id"] for c in card.components[0]["components"] if c.get("disabled")] == [
        f"ticket:claim:{ticket_id}",
        f"ticket:close:{ticket_id}",
    ]
    closing = fake.messages_in(thread)[-1]
    assert "was closed by" in closing.content and "Reason: works now" in closing.content
    assert closing.custom_ids() == [f"ticket:rate:{ticket_id}:{n}" for n in range(1, 6)]
    assert thread.archived and thread.locked

    log_msg = fake.messages_in(fake.log_channel)[-1]
    assert ticket_id in log_msg.content
    names = sorted(a.filename for a in log_msg.attachments)
    assert names == [f"{ticket_id}-transcript.html", f"{ticket_id}-transcript.md"]
    md = next(a for a in log_msg.attachments if a.filename.endswith(".md")).text
    assert "CSV is empty" in md and "Fixed on our side" in md and "root cause: cron" in md  # staff copy
    html = next(a for a in log_msg.attachments if a.filename.endswith(".html")).text
    assert html.startswith("<!doctype html>") and "Broken export" in html

    dm = fake.dm_messages(fake.alice)
    assert len(dm) == 1 and len(dm[0].attachments) == 2
    requester_md = next(a for a in dm[0].attachments if a.filename.endswith(".md")).text
    assert "Fixed on our side" in requester_md and "root cause" not in requester_md  # notes stay internal


async def test_rating_is_stored_and_counted_in_stats(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Rate me")
    await (await fake.slash(fake.sam, "ticket close", ticket=ticket_id)).reply()
    await app.settle()
    prompt = fake.messages_in(thread)[-1]
    by_staff = await (await fake.click(fake.sam, prompt, f"ticket:rate:{ticket_id}:5")).reply()
    assert by_staff.content == f"⚠️ only the requester can rate {ticket_id}"
    thanks = await (await fake.click(fake.alice, prompt, f"ticket:rate:{ticket_id}:4")).reply()
    assert thanks.ephemeral and thanks.content == f"Thank you: {ticket_id} is rated ★★★★☆ (4/5)."
    assert (await app.desk.get_ticket(ticket_id=ticket_id, actor=SYSTEM)).rating == 4
    stats = await (await fake.slash(fake.sam, "ticket stats")).reply()
    assert stats.embed_field("CSAT") == "4.00 / 5 (1)"
    assert stats.embed_field("Closed") == "1"


async def test_stats_are_for_staff(app: DiscordApp, fake: FakeDiscord) -> None:
    stats = await (await fake.slash(fake.alice, "ticket stats")).reply()
    assert stats.content == "⚠️ only support staff can see statistics"


async def test_a_requester_searches_only_their_own_tickets(app: DiscordApp, fake: FakeDiscord) -> None:
    alice = Actor("discord", str(fake.alice.id), "Alice Example")
    mine = []
    for n in range(12):  # more than a page; closed as they go (the open limit is 3)
        ticket = await app.desk.create_ticket(subject=f"Printer jam {n}", requester=alice)
        await app.desk.close_ticket(ticket_id=ticket.id, actor=alice)
        mine.append(ticket.id)
    bobs, _, _ = await app.open_ticket(fake.bob, "Printer jam too")
    others = await app.desk.create_ticket(subject="Printer jam elsewhere", requester=Actor("slack", "U1", "Sally"))

    first = await (await fake.slash(fake.alice, "ticket search", query="printer")).reply()
    assert first.ephemeral and first.embed["title"] == "Search: 12 results"
    assert first.embed["footer"]["text"] == "Page 1/2"
    nxt = first.components[0]["components"][1]
    click = await fake.click(fake.alice, first, nxt["custom_id"])
    assert await click.response() == 6
    await fake.wait_until(lambda: first.embed["footer"]["text"] == "Page 2/2", what="the second page")
    seen = {tid for tid in mine if tid in first.text()}
    assert len(seen) == 2 and bobs not in first.text() and others.id not in first.text()

    bob = await (await fake.slash(fake.bob, "ticket search", query="printer")).reply()
    assert bob.embed["title"] == "Search: 1 result" and bobs in bob.embed["description"]
    staff = await (await fake.slash(fake.sam, "ticket search", query="printer")).reply()
    assert staff.embed["title"] == "Search: 14 results"


async def test_search_is_paginated_with_buttons(app: DiscordApp, fake: FakeDiscord) -> None:
    for n in range(13):
        await app.desk.create_ticket(subject=f"Printer jam {n}", requester=Actor("slack", f"U{n}", f"User {n}"))
    await app.desk.create_ticket(subject="Unrelated", requester=Actor("slack", "U99", "Other"))
    first = await (await fake.slash(fake.sam, "ticket search", query="printer")).reply()
    assert first.embed["title"] == "Search: 13 results" and first.embed["footer"]["text"] == "Page 1/2"
    assert first.embed["description"].count("Printer jam") == 10 and first.ephemeral
    prev, nxt = first.components[0]["components"]
    assert prev["disabled"] and not nxt["disabled"]
    click = await fake.click(fake.sam, first, nxt["custom_id"])
    assert await click.response() == 6
    await fake.wait_until(lambda: first.embed["footer"]["text"] == "Page 2/2")
    assert first.embed["description"].count("Printer jam") == 3
    assert first.components[0]["components"][1]["disabled"]
    bad = await (await fake.slash(fake.sam, "ticket search", query='status:nope "')).reply()
    assert bad.content.startswith("⚠️ ")


async def test_assign_claim_and_priority_update_the_card(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Slow site")
    card = app.card(thread)
    refused = await (await fake.slash(fake.alice, "ticket assign", ticket=ticket_id)).reply()
    assert refused.content == "⚠️ only support staff can do that"
    not_staff = await (await fake.slash(fake.sam, "ticket assign", ticket=ticket_id, member=fake.bob)).reply()
    assert not_staff.content == "⚠️ Bob Example is not in the support team; only staff can be assigned"
    assert (await app.desk.get_ticket(ticket_id=ticket_id, actor=SYSTEM)).assignee is None  # refused by core
    done = await (await fake.slash(fake.sam, "ticket assign", ticket=ticket_id, member=fake.sam)).reply()
    assert done.content == f"🙋 {ticket_id} is assigned to Sam Support (Discord)."
    await app.settle()
    assert card.embed_field("Assignee") == f"<@{fake.sam.id}>"

    low = await (await fake.slash(fake.alice, "ticket priority", channel=thread, level="Urgent")).reply()
    assert low.content == "⚠️ only support staff can do that"
    urgent = await (await fake.slash(fake.sam, "ticket priority", channel=thread, level="Urgent")).reply()
    assert urgent.content == f"{ticket_id} is now Urgent priority (was Medium)."
    await app.settle()
    assert card.embed_field("Priority") == "Urgent"
    renames = [c for c in fake.calls_to("PATCH /channels/{channel_id}") if "name" in (c.json or {})]
    assert renames == []  # status lives in the card, never the thread name


async def test_claim_button_is_for_staff(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Claim me")
    card = app.card(thread)
    refused = await fake.click(fake.alice, card, f"ticket:claim:{ticket_id}")
    assert await refused.response() == 6
    assert (await refused.followup()).content == "⚠️ only support staff can do that"
    claim = await fake.click(fake.sam, card, f"ticket:claim:{ticket_id}")
    assert await claim.response() == 6
    await fake.wait_until(lambda: card.embed_field("Assignee") == f"<@{fake.sam.id}>", what="the card's assignee")
    await app.settle()
    assert claim.followups == []


async def test_note_is_internal_and_for_staff(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Note it")
    posted_before = len(fake.messages_in(thread))
    refused = await (await fake.slash(fake.alice, "ticket note", channel=thread, text="psst")).reply()
    assert refused.content == "⚠️ only support staff can do that"
    ok = await (await fake.slash(fake.sam, "ticket note", channel=thread, text="customer is VIP")).reply()
    assert ok.content == f"📝 Internal note added to {ticket_id} (never shown to the requester)."
    await app.settle()
    assert len(fake.messages_in(thread)) == posted_before  # nothing the requester could see
    staff_view = await app.desk.get_thread(ticket_id=ticket_id, actor=SYSTEM)
    assert [m.body for m in staff_view if m.internal] == ["customer is VIP"]


async def test_reopen_by_command_and_button_unarchives_the_thread(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Comes back")
    not_closed = await (await fake.slash(fake.alice, "ticket reopen", ticket=ticket_id)).reply()
    assert not_closed.content == f"⚠️ {ticket_id} is not closed"
    card = app.card(thread)
    close = await fake.click(fake.alice, card, f"ticket:close:{ticket_id}")
    assert await close.response() == 6
    await fake.wait_until(lambda: thread.archived and thread.locked, what="the thread to be archived and locked")

    again = await (await fake.slash(fake.alice, "ticket reopen", ticket=ticket_id)).reply()
    assert again.content == f"🔓 {ticket_id} is reopened."
    await app.settle()
    assert not thread.archived and not thread.locked
    assert card.embed_field("Status").endswith("Open")
    assert "was reopened by" in fake.messages_in(thread)[-1].content

    await (await fake.slash(fake.sam, "ticket close", ticket=ticket_id)).reply()
    await app.settle()
    reopen = await fake.click(fake.sam, app.card(thread), f"ticket:reopen:{ticket_id}")
    assert await reopen.response() == 6
    await fake.wait_until(lambda: not thread.archived, what="the thread to be unarchived")
    await app.settle()
    assert (await app.desk.get_ticket(ticket_id=ticket_id, actor=SYSTEM)).status is Status.OPEN


async def test_closing_someone_elses_ticket_is_refused(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, _, _ = await app.open_ticket(fake.alice, "Mine")
    answer = await (await fake.slash(fake.bob, "ticket close", ticket=ticket_id)).reply()
    assert answer.content == f"⚠️ ticket {ticket_id} not found"
    assert (await app.desk.get_ticket(ticket_id=ticket_id, actor=SYSTEM)).status is Status.OPEN


async def test_panel_is_posted_by_staff_only(app: DiscordApp, fake: FakeDiscord) -> None:
    refused = await (await fake.slash(fake.alice, "ticket panel")).reply()
    assert refused.content == "⚠️ only support staff can post the ticket panel"
    assert fake.messages_in(fake.general) == []
    ok = await (await fake.slash(fake.sam, "ticket panel")).reply()
    assert ok.ephemeral and ok.content.startswith("Panel posted")
    panel = fake.messages_in(fake.general)[-1]
    assert panel.custom_ids() == ["ticket:panel:open", "ticket:panel:category"]
    assert [o["value"] for o in panel.component("ticket:panel:category")["options"]] == [
        "Technical",
        "Billing",
        "General",
    ]


async def test_ticket_ids_autocomplete(app: DiscordApp, fake: FakeDiscord) -> None:
    a1, _, _ = await app.open_ticket(fake.alice, "Alpha problem")
    a2, _, _ = await app.open_ticket(fake.alice, "Beta problem")
    b1, _, _ = await app.open_ticket(fake.bob, "Bob's problem")
    mine = await fake.autocomplete(fake.alice, "ticket status", "ticket", "")
    assert {c["value"] for c in mine} == {a1, a2}
    beta = await fake.autocomplete(fake.alice, "ticket close", "ticket", "beta")
    assert [c["value"] for c in beta] == [a2] and beta[0]["name"].startswith(f"{a2} · Open · Beta")
    staff = await fake.autocomplete(fake.sam, "ticket assign", "ticket", "")
    assert {c["value"] for c in staff} == {a1, a2, b1}
    await (await fake.slash(fake.alice, "ticket close", ticket=a1)).reply()
    closed = await fake.autocomplete(fake.alice, "ticket reopen", "ticket", "")
    assert [c["value"] for c in closed] == [a1]
