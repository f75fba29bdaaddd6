"""After a restart (a new bot process against the same database) the panel, the card buttons and the
ticket threads keep working: everything they need is in custom_ids and database links."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from core.model import Actor, Status
from tests.e2e.discord.app import DiscordApp, ticket_id_in
from tests.fakes.discord import FakeDiscord

SYSTEM = Actor.system()


async def wait_for_body(app: DiscordApp, ticket_id: str, body: str) -> None:
    for _ in range(250):
        if body in [m.body for m in await app.desk.get_thread(ticket_id=ticket_id, actor=SYSTEM)]:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{body!r} never reached {ticket_id}")


async def test_panel_cards_and_threads_work_after_a_restart(
    make_app: Callable[..., Awaitable[DiscordApp]], fake: FakeDiscord
) -> None:
    first = await make_app()
    await (await fake.slash(fake.sam, "ticket panel", channel=fake.support)).reply()
    panel = fake.messages_in(fake.support)[-1]
    old_id, old_thread, _ = await first.open_ticket(fake.alice, "Before the restart")
    await first.settle()
    await first.stop()

    second = await make_app()
    assert len(fake.identifies) == 2
    # the panel's button opens the modal, and the modal opens a ticket
    click = await fake.click(fake.bob, panel, "ticket:panel:open")
    assert await click.response() == 9
    answer = await (await second.submit_open_modal(click, "After the restart")).reply()
    new_id = ticket_id_in(answer.content)
    new_thread = await second.thread_of(new_id)
    assert fake.bob.id in new_thread.members

    # the category select preselects the category in the modal
    pick = await fake.click(fake.bob, panel, "ticket:panel:category", values=["Billing"])
    assert await pick.response() == 9
    category = pick.modal["components"][2]["component"]
    assert [o["value"] for o in category["options"] if o.get("default")] == ["Billing"]
    billed = await (await second.submit_open_modal(pick, "Invoice wrong")).reply()
    billed_ticket = await second.desk.get_ticket(ticket_id=ticket_id_in(billed.content), actor=SYSTEM)
    assert billed_ticket.category == "Billing"

    # the old ticket's thread and card still work
    await fake.send_message(fake.alice, old_thread, "still there?")
    await wait_for_body(second, old_id, "still there?")
    card = second.card(old_thread)
    close = await fake.click(fake.sam, card, f"ticket:close:{old_id}")
    assert await close.response() == 6
    await fake.wait_until(lambda: old_thread.archived, what="the old thread to be archived")
    await second.settle()
    old = await second.desk.get_ticket(ticket_id=old_id, actor=SYSTEM)
    assert old.status is Status.CLOSED

    # reopening after the restart finds the archived thread through the database link
    reopened = await (await fake.slash(fake.alice, "ticket reopen", ticket=old_id)).reply()
    assert reopened.content == f"🔓 {old_id} is reopened."
    await second.settle()
    assert not old_thread.archived and card.embed_field("Status").endswith("Open")


async def test_an_event_missed_while_down_is_delivered_after_the_restart(
    make_app: Callable[..., Awaitable[DiscordApp]], fake: FakeDiscord
) -> None:
    first = await make_app()
    await first.stop()
    # while the bot is down, a ticket arrives from another platform (its outbox row waits)
    ticket = await first.desk.create_ticket(subject="Opened while Discord was down", requester=Actor("api", "42"))
    second = await make_app()
    thread = await second.thread_of(ticket.id)
    await second.settle()
    assert second.card(thread).embed["title"].startswith(ticket.id)
