"""The listeners for /ticket, the new-ticket and reply modals, the card buttons and selects, and the App Home.

Listeners are bound methods (dependencies injected, no module globals). Each one acks first — Slack's
3-second rule — then works; an answer that must travel in the ack (modal validation errors, command help) is
computed before it without I/O, and a modal submission that needs the desk waits at most ``SUBMIT_BUDGET``
before acking. Work after the ack runs through ``Answers.guarded`` (see answers.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render, translate
from adapters.slack.answers import Answers, Tell
from adapters.slack.people import SlackPeople
from adapters.slack.threads import ThreadListeners
from adapters.slack.transport import InFlight
from bot.settings import Settings
from core.chat import STAFF_ONLY, ChatCommand, CommandResult, help_text, parse_command, run_command
from core.desk import Desk
from core.errors import InvalidInput, NotPermitted, TicketError
from core.model import Actor, Status, Ticket

log = logging.getLogger(__name__)

SUBMIT_BUDGET = 2.0  # seconds a modal submission may spend before it must ack (Slack allows 3)
STAFF_BUTTONS = {render.A_CLAIM, render.A_PENDING, render.A_REPLY}


class SlackListeners:
    """/ticket, modals, buttons, selects and App Home, as bound methods sharing the desk, people and settings.

    ``threads`` imports a message's thread when a ticket is opened from the message shortcut's modal.
    """

    def __init__(
        self,
        desk: Desk,
        people: SlackPeople,
        settings: Settings,
        *,
        busy: InFlight,
        answers: Answers,
        threads: ThreadListeners,
    ) -> None:
        self.desk = desk
        self.people = people
        self.categories = list(settings.categories)
        self.busy = busy
        self.answers = answers
        self.home = answers.home
        self.threads = threads

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
                await self.answers.guarded(
                    self._open_new_modal(client, command), self.answers.teller(body, client, respond)
                )
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
            tell = self.answers.teller(body, client, respond)
            await self.answers.guarded(self._run_command(cmd, command, tell), tell, cmd.ticket_id)

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

        await self.answers.guarded(finish(), tell)

    async def on_new_ticket_submit(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        async with self.busy:
            form = translate.read_new_ticket(view, self.categories)
            if isinstance(form, dict):
                await ack(response_action="errors", errors=form)
                return
            user = body["user"]
            tell = self.answers.teller(body, client, None)

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
            await self.threads.link_source_and_import(client, ticket, source, submitter)
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
            tell = self.answers.teller(body, client, None)

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
            tell = self.answers.teller(body, client, respond)
            ticket_id = str(action.get("value") or "")
            await self.answers.guarded(self._button(body, action, client, tell), tell, ticket_id)

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
            await self.home.publish(client, actor.user_id)

    async def on_select(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        async with self.busy:
            await ack()
            tell = self.answers.teller(body, client, respond)
            ticket_id, choice = render.parse_choice(str((action.get("selected_option") or {}).get("value") or ""))
            await self.answers.guarded(
                self._select(body, action["action_id"], ticket_id, choice, tell), tell, ticket_id
            )

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
            await self.answers.guarded(self.home.publish(client, event["user"]), None)

    async def on_home_page(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        async with self.busy:
            await ack()
            offset = int(action.get("value") or 0) if str(action.get("value") or "0").isdigit() else 0
            await self.answers.guarded(self.home.publish(client, body["user"]["id"], offset=offset), None)
