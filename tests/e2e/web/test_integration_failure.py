"""Integration failure, as ``ticketbot run`` composes it with Slack and Discord on their fakes: Discord's
gateway drops and refuses to come back past the grace → one Urgent ticket, shown in Slack (still up) and in
the API; Discord back → a note and the ticket closed; a flap reopens the same ticket; a refused token too."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import aiohttp
import pytest

from bot.bootstrap import Runtime, open_runtime, start_adapters
from bot.settings import Settings
from core.commands import ListTickets, Page
from core.health import IncidentWatch, Link
from core.model import Actor, Priority, Status, Ticket
from tests.e2e.discord.app import discord_settings
from tests.e2e.slack.harness import STAFF_CHANNEL, cast, slack_settings
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack

OPERATOR = Actor("cli", "operator", is_staff=True)
GRACE = timedelta(seconds=2)


@pytest.fixture
async def service(
    settings_factory: Callable[..., Settings], clock: FakeClock
) -> AsyncIterator[tuple[Runtime, FakeDiscord, FakeSlack]]:
    discord_fake, slack_fake = await FakeDiscord().start(), await FakeSlack().start()
    cast(slack_fake)
    settings = settings_factory(
        discord=discord_settings(discord_fake), slack=slack_settings(slack_fake), health={"grace": "2s"},
        api_tokens=["t"],
    )  # fmt: skip
    runtime = await open_runtime(settings, clock=clock)
    try:
        await start_adapters(runtime)
        await discord_fake.wait_ready()
        await wait_for(lambda: state(runtime, "discord") is Link.CONNECTED, "discord connected")
        yield runtime, discord_fake, slack_fake
    finally:
        await runtime.close()
        await discord_fake.close()
        await slack_fake.close()
        gc.unfreeze()
    assert not discord_fake.problems() and not slack_fake.unknown, (discord_fake.problems(), slack_fake.unknown)


def state(runtime: Runtime, adapter: str) -> Link | None:
    found = runtime.board.state(adapter)
    return found.link if found else None


async def wait_for(predicate: Callable[[], object], what: str, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def all_tickets(runtime: Runtime) -> list[Ticket]:
    page = await runtime.desk.execute(ListTickets(tuple(Status), limit=100), OPERATOR)
    assert isinstance(page, Page)
    return list(page.items)


async def incident(runtime: Runtime, status: Status) -> Ticket:
    found: list[Ticket] = []

    async def look() -> bool:
        found[:] = [t for t in await all_tickets(runtime) if t.subject.startswith("Discord") and t.status is status]
        return bool(found)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not await look():
        if loop.time() > deadline:
            raise AssertionError(f"no {status.value} Discord incident ticket")
        await asyncio.sleep(0.05)
    return found[0]


async def test_discord_down_past_the_grace_opens_one_urgent_ticket_closed_when_it_is_back(
    service: tuple[Runtime, FakeDiscord, FakeSlack], clock: FakeClock
) -> None:
    runtime, discord_fake, slack_fake = service
    await discord_fake.gateway_outage()  # closes the session and holds every RESUME/IDENTIFY
    await wait_for(lambda: state(runtime, "discord") is Link.DISCONNECTED, "discord disconnected")
    clock.advance(seconds=1)
    await asyncio.sleep(0.5)  # within the grace: nothing yet
    assert await all_tickets(runtime) == []

    clock.advance(GRACE)
    ticket = await incident(runtime, Status.OPEN)
    assert ticket.priority is Priority.URGENT and ticket.subject == "Discord is disconnected"
    card = await slack_fake.wait_for("chat.postMessage", timeout=10, channel=STAFF_CHANNEL)  # Slack is still up
    assert ticket.id in str(card.args)
    async with aiohttp.ClientSession() as http:  # and the API lists it
        async with http.get(f"{runtime.web_url}/api/v1/tickets", headers={"Authorization": "Bearer t"}) as resp:
            assert ticket.id in [t["id"] for t in (await resp.json())["items"]]
        async with http.get(f"{runtime.web_url}/readyz") as resp:
            assert resp.status == 503 and "discord disconnected" in str(await resp.json())

    clock.advance(minutes=5)
    await asyncio.sleep(0.5)  # still down: still one ticket
    assert len(await all_tickets(runtime)) == 1

    await discord_fake.end_gateway_outage()
    closed = await incident(runtime, Status.CLOSED)
    assert closed.id == ticket.id and closed.close_reason == "Discord recovered"
    thread = await runtime.desk.queries.thread(ticket.id, include_internal=True)
    assert thread[-1].internal and "connected again" in thread[-1].body

    # It flaps: down past the grace again soon after — the same ticket reopens, no second one.
    await discord_fake.gateway_outage()
    await wait_for(lambda: state(runtime, "discord") is Link.DISCONNECTED, "discord disconnected again")
    clock.advance(GRACE + timedelta(seconds=1))
    reopened = await incident(runtime, Status.OPEN)
    assert reopened.id == ticket.id and len(await all_tickets(runtime)) == 1
    await discord_fake.end_gateway_outage()
    assert (await incident(runtime, Status.CLOSED)).id == ticket.id
    assert runtime.failure is None


async def test_a_token_refused_while_running_is_an_incident_not_a_crash(
    service: tuple[Runtime, FakeDiscord, FakeSlack], clock: FakeClock
) -> None:
    runtime, discord_fake, _ = service
    await discord_fake.revoke_token()  # Discord closes the session with 4004
    await wait_for(lambda: state(runtime, "discord") is Link.UNAUTHORIZED, "discord unauthorized")
    clock.advance(GRACE + timedelta(seconds=1))
    ticket = await incident(runtime, Status.OPEN)
    assert ticket.subject == "Discord is refusing ticketbot's token" and ticket.priority is Priority.URGENT
    assert not runtime.stop.is_set() and runtime.failure is None  # Slack, the API and the rest keep running


async def test_flapping_within_the_grace_opens_nothing(desk, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    from core.health import HealthBoard
    from core.rules import AutoTickets

    board = HealthBoard(clock)
    watch = IncidentWatch(AutoTickets(desk), board, grace=timedelta(minutes=5))
    board.expect("slack")
    for _ in range(5):  # down 4 minutes, up a moment, down again …
        board.report("slack", Link.DISCONNECTED, "socket closed")
        clock.advance(minutes=4)
        await watch.check()
        board.report("slack", Link.CONNECTED)
        await watch.check()
    assert (await desk.execute(ListTickets(tuple(Status)), OPERATOR)).total == 0
    board.report("slack", Link.UNAUTHORIZED, "auth.test: invalid_auth")
    clock.advance(minutes=3)
    board.report("slack", Link.DISCONNECTED, "cannot reach Slack")  # another reason: the outage goes on
    clock.advance(minutes=3)
    await watch.check()
    await watch.check()
    page = await desk.execute(ListTickets(tuple(Status)), OPERATOR)
    assert page.total == 1 and page.items[0].subject == "Slack is disconnected"
