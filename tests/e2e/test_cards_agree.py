"""Both cards agree: a status, priority, assignee change or close made on either platform edits the Slack card
and the Discord embed. Both SDKs run at once as ``ticketbot run`` composes them (``bot.bootstrap.start_adapters``,
one outbox, the real dispatcher): a Discord user's ticket, worked from Slack buttons or from Discord commands."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest

from adapters.slack import render as slack_render
from bot.bootstrap import Runtime
from core.model import Link
from tests.e2e.slack.harness import ALICE
from tests.fakes.discord import FakeChannel, FakeDiscord
from tests.fakes.slack import FakeSlack, SlackSender
from tests.fakes.slack import payloads as p


async def eventually(check: Callable[[], Any], what: str, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within}s: {what}")
        await asyncio.sleep(0.05)


class Cards:
    """The ticket's two cards as staff see them: the Slack card's fields and the Discord embed's."""

    def __init__(self, service: Runtime, discord_fake: FakeDiscord, slack_fake: FakeSlack, ticket_id: str) -> None:
        self.service, self.discord, self.slack, self.ticket_id = service, discord_fake, slack_fake, ticket_id

    async def slack_link(self) -> Link | None:
        return await self.service.desk.queries.link(self.ticket_id, "slack", "staff_card")

    async def thread(self) -> FakeChannel:
        link = await self.service.desk.queries.link(self.ticket_id, "discord", "thread")
        assert link is not None and link.thread_id
        return self.discord.channel(link.thread_id)

    async def slack_fields(self) -> dict[str, str]:
        link = await self.slack_link()
        if link is None:
            return {}
        card = self.slack.message(link.channel_id, link.message_id or "")
        fields = [f["text"] for f in card["blocks"][1]["fields"]]
        return {name.strip("*"): value for name, _, value in (f.partition("\n") for f in fields)}

    async def discord_fields(self) -> dict[str, str]:
        pins = self.discord.pins(await self.thread())
        return {f["name"]: f["value"] for f in pins[0].embeds[0]["fields"]} if pins else {}

    async def agree(self, slack: Callable[[dict[str, str]], bool], discord: Callable[[dict[str, str]], bool]) -> None:
        async def both() -> bool:
            return slack(await self.slack_fields()) and discord(await self.discord_fields())

        await eventually(both, "both cards show the change")


async def open_from_discord(service: Runtime, discord_fake: FakeDiscord, slack_fake: FakeSlack) -> Cards:
    ix = await discord_fake.slash(discord_fake.alice, "ticket open")
    submit = await discord_fake.submit_modal(ix, {"subject": "Login fails", "description": "500 after password"})
    answer = await submit.reply()
    ticket_id = re.search(r"TKT-[0-9A-Z]{5}", answer.content).group(0)  # type: ignore[union-attr]
    cards = Cards(service, discord_fake, slack_fake, ticket_id)
    await cards.agree(lambda s: s.get("Status", "").endswith("Open"), lambda d: d.get("Status", "").endswith("Open"))
    return cards


async def press_on_slack(
    service: Runtime, slack_fake: FakeSlack, cards: Cards, action: str, selected: str = ""
) -> None:
    link = await cards.slack_link()
    assert link is not None
    tid = cards.ticket_id
    payload = p.block_action(
        slack_fake,
        action,
        value=None if selected else tid,
        selected=f"{tid}|{selected}" if selected else None,
        user_id=ALICE,
        channel_id=link.channel_id,
        message_ts=link.message_id,
        block_id=f"ticket_actions|{tid}",
    )
    async with SlackSender(f"{service.web_url}/slack/events", slack_fake) as sender:
        assert (await sender.interaction(payload)).status == 200


async def on_discord(discord_fake: FakeDiscord, cards: Cards, command: str, **options: Any) -> None:
    thread = await cards.thread()
    await (await discord_fake.slash(discord_fake.sam, command, channel=thread, **options)).reply()


CHANGES = {  # field → (what a Slack card shows, what the Discord embed shows)
    "status": (lambda s: s["Status"].endswith("Pending"), lambda d: d["Status"].endswith("Pending")),
    "priority": (lambda s: s["Priority"].endswith("Urgent"), lambda d: d["Priority"] == "Urgent"),
    "close": (lambda s: s["Status"].endswith("Closed"), lambda d: d["Status"].endswith("Closed")),
}


@pytest.mark.parametrize("field", ["status", "priority", "assignee", "close"])
async def test_a_change_made_in_slack_shows_on_both_cards(
    fakes: tuple[FakeDiscord, FakeSlack], service: Runtime, field: str
) -> None:
    discord_fake, slack_fake = fakes
    cards = await open_from_discord(service, discord_fake, slack_fake)
    if field == "status":
        await press_on_slack(service, slack_fake, cards, slack_render.A_PENDING)
    elif field == "priority":
        await press_on_slack(service, slack_fake, cards, slack_render.A_PRIORITY, selected="Urgent")
    elif field == "assignee":
        await press_on_slack(service, slack_fake, cards, slack_render.A_CLAIM)
    else:
        await press_on_slack(service, slack_fake, cards, slack_render.A_CLOSE)
    if field == "assignee":
        await cards.agree(lambda s: s["Assignee"] == "Alice (Slack)", lambda d: d["Assignee"] == "Alice (Slack)")
    else:
        await cards.agree(*CHANGES[field])


@pytest.mark.parametrize("field", ["status", "priority", "assignee", "close"])
async def test_a_change_made_in_discord_shows_on_both_cards(
    fakes: tuple[FakeDiscord, FakeSlack], service: Runtime, field: str
) -> None:
    discord_fake, slack_fake = fakes
    cards = await open_from_discord(service, discord_fake, slack_fake)
    sam = discord_fake.sam
    if field == "status":  # a staff answer in the thread sets the ticket Pending
        await discord_fake.send_message(sam, await cards.thread(), "Please clear your cookies")
    elif field == "priority":
        await on_discord(discord_fake, cards, "ticket priority", level="Urgent")
    elif field == "assignee":
        await on_discord(discord_fake, cards, "ticket assign")
    else:
        await on_discord(discord_fake, cards, "ticket close")
    if field == "assignee":
        await cards.agree(
            lambda s: s["Assignee"].startswith("Sam Support") and s["Assignee"].endswith("(Discord)"),
            lambda d: d["Assignee"] == f"<@{sam.id}>",
        )
    else:
        await cards.agree(*CHANGES[field])
