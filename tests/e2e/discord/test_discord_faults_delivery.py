"""With 30 % of Discord's REST answers 429 (with ``retry_after``) and 10 % 500, every notification still arrives
once, in order per ticket: discord.py rides out most faults itself, the outbox retries the rest, and
``desk.deliveries.once`` keeps every retried step from posting twice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from core.model import Actor
from tests.e2e.discord.app import DiscordApp
from tests.fakes.discord import FakeDiscord


async def deliver_all(app: DiscordApp, within: float = 90.0) -> None:
    """Wait until the outbox is empty, moving the (fake) clock past each retry's backoff."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while await app.pending():
        if loop.time() > deadline:
            raise AssertionError(f"{await app.pending()} event(s) still undelivered after {within}s")
        app.clock.advance(minutes=10)
        app.dispatcher.wake()
        await asyncio.sleep(0.1)


async def test_with_30_percent_429_and_10_percent_500_every_notification_arrives_once_in_order(
    fake: FakeDiscord, make_app: Callable[..., Awaitable[DiscordApp]], delivery_failures: Any
) -> None:
    delivery_failures.expected = True  # some deliveries fail and are retried: that is the point
    app = await make_app()
    alice = Actor("discord", str(fake.alice.id), "Alice Example")
    staff = Actor("api", "ops", "Olga Ops", is_staff=True)
    injector = fake.inject_faults(rate_429=0.3, rate_500=0.1, seed=11)
    tickets = []
    for n in range(4):
        ticket = await app.desk.create_ticket(subject=f"Printer {n} on fire", message=f"It smokes ({n})",
                                              requester=alice)  # fmt: skip
        await app.desk.admin_reply_to_ticket(ticket_id=ticket.id, content=f"Unplug it ({n})", actor=staff)
        await app.desk.admin_reply_to_ticket(ticket_id=ticket.id, content=f"Or call us ({n})", actor=staff)
        await app.desk.close_ticket(ticket_id=ticket.id, actor=staff, reason=f"replaced ({n})")
        tickets.append(ticket.id)
    app.dispatcher.wake()
    await deliver_all(app)
    fake.clear_faults()
    assert injector.drawn[429] > 5 and injector.drawn[500] > 1  # the faults really happened

    assert len(fake.threads()) == len(tickets)  # one thread per ticket, none twice
    for n, ticket_id in enumerate(tickets):
        thread = await app.thread_of(ticket_id)
        posted = [m.content for m in fake.messages_in(thread) if m.type == 0]
        assert posted[0].startswith(f"<@{fake.alice.id}>, this is your private ticket thread")
        assert [line.split("\n")[-1] for line in posted[1:3]] == [f"Unplug it ({n})", f"Or call us ({n})"]
        assert posted[3].startswith(f"🔒 **{ticket_id}** was closed by Olga Ops (API).\nReason: replaced ({n})")
        assert len(posted) == 4
        assert len(fake.pins(thread)) == 1 and thread.archived and thread.locked
    logged = [m for m in fake.messages_in(fake.log_channel) if m.attachments]
    assert sorted(m.content.split("**")[1] for m in logged) == sorted(tickets)  # one transcript each
    assert len(fake.dm_messages(fake.alice)) == len(tickets)
