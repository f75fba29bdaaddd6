"""ticketbot as `ticketbot run` composes it (``bot.bootstrap.start_adapters``): Slack over HTTP on the web
server, the outbox dispatcher running on its own with the real clock, and a ticket opened by another process
(the CLI) reaching the staff channel too."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable

from adapters.slack import render
from bot.bootstrap import open_runtime, start_adapters
from bot.settings import Settings
from core.model import Actor
from tests.e2e.slack.harness import ALICE, BOB, STAFF_CHANNEL, cast, slack_settings
from tests.fakes.slack import FakeSlack, SlackSender
from tests.fakes.slack import payloads as p


async def test_run_serves_slack_and_delivers_from_the_outbox(
    fake_slack: FakeSlack, settings_factory: Callable[..., Settings]
) -> None:
    cast(fake_slack)
    settings = settings_factory(slack=slack_settings(fake_slack))
    service = await open_runtime(settings)
    try:
        await start_adapters(service)
        assert service.desk.consumers == ["slack"]
        async with SlackSender(f"{service.web_url}/slack/events", fake_slack) as sender:
            reply = await sender.command("new Printer on fire | it smokes", user_id=BOB)
            assert reply.status == 200
            told = await fake_slack.wait_for("response_url", timeout=10)
            ticket_id = re.search(r"TKT-\w{5}", told["text"]).group(0)  # type: ignore[union-attr]
            card = await fake_slack.wait_for(
                "chat.postMessage", timeout=10, channel=STAFF_CHANNEL, where=lambda c: "thread_ts" not in c.args
            )
            assert ticket_id in card["text"]
            press = p.block_action(
                fake_slack, render.A_CLAIM, value=ticket_id, user_id=ALICE, channel_id=STAFF_CHANNEL,
                message_ts=card.response["ts"], block_id=f"ticket_actions|{ticket_id}",
            )  # fmt: skip
            assert (await sender.interaction(press)).status == 200
            await fake_slack.wait_for(
                "chat.update", timeout=10, ts=card.response["ts"], where=lambda c: "Alice (Slack)" in str(c.args)
            )
        cli = await open_runtime(settings)  # another process: no adapter, same database and configuration
        try:
            other = await cli.desk.create_ticket(
                subject="Opened from the CLI", requester=Actor(platform="api", user_id="u1", name="Cleo")
            )
        finally:
            await cli.close()
        await fake_slack.wait_for(
            "chat.postMessage", timeout=10, channel=STAFF_CHANNEL, where=lambda c: other.id in str(c.args.get("text"))
        )
    finally:
        await service.close()
        gc.unfreeze()  # bootstrap froze the start-up objects; later tests' garbage must stay collectable
    assert service.failure is None
