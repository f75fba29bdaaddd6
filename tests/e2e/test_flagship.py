"""The flagship, as `ticketbot run` composes it: a ticket opened in Discord is worked by staff from Slack.

Both real SDKs run at once through ``bot.bootstrap.start_adapters``: discord.py logged in to the fake
gateway, the Bolt app behind our FastAPI server receiving signed requests, one outbox between them.
"""

from __future__ import annotations

import logging
import re

import pytest

from bot.bootstrap import Runtime
from core.model import Status
from tests.e2e.slack.harness import ALICE, STAFF_CHANNEL
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack, SlackSender


async def test_discord_ticket_worked_from_slack(
    fakes: tuple[FakeDiscord, FakeSlack], service: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    discord_fake, slack_fake = fakes
    user = discord_fake.alice

    # A community user opens a ticket in Discord (slash command → modal → submit).
    ix = await discord_fake.slash(user, "ticket open")
    submit = await discord_fake.submit_modal(ix, {"subject": "Login fails", "description": "500 after password"})
    ticket_id = re.search(r"TKT-[0-9A-Z]{5}", (await submit.reply()).content).group(0)  # type: ignore[union-attr]

    # Staff see a card in the Slack staff channel; the Discord user has a private thread.
    card = await slack_fake.wait_for("chat.postMessage", timeout=10, channel=STAFF_CHANNEL)
    assert ticket_id in str(card.args)
    link = await service.desk.queries.link(ticket_id, "discord", "thread")
    assert link is not None
    thread = discord_fake.channel(link.thread_id or 0)

    # Staff reply from Slack; the reply appears in the Discord thread under the staff member's name.
    sender = SlackSender(f"{service.web_url}/slack/events", slack_fake)
    async with sender:
        answer = await sender.command(f"reply {ticket_id} Please clear your cookies", user_id=ALICE)
        assert answer.status == 200
    relayed = await discord_fake.wait_until(
        lambda: next((m for m in discord_fake.messages_in(thread) if "clear your cookies" in str(m.payload())), None),
        within=10,
        what="the Slack reply in the Discord thread",
    )
    assert "Alice" in str(relayed.payload())
    ticket = await service.desk.queries.ticket(ticket_id)
    assert ticket.status is Status.PENDING

    # The user answers in the Discord thread: the message lands in the ticket and in the Slack card's thread.
    await discord_fake.send_message(user, thread, "Cookies cleared, works now. Thanks!")
    mirrored = await slack_fake.wait_for(
        "chat.postMessage", timeout=10, where=lambda c: "Cookies cleared" in str(c.args)
    )
    assert mirrored.args.get("thread_ts"), "the requester's message goes into the card's thread"
    assert (await service.desk.queries.ticket(ticket_id)).status is Status.OPEN
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.records
