"""core.notices: what the bot says on its own — the acknowledgement, SLA reminders, the stale reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core import notices
from core.events import SlaBreached, SlaWarning, StaleReminder
from core.model import Actor, Priority, Status, Ticket
from core.sla import BusinessHours, SlaPolicy

ANN = Actor("discord", "1", "Ann")
SYSTEM = Actor.system()
WED_10 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday
SAT_10 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def ticket(priority: Priority = Priority.HIGH, status: Status = Status.OPEN, **kw: object) -> Ticket:
    return Ticket("TKT-B3X9C", "Printer on fire", "Technical", priority, status, ANN, WED_10, WED_10, **kw)  # type: ignore[arg-type]


def test_the_acknowledgement_names_the_target_of_the_priority():
    policy = SlaPolicy()
    assert notices.acknowledgement(ticket(Priority.HIGH), policy, WED_10) == (
        "We usually answer High tickets within 4 h."
    )
    assert notices.acknowledgement(ticket(Priority.LOW), policy, WED_10) == "We usually answer Low tickets within 2 d."
    custom = SlaPolicy(targets={Priority.URGENT: timedelta(minutes=30)})
    assert "Urgent tickets within 30 min" in notices.acknowledgement(ticket(Priority.URGENT), custom, WED_10)


def test_outside_business_hours_the_acknowledgement_says_when_the_clock_starts():
    policy = SlaPolicy(hours=BusinessHours.parse("Europe/Berlin Mon-Fri 09:00-17:00"))
    weekend = notices.acknowledgement(ticket(), policy, SAT_10)
    assert weekend.startswith("We usually answer High tickets within 4 h of support hours.")
    assert "outside support hours (Europe/Berlin Mon-Fri 09:00-17:00)" in weekend
    assert "the clock starts 2026-11-30 09:00 CET" in weekend  # Monday morning, Berlin time
    assert notices.clock_starts(policy, SAT_10) == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    shown = notices.acknowledgement(ticket(), policy, SAT_10, moment=lambda at: f"<{int(at.timestamp())}>")
    assert shown.endswith(f"the clock starts <{int(datetime(2026, 11, 30, 8, 0, tzinfo=UTC).timestamp())}>.")
    during = notices.acknowledgement(ticket(), policy, WED_10)
    assert "outside" not in during and notices.clock_starts(policy, WED_10) is None


def test_sla_reminders_hold_only_while_the_requester_still_waits():
    due = WED_10 + timedelta(hours=4)
    waiting = ticket(sla_due_at=due, waiting_since=WED_10)
    warning, breach = SlaWarning(waiting.id, SYSTEM, due_at=due), SlaBreached(waiting.id, SYSTEM, due_at=due)
    before, after = due - timedelta(hours=1), due + timedelta(minutes=5)
    assert notices.sla_alert_holds(waiting, warning, before) and not notices.sla_alert_holds(waiting, breach, before)
    assert notices.sla_alert_holds(waiting, breach, after) and not notices.sla_alert_holds(waiting, warning, after)
    answered = ticket(status=Status.PENDING)  # the clock stopped (sla_due_at cleared)
    assert not notices.sla_alert_holds(answered, breach, after)
    closed = ticket(status=Status.CLOSED, sla_due_at=due)
    assert not notices.sla_alert_holds(closed, breach, after)
    later = ticket(sla_due_at=due + timedelta(hours=20))  # priority lowered since: not overdue any more
    assert not notices.sla_alert_holds(later, breach, after)


def test_sla_reminder_words_use_the_tickets_current_due_time():
    due = WED_10 + timedelta(hours=4)
    waiting = ticket(sla_due_at=due)
    stale_due = due - timedelta(hours=3)  # the event was made before the due time moved
    assert notices.sla_alert(
        waiting, SlaWarning(waiting.id, SYSTEM, due_at=stale_due), due - timedelta(minutes=55)
    ) == ("SLA warning: TKT-B3X9C (High) is due in 55 min")
    late = due + timedelta(minutes=25)
    assert notices.sla_alert(waiting, SlaBreached(waiting.id, SYSTEM, due_at=due), late) == (
        "SLA breached: TKT-B3X9C (High) is overdue by 25 min"
    )
    repeat = SlaBreached(waiting.id, SYSTEM, due_at=due, repeat=2)
    assert notices.sla_alert(waiting, repeat, due + timedelta(hours=8, minutes=5)) == (
        "Still unanswered (reminder 2): TKT-B3X9C (High) is overdue by 8 h 5 min"
    )


def test_the_stale_reminder_says_since_when_and_when_it_closes():
    pending = ticket(status=Status.PENDING)
    since = WED_10
    now = since + timedelta(days=3)
    event = StaleReminder(pending.id, SYSTEM, pending_since=since, closes_at=since + timedelta(days=7))
    assert notices.stale_reminder(pending, event, now) == (
        "Support is waiting for your answer on TKT-B3X9C (for 3 d). "
        "Reply here to keep it open; otherwise it closes automatically in 4 d."
    )
    never = StaleReminder(pending.id, SYSTEM, pending_since=since, closes_at=None)  # auto-close off
    assert notices.stale_reminder(pending, never, now).endswith("Reply here when you can.")
    assert notices.stale_reminder_holds(pending)
    assert not notices.stale_reminder_holds(ticket(status=Status.OPEN))
