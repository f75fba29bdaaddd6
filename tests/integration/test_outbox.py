"""The outbox dispatcher: at least once, in order per ticket, retried with backoff, never lost."""

from __future__ import annotations

from datetime import timedelta

from core.desk import Desk
from core.events import Event, MessageAdded, StatusChanged, TicketOpened
from core.model import Actor
from core.outbox import Dispatcher
from core.ports import RetryLater
from tests.fakes.clock import FakeClock

ANN = Actor(platform="discord", user_id="1", name="Ann")
STAFF = Actor(platform="slack", user_id="U1", name="Sam", is_staff=True)


class FakeNotifier:
    """Records what it was given; can be told to fail the next deliveries."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[Event] = []
        self.failures: list[Exception] = []

    async def notify(self, event: Event) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(event)


async def pending(desk: Desk) -> int:
    return await desk.db.read(lambda uow: uow.outbox.pending())


async def test_every_consumer_gets_every_event_once_in_order(desk: Desk, clock: FakeClock) -> None:
    slack, discord = FakeNotifier("slack"), FakeNotifier("discord")
    desk.consumers.extend(["slack", "discord"])
    dispatcher = Dispatcher(desk.db, [slack, discord], clock=clock)
    t = await desk.create_ticket(subject="a", message="b", requester=ANN)
    await desk.admin_reply_to_ticket(ticket_id=t.id, content="c", actor=STAFF)
    assert await dispatcher.drain() == 6
    for n in (slack, discord):
        assert [type(e) for e in n.sent] == [TicketOpened, MessageAdded, StatusChanged]
    assert await dispatcher.drain() == 0 and await pending(desk) == 0


async def test_a_failure_is_retried_later_and_keeps_the_ticket_order(desk: Desk, clock: FakeClock) -> None:
    slack = FakeNotifier("slack")
    desk.consumers.append("slack")
    dispatcher = Dispatcher(desk.db, [slack], clock=clock)
    t = await desk.create_ticket(subject="a", message="b", requester=ANN)
    other = await desk.create_ticket(subject="x", message="y", requester=ANN)
    await desk.admin_reply_to_ticket(ticket_id=t.id, content="c", actor=STAFF)
    slack.failures.append(ConnectionError("platform down"))  # the first delivery (t opened) fails
    await dispatcher.drain()
    # the other ticket is not held up; t's later events wait behind its failed one
    assert [e.ticket_id for e in slack.sent] == [other.id]
    assert await pending(desk) == 3
    clock.advance(seconds=1)  # first backoff is 1 s
    await dispatcher.drain()
    assert [type(e) for e in slack.sent if e.ticket_id == t.id] == [TicketOpened, MessageAdded, StatusChanged]
    assert await pending(desk) == 0


async def test_retry_later_honours_the_delay(desk: Desk, clock: FakeClock) -> None:
    slack = FakeNotifier("slack")
    desk.consumers.append("slack")
    dispatcher = Dispatcher(desk.db, [slack], clock=clock)
    await desk.create_ticket(subject="a", requester=ANN)
    slack.failures.append(RetryLater(30, "429 ratelimited"))
    await dispatcher.drain()
    clock.advance(seconds=29)
    await dispatcher.drain()
    assert slack.sent == []
    clock.advance(seconds=1)
    await dispatcher.drain()
    assert len(slack.sent) == 1


async def test_a_restart_loses_nothing(desk: Desk, clock: FakeClock) -> None:
    desk.consumers.append("slack")
    await desk.create_ticket(subject="a", requester=ANN)
    # a dispatcher claims the row and "crashes" before delivering: the lease expires, a new one delivers
    claimed = await desk.db.write(lambda uow: uow.outbox.claim("slack", clock.now(), timedelta(seconds=120), 10))
    assert len(claimed) == 1
    fresh = FakeNotifier("slack")
    restarted = Dispatcher(desk.db, [fresh], clock=clock)
    assert await restarted.drain() == 0, "a leased row is not delivered twice at once"
    clock.advance(seconds=121)
    assert await restarted.drain() == 1
    assert [type(e) for e in fresh.sent] == [TicketOpened]


async def test_unknown_consumer_rows_stay_for_their_owner(desk: Desk, clock: FakeClock) -> None:
    desk.consumers.extend(["slack", "email"])
    await desk.create_ticket(subject="a", requester=ANN)
    slack = FakeNotifier("slack")
    await Dispatcher(desk.db, [slack], clock=clock).drain()
    assert len(slack.sent) == 1 and await pending(desk) == 1


async def test_two_replicas_deliver_each_event_once(desk: Desk, clock: FakeClock) -> None:
    import asyncio

    desk.consumers.append("slack")
    for n in range(40):
        await desk.create_ticket(subject=f"t{n}", requester=ANN)
    first, second = FakeNotifier("slack"), FakeNotifier("slack")
    one = Dispatcher(desk.db, [first], clock=clock, batch=5)
    two = Dispatcher(desk.db, [second], clock=clock, batch=5)
    await asyncio.gather(one.drain(), two.drain())
    delivered = [e.ticket_id for e in first.sent + second.sent]
    assert len(delivered) == 40 and len(set(delivered)) == 40
    assert await pending(desk) == 0


async def test_discarding_one_consumer_leaves_the_others(desk: Desk) -> None:
    desk.consumers.extend(["console", "slack"])
    await desk.create_ticket(subject="a", requester=ANN)
    await desk.db.write(lambda uow: uow.outbox.discard("console"))
    left = await desk.db.read(lambda uow: (uow.outbox.pending("console"), uow.outbox.pending("slack")))
    assert left == (0, 1)


async def test_a_slow_consumer_never_holds_up_another(desk: Desk, clock: FakeClock) -> None:
    import asyncio

    class Stuck(FakeNotifier):
        def __init__(self) -> None:
            super().__init__("slack")
            self.release = asyncio.Event()

        async def notify(self, event: Event) -> None:
            await self.release.wait()  # e.g. paced at one post per second per channel
            await super().notify(event)

    slow, fast = Stuck(), FakeNotifier("discord")
    desk.consumers.extend(["slack", "discord"])
    dispatcher = Dispatcher(desk.db, [slow, fast], clock=clock, poll_interval=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))
    first = await desk.create_ticket(subject="a", requester=ANN)
    dispatcher.wake()
    await asyncio.sleep(0.2)  # Slack is stuck delivering the first ticket
    second = await desk.create_ticket(subject="b", requester=ANN)  # a later round for everyone
    dispatcher.wake()
    for _ in range(300):
        if len(fast.sent) == 2:
            break
        await asyncio.sleep(0.01)
    assert [e.ticket_id for e in fast.sent] == [first.id, second.id] and slow.sent == []
    slow.release.set()
    for _ in range(300):
        if len(slow.sent) == 2:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await running
    assert sorted(e.ticket_id for e in slow.sent) == sorted([first.id, second.id])
