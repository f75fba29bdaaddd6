"""Dead letters: a delivery failing for ``dead_after`` is kept with its error, stops being retried, stops holding
back its ticket's later events, and comes back when put back. Backoff has jitter."""

from __future__ import annotations

import random
from datetime import timedelta

from core.desk import Desk
from core.events import Event, MessageAdded, StatusChanged, TicketOpened
from core.model import Actor
from core.outbox import MAX_BACKOFF, Dispatcher, backoff
from core.ports import RetryLater
from tests.fakes.clock import FakeClock
from tests.fakes.recorder import Recorder

ANN = Actor(platform="discord", user_id="1", name="Ann")
SAM = Actor(platform="slack", user_id="U1", name="Sam", is_staff=True)


class Refusing(Recorder):
    """Refuses the events of ``refused`` types while ``down``; records the others."""

    def __init__(self, clock: FakeClock, refused: tuple[type[Event], ...], error: Exception) -> None:
        super().__init__("email", clock)
        self.refused, self.error, self.down = refused, error, True

    async def notify(self, event: Event) -> None:
        if self.down and isinstance(event, self.refused):
            raise self.error
        await super().notify(event)


async def run_for(dispatcher: Dispatcher, clock: FakeClock, span: timedelta, step: timedelta) -> None:
    end = clock.now() + span
    while clock.now() < end:
        await dispatcher.drain()
        clock.advance(step)
    await dispatcher.drain()


async def test_a_delivery_failing_for_dead_after_becomes_a_dead_letter(desk: Desk, clock: FakeClock) -> None:
    desk.consumers.append("email")
    email = Refusing(clock, (TicketOpened,), ConnectionRefusedError("SMTP server down"))
    dispatcher = Dispatcher(desk.db, [email], clock=clock, dead_after=timedelta(hours=24), rng=random.Random(7))
    t = await desk.create_ticket(subject="Mail me", requester=ANN)
    await desk.admin_reply_to_ticket(ticket_id=t.id, content="Hello", actor=SAM)
    await run_for(dispatcher, clock, timedelta(hours=23, minutes=50), timedelta(minutes=5))
    assert email.events == []  # the ticket's later events wait behind its failing first one
    live, _ = await desk.db.read(lambda uow: uow.outbox.listing(dead=False, limit=10))
    live = sorted(live, key=lambda r: r.id)
    assert [r.event for r in live] == ["ticket_opened", "message_added", "status_changed"]
    assert live[0].attempts > 100 and live[0].last_error == "ConnectionRefusedError: SMTP server down"
    assert [r.attempts for r in live[1:]] == [0, 0]

    await run_for(dispatcher, clock, timedelta(minutes=20), timedelta(minutes=5))
    dead, total = await desk.db.read(lambda uow: uow.outbox.listing(dead=True, limit=10))
    assert total == 1 and dead[0].event == "ticket_opened" and dead[0].dead_at is not None
    assert dead[0].last_error == "ConnectionRefusedError: SMTP server down"
    assert [type(e) for e in email.events] == [MessageAdded, StatusChanged]  # no longer held back

    attempts = dead[0].attempts
    await run_for(dispatcher, clock, timedelta(hours=2), timedelta(minutes=5))
    dead, _ = await desk.db.read(lambda uow: uow.outbox.listing(dead=True, limit=10))
    assert dead[0].attempts == attempts, "a dead letter is not retried"

    email.down = False
    revived = await desk.db.write(lambda uow: uow.outbox.revive(None, clock.now()))
    assert revived == [dead[0].id]
    await dispatcher.drain()
    assert [type(e) for e in email.events] == [MessageAdded, StatusChanged, TicketOpened]
    assert await desk.db.read(lambda uow: uow.outbox.pending()) == 0


async def test_being_asked_to_wait_is_not_failing(desk: Desk, clock: FakeClock) -> None:
    """A platform that keeps answering 429 postpones the event; it never turns it into a dead letter."""
    desk.consumers.append("email")
    email = Refusing(clock, (TicketOpened,), RetryLater(600, "rate limited"))
    dispatcher = Dispatcher(desk.db, [email], clock=clock, dead_after=timedelta(hours=1))
    await desk.create_ticket(subject="Busy", requester=ANN)
    await run_for(dispatcher, clock, timedelta(hours=3), timedelta(minutes=10))
    _, dead = await desk.db.read(lambda uow: uow.outbox.listing(dead=True, limit=10))
    assert dead == 0
    email.down = False
    clock.advance(minutes=10)
    await dispatcher.drain()
    assert [type(e) for e in email.events] == [TicketOpened]


async def test_retrying_one_row_by_id(desk: Desk, clock: FakeClock) -> None:
    desk.consumers.append("email")
    email = Refusing(clock, (TicketOpened,), OSError("boom"))
    dispatcher = Dispatcher(desk.db, [email], clock=clock, dead_after=timedelta(minutes=1))
    await desk.create_ticket(subject="One", requester=ANN)
    await desk.create_ticket(subject="Two", requester=ANN)
    await run_for(dispatcher, clock, timedelta(minutes=5), timedelta(seconds=30))
    dead, total = await desk.db.read(lambda uow: uow.outbox.listing(dead=True, limit=10))
    assert total == 2
    email.down = False
    assert await desk.db.write(lambda uow: uow.outbox.revive([dead[0].id], clock.now())) == [dead[0].id]
    assert await desk.db.write(lambda uow: uow.outbox.revive([999_999], clock.now())) == []
    await dispatcher.drain()
    assert len(email.events) == 1
    _, total = await desk.db.read(lambda uow: uow.outbox.listing(dead=True, limit=10))
    assert total == 1


def test_backoff_doubles_with_jitter_up_to_five_minutes() -> None:
    rng = random.Random(1)
    for attempts in range(12):
        ceiling = min(MAX_BACKOFF, 2.0**attempts)
        delays = {backoff(attempts, rng).total_seconds() for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 40, "rows that failed together are spread out"
    assert backoff(10_000, rng) <= timedelta(seconds=MAX_BACKOFF)
