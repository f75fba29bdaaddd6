"""What Slack shows because time passed: SLA warnings, breaches and repeats (card thread, assignee DM, the
escalation user group), the acknowledgement in the requester's DM, the stale reminder, the auto-close's reason,
the daily digest with its chart — each once per event. The scheduler's events are put into the outbox by the
test, as the scheduler does; the real notifier delivers them to the fake Slack."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from core.events import DIGEST_KEY, DigestDue, Event, SlaBreached, SlaWarning, StaleReminder, register
from core.lifecycle import Rules
from core.model import Actor, Priority, Status, Ticket
from core.sla import BusinessHours, SlaPolicy
from tests.e2e.slack.harness import (
    ALICE,
    BOB,
    SlackHarness,
    cast,
    runtime_around,
    slack_settings,
    start_slack,
)
from tests.fakes.slack import FakeSlack

ESCALATION = "S0ONCALL"
DIGEST_CHANNEL = "C0DIGEST"
ALICE_DM = "D0STAFF"  # the fake's DM channel with Alice
SYSTEM = Actor.system()
HOSTILE = "Down <!channel> @here <!subteam^S0EVIL> <@U0STAFF> @everyone <!everyone>"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def slack_overrides() -> dict[str, Any]:
    return {"escalation_usergroup": ESCALATION}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"digest": {"slack_channel": DIGEST_CHANNEL, "timezone": "Europe/Berlin"}}


async def emit(slack: SlackHarness, *events: Event) -> None:
    """Put events into the outbox the way the scheduler does, and deliver them."""
    await slack.desk.db.write(lambda uow: uow.outbox.add(list(events), slack.desk.consumers, slack.clock.now()))
    await slack.settle()


async def deliver_all(slack: SlackHarness) -> None:
    """Deliver until the outbox is empty, moving the clock past every retry's backoff."""
    for _ in range(30):
        await slack.settle()
        if not await slack.desk.db.read(lambda uow: uow.outbox.pending("slack")):
            return
        slack.clock.advance(minutes=10)
    raise AssertionError("the outbox never emptied")


async def high_ticket(slack: SlackHarness, subject: str = "Printer on fire") -> Ticket:
    ticket = await slack.desk.create_ticket(subject=subject, message="It smokes.", priority="High",
                                            requester=slack.actor(BOB))  # fmt: skip
    await slack.settle()
    return ticket


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages]


def everything(message: dict[str, Any]) -> str:
    return f"{message['text']} {message.get('blocks', '')}"


def mentions(text: str) -> list[str]:
    """Every special mention Slack would act on (``<!channel>``, ``<!subteam^…>``, ``<@U…>``); date tags aside."""
    return re.findall(r"<(?:!(?!date\^)|@)[^>]*>", text)


async def test_an_sla_warning_goes_to_the_card_thread_and_to_the_assignee_by_dm(slack: SlackHarness):
    ticket = await high_ticket(slack)
    await slack.desk.claim_ticket(ticket_id=ticket.id, actor=slack.actor(ALICE))
    await slack.settle()
    slack.clock.advance(hours=3)
    await emit(slack, SlaWarning(ticket.id, SYSTEM, due_at=ticket.sla_due_at))  # type: ignore[arg-type]

    [alert] = [m for m in await slack.staff_thread(ticket.id) if "SLA" in m["text"]]
    assert alert["text"].startswith(f"SLA warning: {ticket.id} (High) is due in 1 h")
    assert "assigned to Alice (Slack)" in alert["blocks"][0]["text"]["text"]
    assert "subteam" not in everything(alert)  # a warning escalates to nobody
    [dm] = slack.fake.posts(ALICE_DM)
    assert dm["text"].startswith(f"SLA warning: {ticket.id} (High) is due in 1 h — Printer on fire")
    card = await slack.card(ticket.id)
    permalink = f"archives/{card.channel_id}/p{card.message_id.replace('.', '')}"  # type: ignore[union-attr]
    assert permalink in dm["blocks"][0]["text"]["text"]


async def test_an_unassigned_breach_mentions_the_escalation_group_and_nothing_users_typed(slack: SlackHarness):
    ticket = await high_ticket(slack, subject=HOSTILE)
    slack.clock.advance(hours=4, minutes=5)
    await emit(slack, SlaBreached(ticket.id, SYSTEM, due_at=ticket.sla_due_at))  # type: ignore[arg-type]

    [alert] = [m for m in await slack.staff_thread(ticket.id) if "SLA breached" in m["text"]]
    shown = everything(alert)
    assert shown.count(f"<!subteam^{ESCALATION}>") == 2  # the notification text and the block: our mention only
    assert mentions(shown) == [f"<!subteam^{ESCALATION}>", f"<!subteam^{ESCALATION}>"]
    assert "&lt;!channel&gt;" in shown and "@\u200bhere" in shown and "@\u200beveryone" in shown
    assert "*unassigned*" in alert["blocks"][0]["text"]["text"]
    assert "overdue by 5 min" in alert["text"]
    assert slack.fake.posts(ALICE_DM) == []  # nobody to DM


async def test_an_assigned_breach_and_its_repeats_mention_nobody_and_each_posts_once(slack: SlackHarness):
    ticket = await high_ticket(slack, subject=HOSTILE)
    await slack.desk.claim_ticket(ticket_id=ticket.id, actor=slack.actor(ALICE))
    await slack.settle()
    slack.clock.advance(hours=4, minutes=1)
    breach = SlaBreached(ticket.id, SYSTEM, due_at=ticket.sla_due_at)  # type: ignore[arg-type]
    await emit(slack, breach)
    slack.clock.advance(hours=4)
    repeat = SlaBreached(ticket.id, SYSTEM, due_at=ticket.sla_due_at, repeat=1)  # type: ignore[arg-type]
    await emit(slack, repeat, repeat)  # the same event delivered twice (a retry, another replica)

    alerts = [m for m in await slack.staff_thread(ticket.id) if "overdue" in m["text"]]
    assert [a["text"].split(":")[0] for a in alerts] == ["SLA breached", "Still unanswered (reminder 1)"]
    assert "overdue by 4 h 1 min" in alerts[1]["text"]
    assert all(not mentions(everything(a)) for a in alerts)  # assigned: no mention at all
    assert len(slack.fake.posts(ALICE_DM)) == 2


async def test_a_failed_dm_retries_the_event_without_posting_the_thread_alert_twice(slack: SlackHarness):
    ticket = await high_ticket(slack)
    await slack.desk.claim_ticket(ticket_id=ticket.id, actor=slack.actor(ALICE))
    await slack.settle()
    slack.clock.advance(hours=4, minutes=1)
    slack.fake.fail("chat.postMessage", "internal_error", status=500, channel=ALICE_DM, times=2)
    await emit(slack, SlaBreached(ticket.id, SYSTEM, due_at=ticket.sla_due_at))  # type: ignore[arg-type]
    assert slack.fake.posts(ALICE_DM) == []
    await deliver_all(slack)
    assert len([m for m in await slack.staff_thread(ticket.id) if "SLA breached" in m["text"]]) == 1
    assert len(slack.fake.posts(ALICE_DM)) == 1


async def test_a_reminder_the_ticket_has_moved_past_posts_nothing(slack: SlackHarness):
    ticket = await high_ticket(slack)
    await slack.desk.admin_reply_to_ticket(ticket_id=ticket.id, content="On it", actor=slack.actor(ALICE))
    await slack.settle()
    before = len(await slack.staff_thread(ticket.id))
    slack.clock.advance(hours=5)
    await emit(slack, SlaBreached(ticket.id, SYSTEM, due_at=ticket.sla_due_at))  # type: ignore[arg-type]
    assert len(await slack.staff_thread(ticket.id)) == before  # answered (Pending): the breach no longer holds
    assert not await slack.desk.db.read(lambda uow: uow.outbox.pending("slack"))  # delivered, not retried


async def test_the_requester_is_told_the_response_target_in_their_dm_card(slack: SlackHarness):
    ticket = await high_ticket(slack)
    dm = await slack.dm(ticket.id)
    card = slack.fake.message(dm.channel_id, dm.message_id)  # type: ignore[arg-type]
    hint = card["blocks"][2]["elements"][0]["text"]
    assert hint.startswith("We usually answer High tickets within 4 h.")
    await slack.desk.set_priority(ticket_id=ticket.id, priority=Priority.URGENT, actor=slack.actor(ALICE))
    await slack.settle()
    card = slack.fake.message(dm.channel_id, dm.message_id)  # type: ignore[arg-type]
    assert card["blocks"][2]["elements"][0]["text"].startswith("We usually answer Urgent tickets within 1 h.")


async def test_the_stale_reminder_reaches_the_requester_once_and_the_auto_close_says_why(slack: SlackHarness):
    ticket = await high_ticket(slack)
    await slack.desk.admin_reply_to_ticket(ticket_id=ticket.id, content="Try a reboot?", actor=slack.actor(ALICE))
    await slack.settle()
    since = slack.clock.now()
    slack.clock.advance(days=3)
    reminder = StaleReminder(ticket.id, SYSTEM, pending_since=since, closes_at=since + timedelta(days=7))
    await emit(slack, reminder, reminder)
    notes = [m for m in await slack.dm_thread(ticket.id) if "waiting for your answer" in m["text"]]
    assert [m["text"] for m in notes] == [
        f":wave: Support is waiting for your answer on {ticket.id} (for 3 d). "
        "Reply here to keep it open; otherwise it closes automatically in 4 d."
    ]
    assert not [m for m in await slack.staff_thread(ticket.id) if "waiting for your answer" in m["text"]]

    slack.clock.advance(days=4)
    reason = "no answer from the requester for 7 d"
    await slack.desk.close_ticket(ticket_id=ticket.id, actor=SYSTEM, reason=reason)  # as the scheduler closes
    await slack.settle()
    staff_note = (await slack.staff_thread(ticket.id))[-1]
    assert staff_note["text"] == f"Status Pending → Closed — {reason}"
    card = await slack.card(ticket.id)
    assert f"closed: {reason}" in str(slack.fake.message(card.channel_id, card.message_id)["blocks"])  # type: ignore[arg-type]
    dm = await slack.dm(ticket.id)
    assert (await slack.dm_thread(ticket.id))[-1]["text"].startswith(f"Your ticket was closed: {reason}.")
    dm_card = slack.fake.message(dm.channel_id, dm.message_id)  # type: ignore[arg-type]
    assert f"Closed: {reason}." in str(dm_card["blocks"])


async def test_a_stale_reminder_after_the_requester_answered_posts_nothing(slack: SlackHarness):
    ticket = await high_ticket(slack)
    await slack.desk.admin_reply_to_ticket(ticket_id=ticket.id, content="Try a reboot?", actor=slack.actor(ALICE))
    await slack.desk.reply_to_ticket(ticket_id=ticket.id, content="Did not help", actor=slack.actor(BOB))
    await slack.settle()
    await emit(slack, StaleReminder(ticket.id, SYSTEM, pending_since=slack.clock.now()))
    assert not [m for m in await slack.dm_thread(ticket.id) if "waiting for your answer" in m["text"]]


async def test_the_digest_is_uploaded_with_its_chart_once_per_day_and_links_the_oldest_cards(slack: SlackHarness):
    tickets = [await high_ticket(slack, subject=f"Problem {n} <!channel>") for n in range(3)]
    slack.clock.advance(hours=20)  # 09:00 in Berlin the next morning
    day = "2026-11-26"  # the tickets' day (the clock started on it)
    await emit(slack, DigestDue(DIGEST_KEY, SYSTEM, day=day), DigestDue(DIGEST_KEY, SYSTEM, day=day))  # a restart
    [shared] = slack.fake.shared_files(DIGEST_CHANNEL)
    assert slack.fake.file_bytes(shared["id"]).startswith(PNG)
    assert shared["name"] == f"digest-{day}.png"
    [message] = slack.fake.messages(DIGEST_CHANNEL)
    text = message["text"]
    assert text.startswith("*Daily digest for ") and "Tickets: 3 opened" in text
    for ticket in tickets:
        card = await slack.card(ticket.id)
        link = f"archives/{card.channel_id}/p{card.message_id.replace('.', '')}|{ticket.id}>"  # type: ignore[union-attr]
        assert link in text
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert len(slack.fake.calls_to("files.getUploadURLExternal")) == 1

    slack.clock.advance(days=1)
    await emit(slack, DigestDue(DIGEST_KEY, SYSTEM, day="2026-11-27"))
    assert len(slack.fake.shared_files(DIGEST_CHANNEL)) == 2  # the next day has its own


@dataclass(frozen=True)
class SomethingNew(Event):
    """A core event no notifier knows (as a later version might add)."""

    name: ClassVar[str] = "something_new_for_the_test"


register(SomethingNew)


@pytest.mark.parametrize("settings_overrides", [{}], indirect=False)
async def test_events_slack_shows_nothing_for_are_delivered_and_never_retried(slack: SlackHarness, settings_overrides):
    ticket = await high_ticket(slack)
    calls = len(slack.fake.calls)
    await emit(slack, DigestDue(DIGEST_KEY, SYSTEM, day="2026-11-25"), SomethingNew(DIGEST_KEY, SYSTEM))
    await emit(slack, SomethingNew(ticket.id, SYSTEM))
    assert not await slack.desk.db.read(lambda uow: uow.outbox.pending("slack"))
    assert [c.method for c in slack.fake.calls[calls:]] == []  # no digest channel here; nothing to show


# ------------------------------------------------------------------------------------------ business hours
@pytest.fixture
async def slack_with_hours(fake_slack: FakeSlack, desk, clock, settings_factory) -> AsyncIterator[SlackHarness]:  # type: ignore[no-untyped-def]
    hours = "Europe/Berlin Mon-Fri 09:00-17:00"
    cast(fake_slack)
    settings = settings_factory(slack=slack_settings(fake_slack), sla={"business_hours": hours})
    rules = Rules(sla=SlaPolicy(hours=BusinessHours.parse(hours)))
    runtime = runtime_around(dataclasses.replace(desk, rules=rules), settings)
    adapter = await start_slack(runtime)
    try:
        yield SlackHarness(fake_slack, runtime, adapter, None, clock)
    finally:
        await runtime.close()


async def test_outside_business_hours_the_requester_learns_when_the_clock_starts(slack_with_hours: SlackHarness):
    slack = slack_with_hours
    slack.clock.advance(days=2)  # Thursday noon → Saturday noon
    ticket = await high_ticket(slack)
    dm = await slack.dm(ticket.id)
    hint = slack.fake.message(dm.channel_id, dm.message_id)["blocks"][2]["elements"][0]["text"]  # type: ignore[arg-type]
    monday_9_berlin = int(datetime(2026, 11, 30, 8, 0, tzinfo=UTC).timestamp())
    assert hint.startswith("We usually answer High tickets within 4 h of support hours. It is outside support hours")
    assert f"the clock starts <!date^{monday_9_berlin}^" in hint
    assert (await slack.ticket(ticket.id)).status is Status.OPEN
