"""Opening tickets from Discord: /ticket open → modal → a private thread with the pinned card."""

from __future__ import annotations

import asyncio

from core.model import Actor, Status
from tests.e2e.discord.app import CALLBACK, DiscordApp, ticket_id_in
from tests.fakes.discord import FakeDiscord

STAFF = Actor("discord", "0", "system", is_staff=True)


async def test_open_creates_private_thread_with_requester_and_pinned_card(app: DiscordApp, fake: FakeDiscord) -> None:
    ix = await fake.slash(fake.alice, "ticket open")
    assert await ix.response() == 9  # the modal is the first response
    assert [c["label"] for c in ix.modal["components"]] == ["Subject", "Description", "Category", "Priority"]
    submit = await app.submit_open_modal(ix, "Login fails", "500 after password", category="Technical", priority="High")
    answer = await submit.reply()
    assert submit.response_type == 5 and answer.ephemeral
    ticket_id = ticket_id_in(answer.content)
    thread = await app.thread_of(ticket_id)
    assert f"<#{thread.id}>" in answer.content

    ticket = await app.desk.get_ticket(ticket_id=ticket_id, actor=STAFF)
    assert (ticket.subject, ticket.category, ticket.priority.value, ticket.status) == (
        "Login fails",
        "Technical",
        "High",
        Status.OPEN,
    )
    assert ticket.requester.platform == "discord" and ticket.requester.user_id == str(fake.alice.id)
    assert ticket.requester.name == "Alice Example"

    assert thread.type == 12 and thread.parent_id == fake.support.id and not thread.invitable
    assert fake.alice.id in thread.members  # added by the card's mention
    assert ticket_id in thread.name
    card = app.card(thread)
    assert card.embed["title"] == f"{ticket_id} · Login fails"
    assert card.embed["description"] == "500 after password"
    assert card.embed_field("Status").endswith("Open")
    assert (card.embed_field("Priority"), card.embed_field("Category")) == ("High", "Technical")
    assert card.embed_field("Requester") == f"<@{fake.alice.id}>"
    assert card.custom_ids() == [f"ticket:claim:{ticket_id}", f"ticket:close:{ticket_id}", f"ticket:reopen:{ticket_id}"]
    assert card.allowed_mentions["parse"] == [] and card.allowed_mentions["users"] == [fake.alice.id]
    assert card.mentions == [fake.alice] and not card.mention_roles and not card.mention_everyone
    await app.settle()
    assert [c.status for c in fake.calls_to(CALLBACK)] == [200, 200]


async def test_opening_costs_three_rate_limited_rest_calls(app: DiscordApp, fake: FakeDiscord) -> None:
    before = len(fake.calls)
    ticket_id, thread, _ = await app.open_ticket(fake.alice)
    await app.settle()
    made = fake.calls[before:]
    limited = [c.key for c in made if not c.exempt]
    assert sorted(limited) == sorted(
        [
            "POST /channels/{channel_id}/threads",
            "POST /channels/{channel_id}/messages",
            "PUT /channels/{channel_id}/messages/pins/{message_id}",
        ]
    )
    exempt = [c.key for c in made if c.exempt]
    assert exempt.count(CALLBACK) == 2  # the modal, then the deferred reply
    assert len(exempt) == 3  # + the follow-up answer


async def test_the_open_limit_refuses_a_fourth_ticket_clearly(app: DiscordApp, fake: FakeDiscord) -> None:
    for n in range(3):
        await app.open_ticket(fake.alice, f"Problem {n}")
    threads_before = len(fake.threads())
    ix = await fake.slash(fake.alice, "ticket open")
    answer = await (await app.submit_open_modal(ix, "One too many")).reply()
    assert answer.ephemeral
    assert answer.content == "⚠️ you already have 3 open tickets; close one or reply in an existing ticket"
    await app.settle()
    assert len(fake.threads()) == threads_before
    mine = await app.desk.list_tickets(actor=STAFF, limit=50)
    assert len(mine) == 3


async def test_concurrent_opens_by_one_user_respect_the_limit(app: DiscordApp, fake: FakeDiscord) -> None:
    modals = [await fake.slash(fake.bob, "ticket open") for _ in range(5)]
    submits = await asyncio.gather(*(app.submit_open_modal(ix, f"Burst {n}") for n, ix in enumerate(modals)))
    answers = [await s.reply() for s in submits]
    opened = [a for a in answers if "is open" in a.content]
    refused = [a for a in answers if "you already have 3 open tickets" in a.content]
    assert (len(opened), len(refused)) == (3, 2)
    await app.settle()
    assert len(fake.threads()) == 3


async def test_a_duplicated_interaction_makes_one_ticket(app: DiscordApp, fake: FakeDiscord) -> None:
    fake.allow(40060)  # the second delivery's defer is refused by Discord, as it should be
    ix = await fake.slash(fake.alice, "ticket open")
    await ix.response()
    submit_values = {"subject": "Double", "description": "sent twice"}
    submit = await fake.submit_modal(ix, submit_values)
    await fake.redeliver(submit)  # the gateway delivers the same INTERACTION_CREATE again
    answer = await submit.reply()
    await app.settle()
    tickets = await app.desk.list_tickets(actor=STAFF, limit=50)
    assert [t.id for t in tickets] == [ticket_id_in(answer.content)]
    assert len(fake.threads()) == 1
    callbacks = [c.status for c in fake.calls_to(CALLBACK, interaction_id=submit.id)]
    assert sorted(callbacks) == [200, 400]


async def test_blank_subject_is_refused_and_nothing_is_created(app: DiscordApp, fake: FakeDiscord) -> None:
    ix = await fake.slash(fake.alice, "ticket open")
    answer = await (await app.submit_open_modal(ix, "   ")).reply()
    assert answer.content == "⚠️ the subject is required" and answer.ephemeral
    assert await app.desk.list_tickets(actor=STAFF) == []
    assert fake.threads() == []


async def test_long_text_is_cut_to_discord_limits(app: DiscordApp, fake: FakeDiscord) -> None:
    subject = "S" * 150
    description = "word " * 800  # 4,000 characters
    ticket_id, thread, answer = await app.open_ticket(fake.alice, subject, description)
    card = app.card(thread)
    assert len(card.embed["title"]) <= 256 and len(card.embed["description"]) <= 1500
    assert len(thread.name) <= 100
    thread_msgs = await app.desk.get_thread(ticket_id=ticket_id, actor=STAFF)
    assert thread_msgs[0].body == description.strip()  # stored whole; only the card is cut


async def test_a_ticket_from_another_platform_gets_a_discord_thread(app: DiscordApp, fake: FakeDiscord) -> None:
    slack_user = Actor("slack", "U123", "Sally Slack")
    ticket = await app.desk.create_ticket(subject="VPN down", message="since 9am", requester=slack_user)
    thread = await app.thread_of(ticket.id)
    await app.settle()
    card = app.card(thread)
    assert card.embed_field("Requester") == "Sally Slack (Slack)"
    assert card.content.startswith("New ticket from Sally Slack (Slack)")
    assert card.mentions == [] and thread.members == {fake.bot_user.id}
    assert card.embed["footer"]["text"] == "Opened via Slack"
