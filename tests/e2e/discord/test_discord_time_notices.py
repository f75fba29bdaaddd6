"""What Discord shows because time passed: SLA reminders in the staff-only channel (never the requester's
thread) and to the assignee by DM, the escalation role on an unassigned breach (the only mention allowed),
the acknowledgement in the thread's opening message, the stale reminder, the auto-close's reason, the daily
digest with its chart — each once per event. The test puts the scheduler's events into the outbox; the bot
runs as ``ticketbot run`` composes it (``bot.bootstrap.start_adapters``) against the fake Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

import pytest

from bot.settings import Settings
from core.events import DIGEST_KEY, DigestDue, Event, SlaBreached, SlaWarning, StaleReminder, register
from core.model import Actor, Ticket
from tests.e2e.discord.app import DiscordApp, discord_settings
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeChannel, FakeDiscord, FakeMessage

SYSTEM = Actor.system()
HOSTILE = "Down @everyone @here <@&{role}> <@{user}> **bold** <#1>"
PNG = b"\x89PNG\r\n\x1a\n"


@dataclass
class World:
    fake: FakeDiscord
    app: DiscordApp
    staff_channel: FakeChannel | None
    digest_channel: FakeChannel
    clock: FakeClock

    @property
    def role(self) -> int:
        return self.fake.staff_role.id  # the escalation role: everyone in support

    def sam(self) -> Actor:
        return Actor("discord", str(self.fake.sam.id), "Sam Support", is_staff=True)

    async def emit(self, *events: Event) -> None:
        desk = self.app.desk
        await desk.db.write(lambda uow: uow.outbox.add(list(events), desk.consumers, self.clock.now()))
        self.app.dispatcher.wake()
        await self.app.settle()

    async def high_ticket(self, subject: str = "Printer on fire") -> tuple[Ticket, FakeChannel]:
        ticket_id, thread, _ = await self.app.open_ticket(self.fake.alice, subject, "It smokes.", priority="High")
        await self.app.settle()
        return await self.app.desk.queries.ticket(ticket_id), thread

    def staff_posts(self) -> list[FakeMessage]:
        assert self.staff_channel is not None
        return self.fake.messages_in(self.staff_channel)


@pytest.fixture
async def world(
    fake: FakeDiscord, settings_factory: Callable[..., Settings], clock: FakeClock, delivery_failures: Any
) -> AsyncIterator[Callable[..., Awaitable[World]]]:
    apps: list[DiscordApp] = []

    async def make(*, staff_channel: bool = True) -> World:
        staff = fake.add_channel("staff-alerts") if staff_channel else None
        digest = fake.add_channel("digest")
        overrides: dict[str, Any] = {"escalation_role_id": fake.staff_role.id}
        if staff is not None:
            overrides["staff_channel_id"] = staff.id
        settings = settings_factory(
            discord=discord_settings(fake, **overrides),
            digest={"discord_channel_id": digest.id, "timezone": "Europe/Berlin"},
        )
        app = await DiscordApp(fake, settings, clock).start()
        apps.append(app)
        return World(fake, app, staff, digest, clock)

    try:
        yield make
    finally:
        for app in apps:
            if app.running:
                await app.stop()


def sla_lines(messages: list[FakeMessage]) -> list[FakeMessage]:
    return [m for m in messages if "SLA" in m.content or "unanswered" in m.content]


async def test_an_sla_warning_goes_to_the_staff_channel_and_the_assignee_never_the_requesters_thread(world):  # type: ignore[no-untyped-def]
    w: World = await world()
    ticket, thread = await w.high_ticket()
    await w.app.desk.claim_ticket(ticket_id=ticket.id, actor=w.sam())
    w.clock.advance(hours=3)
    await w.emit(SlaWarning(ticket.id, SYSTEM, due_at=ticket.sla_due_at))  # type: ignore[arg-type]

    [alert] = w.staff_posts()
    assert alert.content.startswith(f"⏳ **SLA warning: {ticket.id} (High) is due in 1 h**")
    assert f"assigned to <@{w.fake.sam.id}>" in alert.content  # shown, not pinged:
    assert (alert.mentions, alert.mention_roles, alert.mention_everyone) == ([], [], False)
    assert f"https://discord.com/channels/{w.fake.guild.id}/{thread.id}" in alert.content
    [dm] = w.fake.dm_messages(w.fake.sam)
    assert dm.content.startswith(f"⏳ **SLA warning: {ticket.id} (High) is due in 1 h** — a ticket assigned to you")
    assert sla_lines(w.fake.messages_in(thread)) == []  # the requester never sees staff reminders
    card = w.app.card(thread)
    assert card.embeds[0]["fields"][5]["name"] == "SLA due"


async def test_an_unassigned_breach_pings_the_escalation_role_only(world):  # type: ignore[no-untyped-def]
    w: World = await world()
    hostile = HOSTILE.format(role=w.role, user=w.fake.bob.id)
    ticket, thread = await w.high_ticket(subject=hostile)
    w.clock.advance(hours=4, minutes=5)
    await w.emit(SlaBreached(ticket.id, SYSTEM, due_at=ticket.sla_due_at))  # type: ignore[arg-type]

    [alert] = w.staff_posts()
    assert alert.content.startswith(f"🚨 **SLA breached: {ticket.id} (High) is overdue by 5 min**")
    assert "**unassigned**" in alert.content and alert.content.endswith(f"<@&{w.role}> please pick it up.")
    assert alert.mention_roles == [w.role] and alert.mentions == [] and alert.mention_everyone is False
    assert alert.allowed_mentions is not None and alert.allowed_mentions["parse"] == []
    assert [int(r) for r in alert.allowed_mentions["roles"]] == [w.role]
    # the subject's own mentions and Markdown are inert text
    assert f"<@\u200b&{w.role}>" in alert.content and "@\u200beveryone" in alert.content
    assert "\\*\\*bold\\*\\*" in alert.content
    assert sla_lines(w.fake.messages_in(thread)) == []
    assert w.fake.dm_messages(w.fake.sam) == []


async def test_repeats_post_once_each_and_an_assigned_breach_pings_nobody(world):  # type: ignore[no-untyped-def]
    w: World = await world()
    ticket, _ = await w.high_ticket()
    await w.app.desk.claim_ticket(ticket_id=ticket.id, actor=w.sam())
    w.clock.advance(hours=8, minutes=1)
    repeat = SlaBreached(ticket.id, SYSTEM, due_at=ticket.sla_due_at, repeat=1)  # type: ignore[arg-type]
    await w.emit(repeat, repeat)  # delivered twice: posted once
    [alert] = w.staff_posts()
    assert alert.content.startswith(f"🔔 **Still unanswered (reminder 1): {ticket.id} (High) is overdue by 4 h 1 min**")
    assert alert.mention_roles == [] and alert.allowed_mentions is not None and alert.allowed_mentions["parse"] == []
    assert len(w.fake.dm_messages(w.fake.sam)) == 1


async def test_without_a_staff_channel_only_the_assignee_is_told(world):  # type: ignore[no-untyped-def]
    w: World = await world(staff_channel=False)
    ticket, thread = await w.high_ticket()
    await w.app.desk.claim_ticket(ticket_id=ticket.id, actor=w.sam())
    w.clock.advance(hours=4, minutes=1)
    await w.emit(SlaBreached(ticket.id, SYSTEM, due_at=ticket.sla_due_at))  # type: ignore[arg-type]
    assert len(w.fake.dm_messages(w.fake.sam)) == 1
    assert sla_lines(w.fake.messages_in(thread)) == []


async def test_the_opening_message_tells_the_requester_the_response_target(world):  # type: ignore[no-untyped-def]
    w: World = await world()
    _, thread = await w.high_ticket()
    opening = w.app.card(thread)
    assert opening.content.endswith("Support will answer here.\nWe usually answer High tickets within 4 h.")
    assert [u.id for u in opening.mentions] == [w.fake.alice.id]


async def test_the_stale_reminder_pings_the_requester_once_and_the_auto_close_says_why(world):  # type: ignore[no-untyped-def]
    w: World = await world()
    ticket, thread = await w.high_ticket()
    await w.app.desk.admin_reply_to_ticket(ticket_id=ticket.id, content="Try a reboot?", actor=w.sam())
    await w.app.settle()
    since = w.clock.now()
    w.clock.advance(days=3)
    reminder = StaleReminder(ticket.id, SYSTEM, pending_since=since, closes_at=since + timedelta(days=7))
    await w.emit(reminder, reminder)
    [note] = [m for m in w.fake.messages_in(thread) if "waiting for your answer" in m.content]
    assert note.content == (
        f"👋 <@{w.fake.alice.id}>, Support is waiting for your answer on {ticket.id} (for 3 d). "
        "Reply here to keep it open; otherwise it closes automatically in 4 d."
    )
    assert [u.id for u in note.mentions] == [w.fake.alice.id] and note.mention_roles == []

    w.clock.advance(days=4)
    reason = "no answer from the requester for 7 d"
    await w.app.desk.close_ticket(ticket_id=ticket.id, actor=SYSTEM, reason=reason)
    await w.app.settle()
    closing = next(m for m in w.fake.messages_in(thread) if m.content.startswith("🔒"))
    assert f"was closed by ticketbot.\nReason: {reason}" in closing.content
    fields = {f["name"]: f["value"] for f in w.app.card(thread).embeds[0]["fields"]}
    assert fields["Close reason"] == reason and fields["Status"].endswith("Closed")


async def test_the_digest_is_posted_with_its_chart_once_per_day_and_links_the_threads(world):  # type: ignore[no-untyped-def]
    w: World = await world()
    opened = [await w.high_ticket(subject=f"Problem {n} @everyone") for n in range(2)]
    w.clock.advance(hours=20)
    day = "2026-11-26"
    await w.emit(DigestDue(DIGEST_KEY, SYSTEM, day=day), DigestDue(DIGEST_KEY, SYSTEM, day=day))

    [post] = w.fake.messages_in(w.digest_channel)
    [chart] = post.attachments
    assert chart.filename == f"digest-{day}.png" and chart.data.startswith(PNG)
    [embed] = post.embeds
    assert embed["title"].startswith("Daily digest for Thursday 26 November 2026")
    assert embed["image"]["url"] == f"attachment://digest-{day}.png"
    for ticket, thread in opened:
        assert f"[{ticket.id}](https://discord.com/channels/{w.fake.guild.id}/{thread.id})" in embed["description"]
    assert "@\u200beveryone" in embed["description"] and post.mention_everyone is False

    w.clock.advance(days=1)
    await w.emit(DigestDue(DIGEST_KEY, SYSTEM, day="2026-11-27"))
    assert len(w.fake.messages_in(w.digest_channel)) == 2


@dataclass(frozen=True)
class SomethingNewer(Event):
    name: ClassVar[str] = "unknown_to_discord_test"  # the outbox keeps names of up to 32 characters


register(SomethingNewer)


async def test_an_event_discord_shows_nothing_for_is_delivered_once_and_never_retried(world):  # type: ignore[no-untyped-def]
    w: World = await world()
    ticket, thread = await w.high_ticket()
    before = len(w.fake.calls)
    await w.emit(SomethingNewer(ticket.id, SYSTEM), SomethingNewer(DIGEST_KEY, SYSTEM))
    await asyncio.sleep(0)
    assert await w.app.pending() == 0
    assert [c for c in w.fake.calls[before:] if c.method != "GET"] == []
