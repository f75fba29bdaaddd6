"""Two ticketbot processes (replicas) with the same Discord bot token and database: a ticket still gets
exactly one thread and one card, whoever delivers its events and whoever answers the interaction."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from core.commands import Changed, OpenTicket
from core.events import TicketOpened
from core.model import Actor, Link
from core.ports import RetryLater
from tests.e2e.discord.app import DiscordApp, ticket_id_in
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord

THREADS = "POST /channels/{channel_id}/threads"


async def place_until_done(app: DiscordApp, ticket_id: str) -> Link:
    """What the outbox does for a replica that found the thread step in progress elsewhere: try again."""
    for _ in range(250):
        try:
            return await app.notifier.place(ticket_id)
        except RetryLater:
            await asyncio.sleep(0.02)
    raise AssertionError(f"the thread of {ticket_id} was never placed")


async def test_two_replicas_racing_on_one_ticket_make_one_thread(
    make_app: Callable[..., Awaitable[DiscordApp]], fake: FakeDiscord, clock: FakeClock, delivery_failures
) -> None:
    delivery_failures.expected = True  # a replica that finds the step in progress postpones its delivery
    first, second = await make_app(), await make_app()
    result = await first.desk.execute(OpenTicket("Raced", "two replicas at once"), Actor("slack", "U1", "Sally"))
    assert isinstance(result, Changed)
    (opened,) = [e for e in result.events if isinstance(e, TicketOpened)]
    # both replicas' notifiers handle the same event at once (besides the dispatcher that was just woken)
    outcomes = await asyncio.gather(
        first.notifier.notify(opened), second.notifier.notify(opened), return_exceptions=True
    )
    assert all(o is None or isinstance(o, RetryLater) for o in outcomes), outcomes
    links = [await place_until_done(app, opened.ticket_id) for app in (first, second)]
    assert links[0] == links[1] and links[0].message_id

    clock.advance(timedelta(seconds=10))  # any postponed delivery comes due
    for app in (first, second):
        app.dispatcher.wake()
    await first.settle()
    assert [c.status for c in fake.calls_to(THREADS)] == [200]  # one thread created, none even tried twice
    (thread,) = fake.threads()
    assert str(thread.id) == links[0].thread_id
    cards = [m for m in fake.messages_in(thread) if m.embeds]
    assert len(cards) == 1 and first.card(thread).id == cards[0].id


async def test_a_ticket_opened_with_two_replicas_running_is_answered_once_with_its_thread(
    make_app: Callable[..., Awaitable[DiscordApp]], fake: FakeDiscord
) -> None:
    fake.allow(40060)  # both bots receive the interaction; Discord refuses the second acknowledgement
    first, second = await make_app(), await make_app()
    ix = await fake.slash(fake.alice, "ticket open")
    assert await ix.response() == 9
    submit = await first.submit_open_modal(ix, "Seen by two bots", "replicas")
    answer = await submit.reply()
    ticket_id = ticket_id_in(answer.content)
    thread = await first.thread_of(ticket_id)
    assert answer.content == f"🎫 Ticket **{ticket_id}** is open: <#{thread.id}>"
    await first.settle()
    assert len(fake.threads()) == 1 and fake.alice.id in thread.members
    assert len([m for m in fake.messages_in(thread) if m.embeds]) == 1
    tickets = await second.desk.list_tickets(actor=Actor.system(), limit=50)
    assert [t.id for t in tickets] == [ticket_id]
