"""Time as an input, driven by a fake clock: SLA warnings, breaches and reminders, pausing, business hours, stale
reminders and auto-close — each fired once, through the outbox, to a recording notifier."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from core import render
from core.desk import Desk
from core.events import Event, SlaBreached, SlaWarning, StaleReminder, StatusChanged, TicketOpened
from core.lifecycle import Rules
from core.model import Actor, Status
from core.outbox import Dispatcher
from core.scheduler import Scheduler
from core.sla import BusinessHours, SlaPolicy
from core.timers import TimerKind
from tests.fakes.clock import FakeClock
from tests.fakes.recorder import Recorder

ANN = Actor(platform="discord", user_id="1", name="Ann", email="ann@example.com")
SAM = Actor(platform="slack", user_id="U1", name="Sam", is_staff=True)
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday
TIME_EVENTS = (SlaWarning, SlaBreached, StaleReminder)


@dataclass
class World:
    desk: Desk
    clock: FakeClock
    scheduler: Scheduler
    dispatcher: Dispatcher
    slack: Recorder

    async def tick(self) -> None:
        await self.scheduler.drain()
        await self.dispatcher.drain()

    async def walk(self, until: datetime, step: timedelta) -> None:
        """Move the clock to ``until`` in steps, running the scheduler and the outbox at each."""
        while self.clock.now() < until:
            self.clock.set(min(self.clock.now() + step, until))
            await self.tick()

    def timeline(self, *types: type[Event]) -> list[tuple[datetime, str, int | None]]:
        """What arrived, when: ``(when, event name, breach repeat)``."""
        return [(at, e.name, getattr(e, "repeat", None)) for at, e in self.slack.of(*(types or TIME_EVENTS))]

    async def timers(self, ticket_id: str) -> list[tuple[TimerKind, datetime]]:
        found = await self.desk.db.read(lambda uow: uow.timers.of_ticket(ticket_id))
        return [(t.kind, t.due_at) for t in found]


@pytest.fixture
def world(desk: Desk, clock: FakeClock) -> World:
    slack = Recorder("slack", clock)
    desk.consumers.append("slack")
    return World(desk, clock, Scheduler(desk), Dispatcher(desk.db, [slack], clock=clock), slack)


async def test_warning_breach_then_one_reminder_per_target_period(world: World) -> None:
    t = await world.desk.create_ticket(subject="Site down", priority="urgent", requester=ANN)
    await world.walk(T0 + timedelta(minutes=55), timedelta(minutes=5))
    assert not (await world.desk.queries.ticket(t.id)).sla_breached
    await world.walk(T0 + timedelta(hours=3, minutes=10), timedelta(minutes=5))
    assert world.timeline() == [
        (T0 + timedelta(minutes=45), "sla_warning", None),
        (T0 + timedelta(hours=1), "sla_breached", 0),
        (T0 + timedelta(hours=2), "sla_breached", 1),
        (T0 + timedelta(hours=3), "sla_breached", 2),
    ]
    warning, breach = world.slack.of(SlaWarning)[0][1], world.slack.of(SlaBreached)[0][1]
    assert isinstance(warning, SlaWarning) and warning.due_at == T0 + timedelta(hours=1)
    assert isinstance(breach, SlaBreached) and breach.due_at == T0 + timedelta(hours=1) and breach.actor.is_bot
    # the breach is on the ticket from the moment it happened: statistics count it, every view says so
    ticket = await world.desk.queries.ticket(t.id)
    assert ticket.sla_breached
    stats = await world.desk.stats(actor=SAM)
    assert stats.sla_attainment == 0.0
    assert render.sla_state(ticket, world.clock.now()) == "overdue by 2 h 10 min"


async def test_a_staff_reply_cancels_the_sla_timers(world: World) -> None:
    t = await world.desk.create_ticket(subject="Login", priority="urgent", requester=ANN)
    await world.walk(T0 + timedelta(minutes=30), timedelta(minutes=5))
    await world.desk.admin_reply_to_ticket(ticket_id=t.id, content="On it", actor=SAM)
    kinds = [kind for kind, _ in await world.timers(t.id)]
    assert kinds == [TimerKind.STALE_REMIND, TimerKind.STALE_CLOSE]  # Pending now: only the stale clock runs
    await world.walk(T0 + timedelta(hours=4), timedelta(minutes=5))
    assert world.timeline() == []
    ticket = await world.desk.queries.ticket(t.id)
    assert (
        not ticket.sla_breached and render.sla_state(ticket, world.clock.now()) == "paused — waiting on the requester"
    )


async def test_pending_pauses_and_a_requester_reply_starts_a_new_clock(world: World) -> None:
    t = await world.desk.create_ticket(subject="Export", priority="urgent", requester=ANN)
    world.clock.set(T0 + timedelta(minutes=10))
    await world.desk.admin_reply_to_ticket(ticket_id=t.id, content="Which file?", actor=SAM)
    await world.walk(T0 + timedelta(hours=2), timedelta(minutes=5))
    await world.desk.reply_to_ticket(ticket_id=t.id, content="report.csv", actor=ANN)  # Open again at 14:00
    await world.walk(T0 + timedelta(hours=3, minutes=5), timedelta(minutes=5))
    assert world.timeline() == [
        (T0 + timedelta(hours=2, minutes=45), "sla_warning", None),
        (T0 + timedelta(hours=3), "sla_breached", 0),
    ]


async def test_a_priority_change_moves_the_timers(world: World) -> None:
    t = await world.desk.create_ticket(subject="Invoice", priority="medium", requester=ANN)
    assert await world.timers(t.id) == [
        (TimerKind.SLA_WARNING, T0 + timedelta(hours=18)),
        (TimerKind.SLA_BREACH, T0 + timedelta(hours=24)),
    ]
    world.clock.set(T0 + timedelta(minutes=30))
    await world.desk.set_priority(ticket_id=t.id, priority="urgent", actor=SAM)
    assert await world.timers(t.id) == [
        (TimerKind.SLA_WARNING, T0 + timedelta(minutes=45)),
        (TimerKind.SLA_BREACH, T0 + timedelta(hours=1)),
    ]
    await world.walk(T0 + timedelta(hours=1), timedelta(minutes=15))
    assert world.timeline() == [
        (T0 + timedelta(minutes=45), "sla_warning", None),
        (T0 + timedelta(hours=1), "sla_breached", 0),
    ]


async def test_a_late_tick_fires_once_and_never_in_a_burst(world: World) -> None:
    """Nothing ran for five hours: the breach fires once (its warning is moot), the next reminder is the next
    period's, not four at once."""
    t = await world.desk.create_ticket(subject="API", priority="urgent", requester=ANN)
    world.clock.set(T0 + timedelta(hours=5, minutes=10))
    await world.tick()
    assert world.timeline() == [(T0 + timedelta(hours=5, minutes=10), "sla_breached", 0)]
    assert await world.timers(t.id) == [(TimerKind.SLA_BREACH, T0 + timedelta(hours=6))]
    await world.walk(T0 + timedelta(hours=6), timedelta(minutes=10))
    assert world.timeline()[-1] == (T0 + timedelta(hours=6), "sla_breached", 5)


async def test_business_hours_count_and_the_acknowledgement_says_when_the_clock_starts(world: World) -> None:
    hours = BusinessHours.parse("Europe/Berlin Mon-Fri 09:00-17:00")
    world.desk.rules = Rules(sla=SlaPolicy(hours=hours))
    friday = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)  # 16:30 in Berlin: half an hour of support left
    world.clock.set(friday)
    inside = await world.desk.create_ticket(subject="Payment failed", priority="urgent", requester=ANN)
    world.clock.set(datetime(2026, 11, 28, 11, 0, tzinfo=UTC))  # Saturday
    outside = await world.desk.create_ticket(subject="Card declined", priority="high", requester=ANN)
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    await world.walk(monday + timedelta(hours=2, minutes=45), timedelta(minutes=15))
    by_ticket = [(at, e.ticket_id, e.name) for at, e in world.slack.of(*TIME_EVENTS)]
    assert by_ticket == [
        (monday + timedelta(minutes=15), inside.id, "sla_warning"),  # 45 min of support time: 30 Fri + 15 Mon
        (monday + timedelta(minutes=30), inside.id, "sla_breached"),
        (monday + timedelta(hours=1, minutes=30), inside.id, "sla_breached"),  # one target period later
        (monday + timedelta(hours=2, minutes=30), inside.id, "sla_breached"),
    ]  # the Saturday ticket's clock started Monday 09:00: its 4 h warn at 3 h, after this walk
    opened = {e.ticket_id: e for e in world.slack.events if isinstance(e, TicketOpened)}
    assert opened[inside.id].clock_starts is None
    assert opened[outside.id].clock_starts == monday
    assert render.acknowledgement(opened[outside.id]) == (
        "We usually answer High tickets within 4 h of support hours. "
        "Support is closed now: the clock starts Monday 30 November at 09:00 (Europe/Berlin)."
    )


async def test_the_acknowledgement_gives_the_target_of_the_priority(world: World) -> None:
    await world.desk.create_ticket(subject="Question", priority="low", requester=ANN)
    await world.tick()
    opened = world.slack.events[0]
    assert isinstance(opened, TicketOpened) and opened.target == timedelta(hours=48)
    assert render.acknowledgement(opened) == "We usually answer Low tickets within 2 d."


async def test_the_bots_own_message_is_no_first_response(world: World) -> None:
    t = await world.desk.create_ticket(subject="Hello", priority="urgent", requester=ANN)
    await world.desk.add_message(ticket_id=t.id, actor=Actor.system(), content="We got your ticket.")
    ticket = await world.desk.queries.ticket(t.id)
    assert ticket.first_response_at is None and ticket.status is Status.OPEN
    await world.walk(T0 + timedelta(hours=1), timedelta(minutes=15))
    assert [name for _, name, _ in world.timeline()] == ["sla_warning", "sla_breached"]


async def test_a_pending_ticket_gets_one_reminder_then_closes_with_the_reason(world: World) -> None:
    t = await world.desk.create_ticket(subject="VPN", requester=ANN)
    pending_at = T0 + timedelta(minutes=10)
    world.clock.set(pending_at)
    await world.desk.admin_reply_to_ticket(ticket_id=t.id, content="Did the restart help?", actor=SAM)
    await world.walk(T0 + timedelta(days=8), timedelta(hours=1))
    reminders = world.slack.of(StaleReminder)
    assert len(reminders) == 1
    at, reminder = reminders[0]
    assert isinstance(reminder, StaleReminder)
    assert pending_at + timedelta(days=3) <= at < pending_at + timedelta(days=3, hours=1)
    assert reminder.pending_since == pending_at and reminder.closes_at == pending_at + timedelta(days=7)
    closes = [(at, e) for at, e in world.slack.of(StatusChanged) if isinstance(e, StatusChanged) and e.closed]
    assert len(closes) == 1
    at, closed = closes[0]
    assert pending_at + timedelta(days=7) <= at < pending_at + timedelta(days=7, hours=1)
    reason = "closed automatically: no answer from the requester for 7 d"
    assert closed.reason == reason and closed.actor.is_bot
    ticket = await world.desk.queries.ticket(t.id)
    assert ticket.status is Status.CLOSED and ticket.close_reason == reason
    assert await world.timers(t.id) == []
    history = await world.desk.history(ticket_id=t.id, actor=SAM)
    assert (history[-1].field, history[-1].new, history[-1].actor.is_bot) == ("status", "Closed", True)
    stats = await world.desk.stats(actor=SAM)
    assert (stats.closed, stats.pending) == (1, 0)


async def test_an_answer_from_the_requester_stops_the_stale_clock(world: World) -> None:
    t = await world.desk.create_ticket(subject="Printer", requester=ANN)
    await world.desk.admin_reply_to_ticket(ticket_id=t.id, content="Model?", actor=SAM)
    world.clock.set(T0 + timedelta(days=2))
    await world.desk.reply_to_ticket(ticket_id=t.id, content="LaserJet 4", actor=ANN)
    await world.desk.admin_reply_to_ticket(ticket_id=t.id, content="Try the driver", actor=SAM)  # Pending again
    await world.walk(T0 + timedelta(days=9, hours=1), timedelta(hours=1))
    reminders = [at for at, _ in world.slack.of(StaleReminder)]
    assert [at - (T0 + timedelta(days=2)) for at in reminders] == [timedelta(days=3)]  # from the second Pending
    ticket = await world.desk.queries.ticket(t.id)
    assert ticket.status is Status.CLOSED and ticket.closed_at == T0 + timedelta(days=9)


async def test_stale_settings_off_means_no_reminder_and_no_close(world: World) -> None:
    world.desk.rules = Rules(stale_remind_after=None, stale_close_after=None)
    t = await world.desk.create_ticket(subject="Quiet", requester=ANN)
    await world.desk.admin_reply_to_ticket(ticket_id=t.id, content="Anything else?", actor=SAM)
    assert await world.timers(t.id) == []
    await world.walk(T0 + timedelta(days=30), timedelta(days=1))
    assert world.slack.of(StaleReminder) == [] and (await world.desk.queries.ticket(t.id)).status is Status.PENDING


async def test_a_close_only_policy_closes_without_a_reminder(world: World) -> None:
    world.desk.rules = replace(Rules(), stale_remind_after=None, stale_close_after=timedelta(days=2))
    t = await world.desk.create_ticket(subject="Quiet", requester=ANN)
    await world.desk.admin_reply_to_ticket(ticket_id=t.id, content="Anything else?", actor=SAM)
    await world.walk(T0 + timedelta(days=3), timedelta(hours=6))
    assert world.slack.of(StaleReminder) == []
    assert (await world.desk.queries.ticket(t.id)).close_reason == (
        "closed automatically: no answer from the requester for 2 d"
    )


async def test_a_reminder_whose_close_is_due_too_is_not_sent(world: World) -> None:
    t = await world.desk.create_ticket(subject="Quiet", requester=ANN)
    await world.desk.admin_reply_to_ticket(ticket_id=t.id, content="Anything else?", actor=SAM)
    world.clock.set(T0 + timedelta(days=10))  # nothing ran for ten days
    await world.tick()
    assert world.slack.of(StaleReminder) == []
    assert (await world.desk.queries.ticket(t.id)).status is Status.CLOSED


async def test_closing_and_reopening_reschedule(world: World) -> None:
    t = await world.desk.create_ticket(subject="Docs", priority="urgent", requester=ANN)
    await world.desk.close_ticket(ticket_id=t.id, actor=SAM, reason="duplicate")
    assert await world.timers(t.id) == []
    world.clock.set(T0 + timedelta(hours=2))
    await world.desk.reopen_ticket(ticket_id=t.id, actor=SAM)
    assert await world.timers(t.id) == [
        (TimerKind.SLA_WARNING, T0 + timedelta(hours=2, minutes=45)),
        (TimerKind.SLA_BREACH, T0 + timedelta(hours=3)),
    ]
