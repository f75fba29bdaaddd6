"""The running system for Slack e2e tests: a ``bot.bootstrap.Runtime`` (real desk, real Bolt app, FastAPI on
uvicorn) against the fake Slack.

``start_slack`` starts Slack and the web server the way ``bot.bootstrap.start_adapters`` does; only the outbox
is delivered by the test (``settle``), since its clock is frozen. ``SlackHarness`` also knows the cast (staff by
list, staff by user group, a requester, a bystander) and small verbs tests use to read like the product:
``press``, ``say_in_thread``, ``settle``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from adapters.slack.app import SlackAdapter, build_slack
from adapters.slack.notifier import REQUESTER_DM, STAFF_CARD
from adapters.web.app import build_web_app
from adapters.web.server import WebServer
from bot.bootstrap import Runtime
from bot.settings import Settings
from core.commands import Command
from core.desk import Desk
from core.errors import TicketError
from core.model import Actor, Link, Ticket
from core.outbox import Dispatcher
from tests.fakes.slack import FakeSlack, Reply, SlackSender
from tests.fakes.slack import payloads as p

STAFF_CHANNEL = "C0STAFF"
HELP_CHANNEL = "C0HELP"  # watched for :ticket: reactions
GENERAL = "C0GENERAL"
ALICE = "U0STAFF"  # staff (TICKETBOT_SLACK__STAFF_USERS)
GUS = "U0GROUP"  # staff (member of TICKETBOT_SLACK__STAFF_USERGROUP)
BOB = "U0REQ"  # a requester
OLGA = "U0OTHER"  # neither
USERGROUP = "S0SUPPORT"


def slack_settings(fake: FakeSlack, **overrides: Any) -> dict[str, Any]:
    from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET

    values: dict[str, Any] = {
        "bot_token": BOT_TOKEN,
        "signing_secret": SIGNING_SECRET,
        "api_url": fake.api_url,
        "staff_channel": STAFF_CHANNEL,
        "staff_users": [ALICE],
        "staff_usergroup": USERGROUP,
        "watch_channels": [HELP_CHANNEL],
        "reply_mode": "explicit",
    }
    values.update(overrides)
    return values


def cast(fake: FakeSlack) -> None:
    fake.add_user(ALICE, "Alice", email="alice@example.com")
    fake.add_user(GUS, "Gus")
    fake.add_user(BOB, "Bob", email="bob@example.com")
    fake.add_user(OLGA, "Olga")
    fake.add_usergroup(USERGROUP, [GUS])


def runtime_around(desk: Desk, settings: Settings) -> Runtime:
    """A runtime around the test's desk, with the configured categories (the desk's default is the first)."""
    desk = dataclasses.replace(desk, categories=tuple(settings.categories), consumers=[], on_commit=[])
    return Runtime(settings=settings, db=desk.db, desk=desk)  # type: ignore[arg-type]


async def start_slack(runtime: Runtime, *, posts_per_second: float = 0) -> SlackAdapter:
    """Slack and the web server, started as ``bot.bootstrap.start_adapters`` starts them; the outbox dispatcher
    is made but not run (the test drains it with a frozen clock). Posts are not paced unless a test asks
    (``posts_per_second``; the service paces at Slack's one per second per channel)."""
    settings = runtime.settings
    slack = build_slack(
        settings.slack,
        runtime.desk,
        digest_channel=settings.digest.slack_channel,
        posts_per_second=posts_per_second,
        auto=runtime.auto,
    )
    runtime.add_notifier(slack.notifier)
    await slack.start()
    runtime.closers.append(slack.stop)
    web = WebServer(
        build_web_app(slack_handler=slack.request_handler), host=settings.http.host, port=settings.http.port
    )
    await web.start()
    runtime.closers.append(web.stop)
    runtime.web_url = web.url
    runtime.dispatcher = Dispatcher(runtime.db, runtime.notifiers, clock=runtime.desk.clock)
    return slack


@dataclass
class SlackHarness:
    fake: FakeSlack
    runtime: Runtime
    adapter: SlackAdapter
    sender: SlackSender | None
    clock: Any

    @property
    def desk(self) -> Desk:
        return self.runtime.desk

    @property
    def dispatcher(self) -> Dispatcher:
        assert self.runtime.dispatcher is not None
        return self.runtime.dispatcher

    # ------------------------------------------------------------------ waiting
    async def settle(self) -> None:
        """Let listeners finish and deliver every due outbox event (repeat until quiet)."""
        for _ in range(20):
            await self.adapter.drain(5.0)
            delivered = await self.dispatcher.drain()
            await self.adapter.drain(5.0)
            if not delivered:
                return

    # ------------------------------------------------------------------ people and tickets
    def actor(self, user_id: str) -> Actor:
        names = {ALICE: "Alice", GUS: "Gus", BOB: "Bob", OLGA: "Olga"}
        return Actor("slack", user_id, names.get(user_id, user_id), is_staff=user_id in (ALICE, GUS))

    async def open_ticket(
        self, subject: str = "Printer on fire", body: str = "It smokes.", *, by: str = BOB, platform: str = "slack"
    ) -> Ticket:
        requester = self.actor(by) if platform == "slack" else Actor(platform, "42", "Dana")
        ticket = await self.desk.create_ticket(subject=subject, message=body, requester=requester)
        await self.settle()
        return ticket

    async def ticket(self, ticket_id: str) -> Ticket:
        return await self.desk.queries.ticket(ticket_id)

    async def card(self, ticket_id: str) -> Link:
        link = await self.desk.queries.link(ticket_id, "slack", STAFF_CARD)
        assert link is not None, f"{ticket_id} has no staff card"
        return link

    async def dm(self, ticket_id: str) -> Link:
        link = await self.desk.queries.link(ticket_id, "slack", REQUESTER_DM)
        assert link is not None, f"{ticket_id} has no requester DM"
        return link

    async def refusal(self, command: Command, user: str) -> str:
        """What the desk itself answers ``user`` for ``command`` (it must refuse): the words a Slack user
        should read when the adapter passes the desk's refusal on."""
        try:
            await self.desk.execute(command, self.actor(user))
        except TicketError as err:
            return str(err)
        raise AssertionError(f"the desk did not refuse {command} for {user}")

    async def staff_thread(self, ticket_id: str) -> list[dict[str, Any]]:
        """Replies in the card's thread (without the card itself)."""
        card = await self.card(ticket_id)
        return self.fake.messages(card.channel_id, thread_ts=card.thread_id)[1:]

    async def dm_thread(self, ticket_id: str) -> list[dict[str, Any]]:
        dm = await self.dm(ticket_id)
        return self.fake.messages(dm.channel_id, thread_ts=dm.thread_id)[1:]

    # ------------------------------------------------------------------ what users do
    async def command(self, text: str = "", *, user: str = BOB, channel: str = GENERAL) -> Reply:
        assert self.sender is not None
        return await self.sender.command(text, user_id=user, channel_id=channel)

    async def press(
        self, action_id: str, ticket_id: str, *, user: str = ALICE, selected: str | None = None, where: str = "card"
    ) -> Reply:
        """Press a button (or choose ``selected`` in a select) on the staff card or the requester's DM."""
        assert self.sender is not None
        link = await (self.card(ticket_id) if where == "card" else self.dm(ticket_id))
        prefix = "ticket_actions" if where == "card" else "requester_actions"
        payload = p.block_action(
            self.fake,
            action_id,
            value=None if selected else ticket_id,
            selected=f"{ticket_id}|{selected}" if selected else None,
            user_id=user,
            channel_id=link.channel_id,
            message_ts=link.message_id,
            block_id=f"{prefix}|{ticket_id}",
        )
        return await self.sender.interaction(payload)

    async def say_in_thread(
        self,
        ticket_id: str,
        text: str,
        *,
        user: str,
        where: str = "card",
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> tuple[Reply, str]:
        """``user`` writes ``text`` in the card's thread (or the requester's DM thread); returns (reply, ts)."""
        assert self.sender is not None
        link = await (self.card(ticket_id) if where == "card" else self.dm(ticket_id))
        ts = self.fake.add_message(link.channel_id, text, user=user, thread_ts=link.thread_id)
        event = p.message_event(
            channel=link.channel_id,
            text=text,
            user=user,
            ts=ts,
            thread_ts=link.thread_id,
            channel_type="channel" if where == "card" else "im",
        )
        return await self.sender.event(event, event_id=event_id, retry_num=retry_num), ts

    async def submit_new_ticket(
        self,
        view: dict[str, Any],
        *,
        user: str = BOB,
        subject: str = "Printer on fire",
        category: str | None = "Technical",
        priority: str | None = "High",
        description: str = "It smokes.",
        files: list[dict[str, Any]] | None = None,
    ) -> Reply:
        assert self.sender is not None
        values = {
            "subject": {"value": p.text_value(subject)},
            "category": {"value": p.select_value(category)},
            "priority": {"value": p.select_value(priority)},
            "description": {"value": p.text_value(description)},
            "files": {"value": p.files_value(files or [])},
        }
        return await self.sender.interaction(p.view_submission(self.fake, view, values, user_id=user))

    def card_fields(self, message: dict[str, Any]) -> str:
        """The text of a card's field section (what staff read)."""
        return " ".join(f["text"] for f in message["blocks"][1]["fields"])


def reply_values(text: str) -> dict[str, Any]:
    return {"body": {"value": p.text_value(text)}, "files": {"value": p.files_value([])}}


__all__ = [
    "ALICE",
    "runtime_around",
    "start_slack",
    "BOB",
    "GENERAL",
    "GUS",
    "HELP_CHANNEL",
    "OLGA",
    "STAFF_CHANNEL",
    "SlackHarness",
    "cast",
    "reply_values",
    "slack_settings",
]
