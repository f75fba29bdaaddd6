"""Wiring: the Bolt ``AsyncApp`` built from settings and a desk, its listeners, and the transports' lifecycle.

Where the rest lives: listeners.py (/ticket, modals, buttons, selects, paging, App Home), threads.py (thread
messages, the message shortcut, the :ticket: reaction), answers.py (how work after an ack answers the user),
home.py (the App Home tab), people.py (who is who, and staff), transport.py (ack-first plumbing), render
(Block Kit), translate (Slack → core). Every action is a ``core.commands`` command run by ``Desk.execute``.

The adapter holds no ticket state: which Slack message belongs to which ticket is a link row in the desk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.answers import Answers
from adapters.slack.checks import REFUSED, slack_checks
from adapters.slack.home import HomeTab
from adapters.slack.listeners import SlackListeners
from adapters.slack.notifier import POSTS_PER_SECOND, SlackNotifier
from adapters.slack.people import PLATFORM, SlackPeople
from adapters.slack.settings import SlackSettings
from adapters.slack.threads import ThreadListeners
from adapters.slack.transport import AckFirst, InFlight, TrackedRequestHandler, TrackedSocketModeHandler
from core.checks import Check
from core.desk import Desk
from core.health import HealthPort, Link
from core.rules import AutoTickets

log = logging.getLogger(__name__)


@dataclass
class SlackAdapter:
    """What the composition root gets: the Bolt app, the notifier, and the transports' lifecycle.

    ``await start()`` before serving (opens the Web API connection pool; connects Socket Mode when
    ``TICKETBOT_SLACK__APP_TOKEN`` is set), ``await stop()`` at shutdown. HTTP mode: mount
    ``request_handler`` at ``/slack/events`` (``adapters.web.build_web_app``).
    """

    app: AsyncApp
    notifier: SlackNotifier
    busy: InFlight  # listener work in progress (shutdown waits for it)
    acks: AckFirst  # Slack's requests waiting for their ack (both transports count them)
    settings: SlackSettings
    request_handler: TrackedRequestHandler | None = None
    health: HealthPort | None = None
    health_interval: float = 30.0  # seconds between two looks at the connection (auth.test, the socket)
    _socket: AsyncSocketModeHandler | None = field(default=None, repr=False)
    _watch: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def socket_mode(self) -> bool:
        return self.settings.app_token is not None

    def _open_pool(self) -> None:
        if self.app.client.session is None:
            # one keep-alive pool for every Web API call (Bolt's per-request clients share it); without it
            # slack_sdk opens a new session — and a TLS handshake — per call
            self.app.client.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def preflight(self) -> list[Check]:
        """Check the setup against Slack (token, scopes, staff channel, staff): what ``ticketbot run`` starts
        with and ``ticketbot doctor`` prints."""
        self._open_pool()
        return await slack_checks(self.app.client, self.settings)

    async def start(self) -> None:
        """Open the Web API connection pool; connect Socket Mode when an app token is set (in HTTP mode the
        web server serves ``request_handler``); with a health port, report the connection from now on."""
        self._open_pool()
        if self.socket_mode and self._socket is None:
            assert self.settings.app_token is not None
            self._socket = TrackedSocketModeHandler(
                self.app, app_token=self.settings.app_token.get_secret_value(), web_client=self.app.client
            )
            self._socket.gate = self.acks
            await self._socket.connect_async()
            log.info("Slack Socket Mode connected")
        if self.health is not None and self._watch is None:
            self.health.report(PLATFORM, Link.CONNECTED)
            self._watch = asyncio.create_task(self._watch_connection(), name="slack-health")

    async def _watch_connection(self) -> None:
        """Every ``health_interval``: the token still works (auth.test) and the socket is up (Socket Mode)."""
        assert self.health is not None
        while True:
            await asyncio.sleep(self.health_interval)
            link, detail = await self.connection()
            self.health.report(PLATFORM, link, detail)

    async def connection(self) -> tuple[Link, str]:
        """The connection as Slack answers now."""
        try:
            await self.app.client.auth_test()
        except SlackApiError as err:
            error = str(err.response.get("error"))
            return (Link.UNAUTHORIZED if error in REFUSED else Link.DISCONNECTED), f"auth.test: {error}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Link.DISCONNECTED, f"cannot reach Slack ({type(exc).__name__})"
        socket = self._socket.client if self._socket is not None else None  # (not a Web API method)
        if socket is not None and not await socket.is_connected():
            return Link.DISCONNECTED, "the Socket Mode connection is down"
        return Link.CONNECTED, ""

    async def stop(self, grace: float = 10.0) -> None:
        """Disconnect Socket Mode, then let listener work in progress finish (up to ``grace`` seconds)."""
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        try:
            await self.drain(grace)
        except TimeoutError:
            log.warning("Slack listeners still busy after %.0fs at shutdown", grace)
        session = self.app.client.session
        if session is not None:
            self.app.client.session = None
            await session.close()

    async def drain(self, grace: float = 10.0) -> None:
        """Wait until no listener work is in progress (at most ``grace`` seconds, then TimeoutError)."""
        await self.busy.wait_idle(grace)


def api_base(url: str) -> str:
    """The Web API base as slack_sdk wants it: ending in ``/`` (e.g. ``https://slack.com/api/``)."""
    return url if url.endswith("/") else url + "/"


def register(app: AsyncApp, listeners: SlackListeners, threads: ThreadListeners) -> None:
    """Route each Slack command, view, action, shortcut and event to its listener."""
    app.command("/ticket")(listeners.on_command)
    app.view(render.CB_NEW)(listeners.on_new_ticket_submit)
    app.view(render.CB_REPLY)(listeners.on_reply_submit)
    for action_id in (render.A_CLAIM, render.A_REPLY, render.A_PENDING, render.A_CLOSE, render.A_REOPEN):
        app.action(action_id)(listeners.on_button)
    app.action(render.A_PRIORITY)(listeners.on_select)
    app.action(render.A_CATEGORY)(listeners.on_select)
    app.action(render.A_HOME_PAGE_RE)(listeners.on_home_page)
    app.action(render.A_PAGE_RE)(listeners.on_page)
    app.shortcut(render.CB_SHORTCUT)(threads.on_message_shortcut)
    app.event("message")(threads.on_message)
    app.event("reaction_added")(threads.on_reaction)
    app.event("app_home_opened")(listeners.on_home_opened)


def build_slack(
    settings: SlackSettings,
    desk: Desk,
    *,
    digest_channel: str | None = None,
    posts_per_second: float = POSTS_PER_SECOND,
    auto: AutoTickets | None = None,
    health: HealthPort | None = None,
) -> SlackAdapter:
    """Build the Slack adapter from its configuration section and a desk (categories and the SLA policy come
    from the desk; the digest's channel from ``TICKETBOT_DIGEST__*``, passed by the composition root).
    ``posts_per_second``: the per-channel posting pace (Slack's limit; benches and tests change it).

    The section checked itself when it was read (``SlackSettings``); call this only when it is ``enabled``.
    Register ``adapter.notifier`` with the outbox (``Runtime.add_notifier``) so events reach it. ``auto``
    brings the keyword rules of the watched channels; ``health`` receives the connection's state.
    """
    if settings.bot_token is None:
        raise ValueError("build_slack needs TICKETBOT_SLACK__BOT_TOKEN (check SlackSettings.enabled first)")
    client = AsyncWebClient(token=settings.bot_token.get_secret_value(), base_url=api_base(settings.api_url))
    app = AsyncApp(
        client=client,
        signing_secret=settings.signing_secret.get_secret_value() if settings.signing_secret else "",
        name="ticketbot",
    )
    people = SlackPeople(client, settings)
    busy, acks = InFlight(), AckFirst()
    answers = Answers(acks, HomeTab(desk, people))
    threads = ThreadListeners(desk, people, settings, busy=busy, answers=answers, auto=auto)
    register(app, SlackListeners(desk, people, busy=busy, answers=answers, threads=threads), threads)
    notifier = SlackNotifier(
        desk.queries,
        desk.deliveries,
        client,
        clock=desk.clock,
        staff_channel=settings.staff_channel,
        categories=desk.categories,
        sla=desk.rules.sla,
        escalation_usergroup=settings.escalation_usergroup,
        digest_channel=digest_channel,
        posts_per_second=posts_per_second,
    )
    handler = TrackedRequestHandler(app, acks) if settings.signing_secret is not None else None
    return SlackAdapter(
        app=app, notifier=notifier, busy=busy, acks=acks, settings=settings, request_handler=handler, health=health
    )
