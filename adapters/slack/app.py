"""Wiring: the Bolt ``AsyncApp`` built from settings and a desk, its listeners, and the transports.

Listeners are bound methods of ``SlackListeners`` (dependencies injected, no module globals). Each one
acks first — Slack's 3-second rule — then works; an answer that must travel in the ack (modal validation
errors, command help) is computed before it without I/O, and a modal submission that needs the desk waits
at most ``SUBMIT_BUDGET`` before acking. No listener lets an exception escape: user errors become a short
ephemeral message, anything else is logged with the ticket id and answered with an apology.

The adapter holds no ticket state: which Slack message belongs to which ticket is a link row in the desk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response

from adapters.slack import render, translate
from adapters.slack.notifier import REQUESTER_DM, STAFF_CARD, SlackNotifier
from adapters.slack.people import SlackPeople
from bot.settings import Settings, SettingsError, SlackSettings
from core.chat import STAFF_ONLY, ChatCommand, CommandResult, help_text, parse_command, run_command
from core.desk import Desk
from core.errors import InvalidInput, NotPermitted, TicketError
from core.model import Actor, Link, Status, Ticket

log = logging.getLogger(__name__)

PLATFORM = "slack"
SOURCE = "source"  # link to the Slack message a ticket was made from (shortcut, :ticket: reaction)
TICKET_REACTION = "ticket"
SUBMIT_BUDGET = 2.0  # seconds a modal submission may spend before it must ack (Slack allows 3)
THREAD_IMPORT_MAX = 1000
STAFF_BUTTONS = {render.A_CLAIM, render.A_PENDING, render.A_REPLY}
APOLOGY = "Sorry, something went wrong on our side; the team has been told. Please try again."

Tell = Callable[[render.SlackMessage], Awaitable[None]]


class InFlight:
    """Counts listener work in progress, so shutdown (and tests) can wait for it to finish."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __aenter__(self) -> None:
        self._count += 1
        self._idle.clear()

    async def __aexit__(self, *exc: object) -> None:
        self._count -= 1
        if self._count == 0:
            self._idle.set()

    async def wait_idle(self, grace: float = 10.0) -> None:
        for _ in range(3):  # let just-acked requests reach their listener
            await asyncio.sleep(0)
        async with asyncio.timeout(grace):
            await self._idle.wait()


class AckFirst:
    """Holds work that follows an ack until Slack's requests in flight have been answered.

    Under a burst (an incident: many people run /ticket at once) the acks then leave before the slower
    after-ack work (views.open, desk queries…) competes for the event loop — Slack's 3-second clock covers
    only the acks. The wait is bounded by ``max_wait``, so under steady load work is delayed, never starved.
    """

    def __init__(self, max_wait: float = 1.0) -> None:
        self.max_wait = max_wait
        self._open = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        """Wrap the handling of one request from Slack (until its response is ready)."""
        self._open += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._open -= 1
            if self._open == 0:
                self._idle.set()

    async def after_acks(self) -> None:
        """Return once no request from Slack is waiting for its answer (or after ``max_wait``)."""
        if self._open == 0:
            return
        try:
            await asyncio.wait_for(self._idle.wait(), self.max_wait)
        except TimeoutError:
            pass


class TrackedRequestHandler:
    """Bolt's FastAPI/Starlette handler, counting each request for ``AckFirst``."""

    def __init__(self, app: AsyncApp, gate: AckFirst) -> None:
        self._handler = AsyncSlackRequestHandler(app)
        self._gate = gate

    async def handle(self, request: Request) -> Response:
        async with self._gate.request():
            return await self._handler.handle(request)


class TrackedSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's aiohttp Socket Mode handler, counting each envelope for ``AckFirst``."""

    gate: AckFirst

    async def handle(self, client: Any, req: Any) -> None:
        async with self.gate.request():
            await super().handle(client, req)


class SlackListeners:
    """Every Slack listener, as bound methods sharing the desk, the people directory and the settings."""

    def __init__(self, desk: Desk, people: SlackPeople, settings: Settings) -> None:
        self.desk = desk
        self.people = people
        self.categories = list(settings.categories)
        self.staff_channel = settings.slack.staff_channel
        self.watch_channels = frozenset(settings.slack.watch_channels)
        self.reply_mode = settings.slack.reply_mode
        self.busy = InFlight()
        self.acks = AckFirst()

    def register(self, app: AsyncApp) -> None:
        app.command("/ticket")(self.on_command)
        app.view(render.CB_NEW)(self.on_new_ticket_submit)
        app.view(render.CB_REPLY)(self.on_reply_submit)
        for action_id in (render.A_CLAIM, render.A_REPLY, render.A_PENDING, render.A_CLOSE, render.A_REOPEN):
            app.action(action_id)(self.on_button)
        app.action(render.A_PRIORITY)(self.on_select)
        app.action(render.A_CATEGORY)(self.on_select)
        app.action(render.A_HOME_PAGE_RE)(self.on_home_page)
        app.shortcut(render.CB_SHORTCUT)(self.on_message_shortcut)
        app.event("message")(self.on_message)
        app.event("reaction_added")(self.on_reaction)
        app.event("app_home_opened")(self.on_home_opened)

    # ------------------------------------------------------------------------------------------ helpers
    async def _guarded(self, work: Coroutine[Any, Any, None], tell: Tell | None, ticket_id: str | None = None) -> None:
        """Run listener work after the ack: user errors → ``tell``; anything else → log + apology."""
        try:
            await self.acks.after_acks()
            await work
        except TicketError as err:
            if tell is not None:
                await tell(render.error_message(str(err)))
        except SlackApiError as err:
            log.error(
                "Slack API error in a listener (ticket %s): %s",
                ticket_id or "-",
                err.response.get("error"),
                extra={"ticket_id": ticket_id},
            )
            if tell is not None:
                await tell(render.error_message(APOLOGY))
        except Exception:
            log.exception("listener failed (ticket %s)", ticket_id or "-", extra={"ticket_id": ticket_id})
            if tell is not None:
                await tell(render.error_message(APOLOGY))

    def _teller(self, body: dict[str, Any], client: AsyncWebClient, respond: Any) -> Tell:
        """Where to answer the user privately: the response_url, the App Home, an ephemeral, or a DM."""
        user_id = str((body.get("user") or {}).get("id") or body.get("user_id") or "")
        channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
        from_home = ((body.get("view") or {}).get("type")) == "home"

        async def tell(message: render.SlackMessage) -> None:
            try:
                if from_home:
                    await self._publish_home(client, user_id, notice=message.blocks)
                elif respond is not None and body.get("response_url"):
                    await respond(response_type="ephemeral", replace_original=False, **message.kwargs())
                elif channel:
                    await client.chat_postEphemeral(
                        channel=channel, user=user_id, text=message.text, blocks=message.blocks
                    )
                else:
                    await client.chat_postMessage(channel=user_id, **message.kwargs())
            except SlackApiError as err:
                log.warning("could not answer %s: %s", user_id, err.response.get("error"))

        return tell

    async def _resolve_user(self, ref: str) -> Actor | None:
        user_id = translate.user_ref(ref)
        return await self.people.person(user_id) if user_id else None

    # ------------------------------------------------------------------------------------------ /ticket
    async def on_command(
        self, ack: Any, command: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        async with self.busy:
            text = (command.get("text") or "").strip()
            if text.lower() in ("", "new"):
                await ack()
                await self._guarded(self._open_new_modal(client, command), self._teller(body, client, respond))
                return
            try:
                cmd = parse_command(text)
            except InvalidInput as err:
                message = str(err)
                answer = render.help_message(message) if "Commands:" in message else render.error_message(message)
                await ack(text=answer.text, blocks=answer.blocks, response_type="ephemeral")
                return
            if cmd.verb == "help":
                answer = render.help_message(help_text())
                await ack(text=answer.text, blocks=answer.blocks, response_type="ephemeral")
                return
            await ack()
            tell = self._teller(body, client, respond)
            await self._guarded(self._run_command(cmd, command, tell), tell, cmd.ticket_id)

    async def _open_new_modal(self, client: AsyncWebClient, command: dict[str, Any]) -> None:
        view = render.new_ticket_modal(categories=self.categories, metadata={"channel": command.get("channel_id")})
        await client.views_open(trigger_id=command["trigger_id"], view=view)

    async def _run_command(self, cmd: ChatCommand, command: dict[str, Any], tell: Tell) -> None:
        actor = await self.people.actor(command["user_id"], fallback_name=command.get("user_name", ""))
        if cmd.verb in STAFF_ONLY and not actor.is_staff:
            await tell(render.refusal(f"Only support staff can use /ticket {cmd.verb}."))
            return
        tid = cmd.ticket_id or ""
        if cmd.verb == "new":
            ticket = await self.desk.create_ticket(
                subject=translate.to_plain(cmd.text),
                message=translate.to_plain(cmd.options.get("description", "")),
                category=cmd.options.get("category"),
                priority=cmd.options.get("priority"),
                requester=actor,
                idempotency_key=f"slack:command:{command.get('trigger_id')}",
            )
            await tell(render.ticket_done(ticket, "Opened"))
        elif cmd.verb == "show":
            ticket = await self.desk.get_ticket(ticket_id=tid, actor=actor)
            thread = await self.desk.get_thread(ticket_id=tid, actor=actor)
            await tell(render.ticket_details(ticket, thread, staff=actor.is_staff))
        elif cmd.verb in ("reply", "note"):
            content = translate.to_plain(cmd.text)
            if cmd.verb == "reply":
                message = await self.desk.add_message(ticket_id=tid, actor=actor, content=content)
                what = "Sent to the requester of" if message.role.value == "staff" else "Added to"
            else:
                await self.desk.add_note(ticket_id=tid, actor=actor, content=content)
                what = "Internal note added to"
            await tell(render.notice(f"{what} {tid}."))
        else:
            result = await run_command(self.desk, actor, cmd, resolve=self._resolve_user)
            await tell(self._render_result(result, cmd, actor))

    @staticmethod
    def _render_result(result: CommandResult, cmd: ChatCommand, actor: Actor) -> render.SlackMessage:
        if result.kind == "tickets":
            title = "Your tickets" if not actor.is_staff else ("Your queue" if "mine" in cmd.text else "Queue")
            return render.ticket_list(result.value, title=title)
        if result.kind == "page":
            return render.ticket_list(result.value.items, title=f"Search: {cmd.text}", total=result.value.total)
        if result.kind == "stats":
            return render.stats_message(result.value)
        if result.kind == "history":
            return render.history_message(cmd.ticket_id or "", result.value)
        if result.kind == "ticket":
            return render.ticket_done(result.value)
        if result.kind == "help":
            return render.help_message(str(result.value))
        return render.notice(result.note or "Done.")

    # ------------------------------------------------------------------------------------------ modals
    async def _submit(
        self,
        ack: Any,
        work: Coroutine[Any, Any, Any],
        *,
        error_block: str,
        tell: Tell,
        then: Callable[[Any], Awaitable[None]],
    ) -> None:
        """Run ``work`` for a modal submission: errors inside the modal when it answers in time; otherwise
        close the modal, finish, and tell the user privately."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=SUBMIT_BUDGET)
        if task in done and isinstance(task.exception(), TicketError):
            await ack(response_action="errors", errors={error_block: render.fit(str(task.exception()), 300)})
            return
        await ack()

        async def finish() -> None:
            await then(await task)

        await self._guarded(finish(), tell)

    async def on_new_ticket_submit(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        async with self.busy:
            form = translate.read_new_ticket(view, self.categories)
            if isinstance(form, dict):
                await ack(response_action="errors", errors=form)
                return
            user = body["user"]
            tell = self._teller(body, client, None)

            async def then(result: tuple[Ticket, Actor]) -> None:
                await self._after_create(client, result[0], result[1], form, user["id"])

            await self._submit(
                ack, self._create_from_form(form, user, view), error_block="subject", tell=tell, then=then
            )

    async def _create_from_form(
        self, form: translate.NewTicketForm, user: dict[str, Any], view: dict[str, Any]
    ) -> tuple[Ticket, Actor]:
        submitter = await self.people.actor(user["id"], fallback_name=user.get("name", ""))
        source = form.metadata.get("source") or {}
        requester = submitter
        # staff may open a ticket for the author of a message; anyone else opens it for themselves
        if source.get("user") and source["user"] != submitter.user_id and submitter.is_staff:
            requester = await self.people.person(source["user"])
        key = f"slack:msg:{source['channel']}:{source['ts']}" if source else f"slack:view:{view['id']}"
        ticket = await self.desk.create_ticket(
            subject=form.subject,
            message=form.description,
            category=form.category,
            priority=form.priority,
            requester=requester,
            attachments=form.attachments,
            idempotency_key=key,
        )
        return ticket, submitter

    async def _after_create(
        self, client: AsyncWebClient, ticket: Ticket, submitter: Actor, form: translate.NewTicketForm, user_id: str
    ) -> None:
        source = form.metadata.get("source")
        if source:
            await self._link_source_and_import(client, ticket, source, submitter)
        channel = form.metadata.get("channel")
        if channel:
            done = render.ticket_done(ticket, "Opened")
            try:
                await client.chat_postEphemeral(channel=channel, user=user_id, text=done.text, blocks=done.blocks)
            except SlackApiError as err:  # e.g. a DM the bot is not part of; the DM card confirms anyway
                log.info("no ephemeral confirmation in %s: %s", channel, err.response.get("error"))

    async def on_reply_submit(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        async with self.busy:
            parsed = translate.read_reply(view)
            if isinstance(parsed, dict):
                await ack(response_action="errors", errors=parsed)
                return
            ticket_id, content, files = parsed
            tell = self._teller(body, client, None)

            async def reply() -> None:
                actor = await self.people.actor(body["user"]["id"], fallback_name=body["user"].get("name", ""))
                if not actor.is_staff:
                    raise NotPermitted("Only support staff can reply to requesters.")
                await self.desk.admin_reply_to_ticket(
                    ticket_id=ticket_id,
                    content=content,
                    actor=actor,
                    attachments=files,
                    idempotency_key=f"slack:view:{view['id']}",
                )

            async def then(_: None) -> None:
                return None

            await self._submit(ack, reply(), error_block="body", tell=tell, then=then)

    # ------------------------------------------------------------------------------------------ buttons
    async def on_button(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        async with self.busy:
            await ack()
            tell = self._teller(body, client, respond)
            ticket_id = str(action.get("value") or "")
            await self._guarded(self._button(body, action, client, tell), tell, ticket_id)

    async def _button(self, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, tell: Tell) -> None:
        action_id, ticket_id = action["action_id"], str(action.get("value") or "")
        actor = await self.people.actor(body["user"]["id"], fallback_name=body["user"].get("name", ""))
        on_staff_card = str(action.get("block_id", "")).startswith("ticket_actions|")
        if (action_id in STAFF_BUTTONS or on_staff_card) and not actor.is_staff:
            await tell(render.refusal("Only support staff can use these buttons."))
            return
        if action_id == render.A_REPLY:
            ticket = await self.desk.get_ticket(ticket_id=ticket_id, actor=actor)
            await client.views_open(trigger_id=body["trigger_id"], view=render.reply_modal(ticket))
            return
        if action_id == render.A_CLAIM:
            await self.desk.claim_ticket(ticket_id=ticket_id, actor=actor)
        elif action_id == render.A_PENDING:
            await self.desk.admin_update_ticket_status(ticket_id=ticket_id, status=Status.PENDING, actor=actor)
        elif action_id == render.A_CLOSE:
            await self.desk.close_ticket(ticket_id=ticket_id, actor=actor)
        elif action_id == render.A_REOPEN:
            await self.desk.reopen_ticket(ticket_id=ticket_id, actor=actor)
        if (body.get("view") or {}).get("type") == "home":
            await self._publish_home(client, actor.user_id)

    async def on_select(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        async with self.busy:
            await ack()
            tell = self._teller(body, client, respond)
            ticket_id, choice = render.parse_choice(str((action.get("selected_option") or {}).get("value") or ""))
            await self._guarded(self._select(body, action["action_id"], ticket_id, choice, tell), tell, ticket_id)

    async def _select(self, body: dict[str, Any], action_id: str, ticket_id: str, choice: str, tell: Tell) -> None:
        actor = await self.people.actor(body["user"]["id"], fallback_name=body["user"].get("name", ""))
        if not actor.is_staff:
            await tell(render.refusal("Only support staff can change the priority or category."))
            return
        if action_id == render.A_PRIORITY:
            await self.desk.set_priority(ticket_id=ticket_id, priority=choice, actor=actor)
        else:
            await self.desk.set_category(ticket_id=ticket_id, category=choice, actor=actor)

    # ------------------------------------------------------------------------------------------ App Home
    async def on_home_opened(self, ack: Any, event: dict[str, Any], client: AsyncWebClient) -> None:
        async with self.busy:
            await ack()
            if event.get("tab") != "home":
                return
            await self._guarded(self._publish_home(client, event["user"]), None)

    async def on_home_page(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        async with self.busy:
            await ack()
            offset = int(action.get("value") or 0) if str(action.get("value") or "0").isdigit() else 0
            await self._guarded(self._publish_home(client, body["user"]["id"], offset=offset), None)

    async def _publish_home(
        self, client: AsyncWebClient, user_id: str, *, offset: int = 0, notice: list[dict[str, Any]] | None = None
    ) -> None:
        actor = await self.people.actor(user_id)
        size = render.HOME_PAGE_SIZE
        if actor.is_staff:
            tickets = await self.desk.list_tickets(actor=actor, limit=size + 1, offset=offset)
        else:
            statuses = [Status.OPEN, Status.PENDING, Status.CLOSED]
            tickets = await self.desk.list_tickets(actor=actor, status=statuses, limit=size + 1, offset=offset)
        view = render.home_view(
            tickets[:size], staff=actor.is_staff, offset=offset, has_more=len(tickets) > size, notice=notice or ()
        )
        await client.views_publish(user_id=user_id, view=view)

    # ------------------------------------------------------------------------------------------ messages
    async def on_message(self, ack: Any, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        async with self.busy:
            await ack()
            if not translate.is_person_message(event) or translate.thread_of(event) is None:
                return  # bots, edits, joins; top-level messages are not ticket messages

            async def tell(message: render.SlackMessage) -> None:
                try:
                    await client.chat_postEphemeral(
                        channel=event["channel"],
                        user=event["user"],
                        thread_ts=translate.thread_of(event),
                        text=message.text,
                        blocks=message.blocks,
                    )
                except SlackApiError as err:
                    log.warning("could not answer %s: %s", event.get("user"), err.response.get("error"))

            await self._guarded(self._thread_message(event, str(body.get("event_id") or ""), tell), tell)

    async def _thread_message(self, event: dict[str, Any], event_id: str, tell: Tell) -> None:
        channel, thread_ts = str(event["channel"]), translate.thread_of(event)
        in_staff_channel = channel == self.staff_channel
        ticket = await self.desk.find_ticket_by_link(
            platform=PLATFORM,
            channel_id=channel,
            thread_id=thread_ts,
            kind=STAFF_CARD if in_staff_channel else REQUESTER_DM,
        )
        if ticket is None:
            return
        actor = await self.people.actor(str(event["user"]))
        files = translate.attachments_from(event.get("files"))
        here = Link(ticket.id, PLATFORM, "", channel, thread_ts, str(event["ts"]))
        key = f"slack:event:{event_id}" if event_id else None
        text = translate.to_plain(event.get("text"))
        if ticket.is_requester(actor):
            await self.desk.reply_to_ticket(
                ticket_id=ticket.id, content=text, actor=actor, attachments=files, idempotency_key=key, origin=here
            )
        elif in_staff_channel and actor.is_staff:
            intent = translate.staff_thread_intent(event.get("text") or "", reply_mode=self.reply_mode)
            if intent.kind == "reply":
                await self.desk.add_message(
                    ticket_id=ticket.id, actor=actor, content=intent.content, attachments=files,
                    idempotency_key=key, origin=here,
                )  # fmt: skip
            else:
                await self.desk.add_note(
                    ticket_id=ticket.id,
                    actor=actor,
                    content=intent.content,
                    attachments=files,
                    idempotency_key=key,
                    origin=here,
                )
        elif in_staff_channel:
            await tell(render.notice(f"Only support staff's messages in this thread are added to {ticket.id}."))

    # ------------------------------------------------------------------------------------------ tickets from messages
    async def on_message_shortcut(
        self, ack: Any, shortcut: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        async with self.busy:
            await ack()
            tell = self._teller(body, client, respond)
            await self._guarded(self._shortcut(shortcut, client, tell), tell)

    async def _shortcut(self, shortcut: dict[str, Any], client: AsyncWebClient, tell: Tell) -> None:
        message, channel = shortcut["message"], shortcut["channel"]["id"]
        existing = await self.desk.find_ticket_by_link(
            platform=PLATFORM, channel_id=channel, thread_id=message["ts"], kind=SOURCE
        )
        if existing is not None:
            await tell(render.notice(f"This message already has ticket {existing.id}."))
            return
        source = {
            "channel": channel,
            "ts": message["ts"],
            "thread_ts": message.get("thread_ts") or message["ts"],
            "user": message.get("user") if not message.get("bot_id") else None,
        }
        view = render.new_ticket_modal(
            categories=self.categories,
            subject=translate.subject_from(message.get("text") or ""),
            description=translate.to_plain(message.get("text")),
            metadata={"channel": channel, "source": source},
            note="The rest of the thread is imported into the ticket too.",
        )
        await client.views_open(trigger_id=shortcut["trigger_id"], view=view)

    async def on_reaction(self, ack: Any, event: dict[str, Any], client: AsyncWebClient) -> None:
        async with self.busy:
            await ack()
            item = event.get("item") or {}
            if (
                event.get("reaction") != TICKET_REACTION
                or item.get("type") != "message"
                or item.get("channel") not in self.watch_channels
            ):
                return
            await self._guarded(self._ticket_from_reaction(event, client), None, None)

    async def _ticket_from_reaction(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        channel, ts = event["item"]["channel"], event["item"]["ts"]
        author_id = event.get("item_user")
        reactor = await self.people.actor(event["user"])
        if not author_id or not (reactor.is_staff or reactor.user_id == author_id):
            return  # only staff, or the author, turn a message into a ticket
        if await self.desk.find_ticket_by_link(platform=PLATFORM, channel_id=channel, thread_id=ts, kind=SOURCE):
            return  # already a ticket (a second reaction, or a retried event)
        thread = await self._fetch_thread(client, channel, ts)
        message = next((m for m in thread if m.get("ts") == ts), None)
        if message is None or not translate.is_person_message(message):
            return
        requester = await self.people.person(author_id)
        ticket = await self.desk.create_ticket(
            subject=translate.subject_from(message.get("text") or ""),
            message=translate.to_plain(message.get("text")),
            requester=requester,
            attachments=translate.attachments_from(message.get("files")),
            idempotency_key=f"slack:msg:{channel}:{ts}",
        )
        source = {"channel": channel, "ts": ts, "thread_ts": message.get("thread_ts") or ts, "user": author_id}
        await self._link_source_and_import(client, ticket, source, reactor, thread=thread)

    async def _fetch_thread(self, client: AsyncWebClient, channel: str, ts: str) -> list[dict[str, Any]]:
        """The whole thread around message ``ts`` (all pages), oldest first."""
        messages: list[dict[str, Any]] = []
        cursor = None
        root = ts
        for _ in range(2):
            messages, cursor = [], None
            while len(messages) < THREAD_IMPORT_MAX:
                page = await client.conversations_replies(channel=channel, ts=root, limit=200, cursor=cursor)
                messages += page.get("messages") or []
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
            found = next((m for m in messages if m.get("ts") == ts), None)
            parent = found.get("thread_ts") if found else None
            if not parent or parent == root:
                break
            root = str(parent)  # ts was a reply: read its whole thread
        return sorted(messages, key=lambda m: float(m.get("ts") or 0))

    async def _link_source_and_import(
        self,
        client: AsyncWebClient,
        ticket: Ticket,
        source: dict[str, Any],
        importer: Actor,
        *,
        thread: list[dict[str, Any]] | None = None,
    ) -> None:
        """Link the ticket to its Slack message, import the rest of the thread, and say so in the thread."""
        channel, ts = source["channel"], source["ts"]
        await self.desk.save_link(Link(ticket.id, PLATFORM, SOURCE, channel, thread_id=ts, message_id=ts))
        try:
            if thread is None:
                thread = await self._fetch_thread(client, channel, ts)
        except SlackApiError as err:
            log.warning(
                "cannot read the thread of %s in %s (%s); only the message itself is in the ticket",
                ticket.id,
                channel,
                err.response.get("error"),
                extra={"ticket_id": ticket.id},
            )
            return
        for m in thread:
            if m.get("ts") == ts or not translate.is_person_message(m):
                continue
            await self._import_message(ticket, channel, m, importer)
        note = render.notice(f"Ticket {ticket.id} was opened from this message; support follows up with the requester.")
        try:
            await client.chat_postMessage(channel=channel, thread_ts=source.get("thread_ts") or ts, **note.kwargs())
        except SlackApiError as err:
            log.info("no confirmation in %s: %s", channel, err.response.get("error"))

    async def _import_message(self, ticket: Ticket, channel: str, m: dict[str, Any], importer: Actor) -> None:
        text = translate.to_plain(m.get("text"))
        files = translate.attachments_from(m.get("files"))
        if not text.strip() and not files:
            return
        key = f"slack:import:{channel}:{m['ts']}:{ticket.id}"
        author_id = str(m["user"])
        if ticket.requester.platform == PLATFORM and ticket.requester.user_id == author_id:
            await self.desk.reply_to_ticket(
                ticket_id=ticket.id, content=text, actor=ticket.requester, attachments=files, idempotency_key=key
            )
            return
        author = await self.people.actor(author_id)
        if author.is_staff:
            await self.desk.add_note(
                ticket_id=ticket.id, content=text, actor=author, attachments=files, idempotency_key=key
            )
        else:  # a third person in the thread: kept as an internal note, in their name
            by = importer if importer.is_staff else Actor.system()
            await self.desk.add_note(
                ticket_id=ticket.id,
                content=f"{author.display} wrote in Slack: {text}",
                actor=by,
                attachments=files,
                idempotency_key=key,
            )


# ---------------------------------------------------------------------------------------------- the adapter
@dataclass
class SlackAdapter:
    """What the composition root gets: the Bolt app, the notifier, and the transports' lifecycle.

    ``await start()`` before serving (opens the Web API connection pool; connects Socket Mode when
    ``TICKETBOT_SLACK__APP_TOKEN`` is set), ``await stop()`` at shutdown. HTTP mode: mount
    ``request_handler`` at ``/slack/events`` (``adapters.web.build_web_app``).
    """

    app: AsyncApp
    notifier: SlackNotifier
    listeners: SlackListeners
    settings: SlackSettings
    request_handler: TrackedRequestHandler | None = None
    _socket: AsyncSocketModeHandler | None = field(default=None, repr=False)

    @property
    def socket_mode(self) -> bool:
        return self.settings.app_token is not None

    async def start(self) -> None:
        """Open the Web API connection pool; connect Socket Mode when an app token is set (in HTTP mode the
        web server serves ``request_handler``)."""
        if self.app.client.session is None:
            # one keep-alive pool for every Web API call (Bolt's per-request clients share it); without it
            # slack_sdk opens a new session — and a TLS handshake — per call
            self.app.client.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        if self.socket_mode and self._socket is None:
            assert self.settings.app_token is not None
            self._socket = TrackedSocketModeHandler(
                self.app, app_token=self.settings.app_token.get_secret_value(), web_client=self.app.client
            )
            self._socket.gate = self.listeners.acks
            await self._socket.connect_async()
            log.info("Slack Socket Mode connected")

    async def stop(self, grace: float = 10.0) -> None:
        """Disconnect Socket Mode, then let listener work in progress finish (up to ``grace`` seconds)."""
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
        await self.listeners.busy.wait_idle(grace)


def api_base(url: str) -> str:
    """The Web API base as slack_sdk wants it: ending in ``/`` (e.g. ``https://slack.com/api/``)."""
    return url if url.endswith("/") else url + "/"


def build_slack(settings: Settings, desk: Desk) -> SlackAdapter:
    """Build the Slack adapter from settings and a desk.

    Args:
        settings: the whole configuration (Slack section, categories).
        desk: the core service; add ``adapter.notifier.name`` to ``desk.consumers`` so events reach it.

    Raises:
        SettingsError: Slack is not configured enough to run (the message names the variable).
    """
    s = settings.slack
    missing = None
    if s.bot_token is None:
        missing = "TICKETBOT_SLACK__BOT_TOKEN is not set"
    elif s.app_token is None and s.signing_secret is None:
        missing = "TICKETBOT_SLACK__SIGNING_SECRET is required in HTTP mode (or set __APP_TOKEN for Socket Mode)"
    elif not s.staff_channel:
        missing = "TICKETBOT_SLACK__STAFF_CHANNEL is required with Slack (a channel id like C0123ABC)"
    if missing or s.bot_token is None:
        raise SettingsError(f"invalid configuration: {missing}")
    client = AsyncWebClient(token=s.bot_token.get_secret_value(), base_url=api_base(s.api_url))
    app = AsyncApp(
        client=client,
        signing_secret=s.signing_secret.get_secret_value() if s.signing_secret else "",
        name="ticketbot",
    )
    people = SlackPeople(client, s)
    listeners = SlackListeners(desk, people, settings)
    listeners.register(app)
    notifier = SlackNotifier(desk, client, staff_channel=s.staff_channel, categories=list(settings.categories))
    handler = TrackedRequestHandler(app, listeners.acks) if s.signing_secret is not None else None
    return SlackAdapter(app=app, notifier=notifier, listeners=listeners, settings=s, request_handler=handler)
