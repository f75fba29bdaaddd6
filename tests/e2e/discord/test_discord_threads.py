"""The ticket thread both ways: Discord messages become ticket messages; other platforms' messages appear
in the thread under their author's name and platform, never pinging anyone."""

from __future__ import annotations

import asyncio

from core.model import Actor, Attachment, Role, Status
from tests.e2e.discord.app import DiscordApp
from tests.fakes.discord import FakeDiscord

SYSTEM = Actor.system()
SLACK_STAFF = Actor("slack", "U0STAFF", "Sam from Slack", is_staff=True)


async def conversation(app: DiscordApp, ticket_id: str, count: int) -> list:
    for _ in range(250):
        thread = await app.desk.get_thread(ticket_id=ticket_id, actor=SYSTEM)
        if len(thread) >= count:
            return thread
        await asyncio.sleep(0.02)
    raise AssertionError(f"{ticket_id} never reached {count} messages")


async def test_requester_message_with_attachment_is_a_ticket_message(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Screenshot inside")
    sent = await fake.send_message(
        fake.alice, thread, "here is the error", attachments=[("error.png", b"\x89PNG" + b"0" * 2044, "image/png")]
    )
    messages = await conversation(app, ticket_id, 2)
    last = messages[-1]
    assert (last.body, last.role, last.author.user_id) == ("here is the error", Role.REQUESTER, str(fake.alice.id))
    assert last.attachments == (
        Attachment(name="error.png", url=sent.attachments[0].url, size=2048, content_type="image/png"),
    )
    await app.settle()
    assert fake.messages_in(thread)[-1].id == sent.id  # nothing echoed back into Discord


async def test_staff_message_in_thread_is_a_staff_reply_and_sets_pending(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Waiting on support")
    card = app.card(thread)
    await fake.send_message(fake.sam, thread, "Could you try again now?")
    messages = await conversation(app, ticket_id, 2)
    assert messages[-1].role is Role.STAFF and messages[-1].author.user_id == str(fake.sam.id)
    await fake.wait_until(lambda: card.embed_field("Status").endswith("Pending"), what="the card to show Pending")
    ticket = await app.desk.get_ticket(ticket_id=ticket_id, actor=SYSTEM)
    assert ticket.status is Status.PENDING and ticket.first_response_at is not None
    await fake.send_message(fake.alice, thread, "Still broken")
    await fake.wait_until(lambda: card.embed_field("Status").endswith("Open"), what="the card to show Open again")


async def test_a_member_who_is_neither_requester_nor_staff_is_told(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Private matter")
    await fake.send_message(fake.alice, thread, f"<@{fake.bob.id}> can you see this?")  # mention adds Bob
    assert fake.bob.id in thread.members
    await fake.send_message(fake.bob, thread, "I can!")
    await fake.wait_until(lambda: fake.messages_in(thread)[-1].author == fake.bot_user, what="the bot's answer")
    answer = fake.messages_in(thread)[-1]
    assert answer.content == (
        f"⚠️ only the requester and the support team write in {ticket_id}; this message was not added to the ticket"
    )
    assert answer.mentions == [] and answer.message_reference is not None
    messages = await app.desk.get_thread(ticket_id=ticket_id, actor=SYSTEM)
    assert [m.body for m in messages if m.author.user_id == str(fake.bob.id)] == []


async def test_replies_from_slack_appear_in_the_thread_with_name_and_platform(
    app: DiscordApp, fake: FakeDiscord
) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Cross platform")
    await app.desk.admin_reply_to_ticket(
        ticket_id=ticket_id,
        content=f"Hello @everyone and <@&{fake.staff_role.id}>, we are on it",
        actor=SLACK_STAFF,
        attachments=[
            Attachment(name="fix.txt", url="https://files.example/fix.txt", size=120, content_type="text/plain")
        ],
    )
    await app.settle()
    relayed = fake.messages_in(thread)[-1]
    assert relayed.author == fake.bot_user
    assert relayed.content.startswith("**Sam from Slack** · Slack · support\nHello @everyone")
    assert "📎 [fix.txt, 120 B](https://files.example/fix.txt)" in relayed.content
    assert relayed.allowed_mentions == {"parse": []}
    assert not relayed.mention_everyone and relayed.mention_roles == [] and relayed.mentions == []
    assert app.card(thread).embed_field("Status").endswith("Pending")


async def test_internal_notes_and_discord_messages_are_not_echoed(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Quiet")
    count = len(fake.messages_in(thread))
    await app.desk.add_note(ticket_id=ticket_id, content="secret note", actor=SLACK_STAFF)
    await fake.send_message(fake.alice, thread, "from discord")
    await conversation(app, ticket_id, 3)
    await app.settle()
    assert len(fake.messages_in(thread)) == count + 1  # only Alice's own message
    assert all("secret note" not in m.content for m in fake.messages_in(thread))


async def test_relayed_text_is_cut_to_2000_characters(app: DiscordApp, fake: FakeDiscord) -> None:
    ticket_id, thread, _ = await app.open_ticket(fake.alice, "Long answer")
    await app.desk.admin_reply_to_ticket(ticket_id=ticket_id, content="x" * 5000, actor=SLACK_STAFF)
    await app.settle()
    relayed = fake.messages_in(thread)[-1]
    assert len(relayed.content) == 2000 and relayed.content.endswith("…")


async def test_a_requester_reply_from_slack_reopens_the_archived_thread(app: DiscordApp, fake: FakeDiscord) -> None:
    slack_user = Actor("slack", "U7", "Sally")
    ticket = await app.desk.create_ticket(subject="Closed then answered", requester=slack_user)
    thread = await app.thread_of(ticket.id)
    await app.desk.close_ticket(ticket_id=ticket.id, actor=slack_user)
    await app.settle()
    assert thread.archived and thread.locked
    await app.desk.reply_to_ticket(ticket_id=ticket.id, content="actually, not fixed", actor=slack_user)
    await app.settle()
    assert not thread.archived and not thread.locked
    texts = [m.content for m in fake.messages_in(thread)]
    assert any(t.startswith("**Sally** · Slack · requester\nactually, not fixed") for t in texts)
    assert app.card(thread).embed_field("Status").endswith("Open")
