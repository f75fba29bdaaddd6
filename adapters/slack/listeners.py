"""The listeners for /ticket, the new-ticket and reply modals, the card buttons and selects, paging, and the App Home.

Every action becomes a ``core.commands`` command run by ``Desk.execute`` for the person who acted; the desk
decides what they may do, and its refusal is what they read. Answers are drawn from the typed result
(``render.result_message``): what changed, in words.

Listeners are bound methods (dependencies injected, no module globals). Each one acks first — Slack's
3-second rule — then works; an answer that must travel in the ack (modal validation errors, command help) is
computed before it without I/O, and a modal submission that needs the desk waits at most ``SUBMIT_BUDGET``
before acking. Work after the ack runs through ``Answers.guarded`` (see answers.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render, translate
from adapters.slack.answers import Answers, Tell
from adapters.slack.people import SlackPeople
from adapters.slack.threads import ThreadListeners
from adapters.slack.transport import InFlight
from core.chat import Help, help_text, parse_command
from core.commands import (
    Changed,
    ChangeStatus,
    Claim,
    Close,
    Command,
    OpenTicket,
    Page,
    Posted,
    Reopen,
    Reply,
    SetCategory,
    SetPriority,
    Shown,
    ShowTicket,
)
from core.desk import Desk, require_staff
from core.errors import InvalidInput, TicketError
from core.model import Actor, Status

log = logging.getLogger(__name__)

SUBMIT_BUDGET = 2.0  # seconds a modal submission may spend before it must ack (Slack allows 3)
BUTTON_COMMANDS: dict[str, Callable[[str], Command]] = {
    render.A_CLAIM: Claim,
    render.A_PENDING: lambda ticket_id: ChangeStatus(ticket_id, Status.PENDING),
    render.A_CLOSE: Close,
    render.A_REOPEN: Reopen,
}
SELECT_COMMANDS: dict[str, Callable[[str, str], Command]] = {
    render.A_PRIORITY: SetPriority,
    render.A_CATEGORY: SetCategory,
}


class SlackListeners:
    """/ticket, modals, buttons, selects, paging and App Home, as bound methods sharing the desk and people.

    ``threads`` imports a message's thread when a ticket is opened from the message shortcut's modal.
    """

    def __init__(
        self, desk: Desk, people: SlackPeople, *, busy: InFlight, answers: Answers, threads: ThreadListeners
    ) -> None:
        self.desk = desk
        self.people = people
        self.busy = busy
        self.answers = answers
        self.home = answers.home
        self.threads = threads

    async def _actor(self, user: dict[str, Any]) -> Actor:
        return await self.people.actor(str(user["id"]), fallback_name=str(user.get("name") or ""))

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
                parsed = parse_command(translate.command_text(text), categories=self.desk.categories)
            except InvalidInput as err:
                answer = render.error_message(str(err))
                await ack(text=answer.text, blocks=answer.blocks, response_type="ephemeral")
                return
            if isinstance(parsed, Help):
                answer = render.help_message(help_text(), parsed.problem)
                await ack(text=answer.text, blocks=answer.blocks, response_type="ephemeral")
                return
            await ack()
            tell = self.answers.teller(body, client, respond)
            await self.answers.guarded(
                self._run_command(parsed, command, tell), tell, getattr(parsed, "ticket_id", None)
            )

    async def _open_new_modal(self, client: AsyncWebClient, command: dict[str, Any]) -> None:
        view = render.new_ticket_modal(categories=self.desk.categories, metadata={"channel": command.get("channel_id")})
        await client.views_open(trigger_id=command["trigger_id"], view=view)

    async def _run_command(self, cmd: Command, command: dict[str, Any], tell: Tell) -> None:
        actor = await self.people.actor(command["user_id"], fallback_name=command.get("user_name", ""))
        if isinstance(cmd, OpenTicket):  # a repeated request opens nothing twice
            cmd = replace(cmd, idempotency_key=f"slack:command:{command.get('trigger_id')}")
        result = await self.desk.execute(cmd, actor, resolve=self.people.resolve)
        await tell(render.result_message(result, staff=actor.is_staff, now=self.desk.clock.now()))

    # ------------------------------------------------------------------------------------------ modals
    async def _submit(
        self,
        ack: Any,
        work: Coroutine[Any, Any, Any],
        *,
        error_block: str,
        tell: Tell | None,
        then: Callable[[Any], Awaitable[None]],
    ) -> None:
        """Run ``work`` for a modal submission: the desk's refusal inside the modal when it answers in time;
        otherwise close the modal, finish, and tell the user privately."""
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
            form = translate.read_new_ticket(view, self.desk.categories)
            if isinstance(form, dict):
                await ack(response_action="errors", errors=form)
                return
            user = body["user"]
            tell = self.answers.teller(body, client, None)

            async def then(result: tuple[Changed, Actor]) -> None:
                await self._after_create(client, result[0], result[1], form, user["id"])

            await self._submit(
                ack, self._create_from_form(form, user, view), error_block="subject", tell=tell, then=then
            )

    async def _create_from_form(
        self, form: translate.NewTicketForm, user: dict[str, Any], view: dict[str, Any]
    ) -> tuple[Changed, Actor]:
        submitter = await self._actor(user)
        source = form.metadata.get("source") or {}
        requester = None
        # What the message shortcut means: staff turning someone's message into a ticket file it for its author;
        # anyone else files it for themselves. (Who may open a ticket for whom is the desk's rule.)
        if source.get("user") and source["user"] != submitter.user_id and submitter.is_staff:
            requester = await self.people.person(source["user"])
        key = f"slack:msg:{source['channel']}:{source['ts']}" if source else f"slack:view:{view['id']}"
        command = OpenTicket(
            form.subject, form.description, form.category, form.priority, form.attachments, requester, key
        )
        result = await self.desk.execute(command, submitter)
        assert isinstance(result, Changed)
        return result, submitter

    async def _after_create(
        self, client: AsyncWebClient, result: Changed, submitter: Actor, form: translate.NewTicketForm, user_id: str
    ) -> None:
        source = form.metadata.get("source")
        if source:
            await self.threads.link_source_and_import(client, result.ticket, source, submitter)
        channel = form.metadata.get("channel")
        if channel:
            done = render.changed_message(result)
            try:
                await client.chat_postEphemeral(channel=channel, user=user_id, text=done.text, blocks=done.blocks)
            except SlackApiError as err:  # e.g. a DM the bot is not part of; the DM card confirms anyway
                log.info("no ephemeral confirmation in %s: %s", channel, err.response.get("error"))

    async def on_reply_submit(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        async with self.busy:
            form = translate.read_reply(view)
            if isinstance(form, dict):
                await ack(response_action="errors", errors=form)
                return
            tell = self._where_pressed(body, client, form)

            async def reply() -> Posted:
                actor = await self._actor(body["user"])
                command = Reply(
                    form.ticket_id,
                    form.body,
                    form.attachments,
                    as_staff=True,
                    idempotency_key=f"slack:view:{view['id']}",
                )
                result = await self.desk.execute(command, actor)
                assert isinstance(result, Posted)
                return result

            async def then(result: Posted) -> None:
                await tell(render.posted_message(result))

            await self._submit(ack, reply(), error_block="body", tell=tell, then=then)

    def _where_pressed(self, body: dict[str, Any], client: AsyncWebClient, form: translate.ReplyForm) -> Tell:
        """Answer a modal's submission where its button was pressed: the App Home, or privately in the channel
        (a modal has no channel of its own; without one the answer comes by DM)."""
        user_id, channel = str(body["user"]["id"]), form.channel or ""
        if not form.from_home and not channel:
            return self.answers.teller(body, client, None)

        async def tell(message: render.SlackMessage) -> None:
            if form.from_home:
                await self.home.publish(client, user_id, notice=message.blocks)
                return
            try:
                await client.chat_postEphemeral(channel=channel, user=user_id, text=message.text, blocks=message.blocks)
            except SlackApiError as err:
                log.info("no ephemeral answer in %s: %s", channel, err.response.get("error"))

        return tell

    # ------------------------------------------------------------------------------------------ buttons
    async def on_button(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        async with self.busy:
            await ack()
            tell = self.answers.teller(body, client, respond)
            ticket_id = str(action.get("value") or "")
            await self.answers.guarded(self._button(body, action, client), tell, ticket_id)

    async def _button(self, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        action_id, ticket_id = action["action_id"], str(action.get("value") or "")
        actor = await self._actor(body["user"])
        if action_id == render.A_REPLY:
            await self._open_reply_modal(body, ticket_id, actor, client)
            return
        result = await self.desk.execute(BUTTON_COMMANDS[action_id](ticket_id), actor)
        await self._after_change(body, client, actor, result)

    async def _open_reply_modal(
        self, body: dict[str, Any], ticket_id: str, actor: Actor, client: AsyncWebClient
    ) -> None:
        """The staff reply form: for someone who may see the ticket (the desk's ``ShowTicket``) and reply to its
        requester as support (the desk's staff rule; the submission is checked by the desk again)."""
        shown = await self.desk.execute(ShowTicket(ticket_id), actor)
        assert isinstance(shown, Shown)
        require_staff(actor, "reply to the requester")
        from_home = (body.get("view") or {}).get("type") == "home"
        channel = None if from_home else (body.get("channel") or {}).get("id")
        view = render.reply_modal(shown.ticket, channel=channel, from_home=from_home)
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def _after_change(self, body: dict[str, Any], client: AsyncWebClient, actor: Actor, result: object) -> None:
        """On a card the card itself shows the change (the notifier edits it); the App Home is published again,
        with the change in words above the list."""
        if (body.get("view") or {}).get("type") == "home" and isinstance(result, Changed):
            await self.home.publish(client, actor.user_id, notice=render.changed_message(result).blocks)

    async def on_select(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        async with self.busy:
            await ack()
            tell = self.answers.teller(body, client, respond)
            ticket_id, choice = render.parse_choice(str((action.get("selected_option") or {}).get("value") or ""))
            await self.answers.guarded(
                self._select(body, action["action_id"], ticket_id, choice, client), tell, ticket_id
            )

    async def _select(
        self, body: dict[str, Any], action_id: str, ticket_id: str, choice: str, client: AsyncWebClient
    ) -> None:
        actor = await self._actor(body["user"])
        result = await self.desk.execute(SELECT_COMMANDS[action_id](ticket_id, choice), actor)
        await self._after_change(body, client, actor, result)

    # ------------------------------------------------------------------------------------------ paging
    async def on_page(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        """Previous/Next page of a list or search: the same command at another offset, shown in place."""
        async with self.busy:
            await ack()
            tell = self.answers.teller(body, client, respond)
            await self.answers.guarded(self._page(body, str(action.get("value") or ""), respond, tell), tell)

    async def _page(self, body: dict[str, Any], value: str, respond: Any, tell: Tell) -> None:
        command = translate.page_command(value)
        if command is None:
            raise InvalidInput("this list can no longer be paged; run the command again")
        actor = await self._actor(body["user"])
        page = await self.desk.execute(command, actor)
        assert isinstance(page, Page)
        message = render.page_message(page, staff=actor.is_staff, now=self.desk.clock.now())
        if respond is not None and body.get("response_url"):
            await respond(response_type="ephemeral", replace_original=True, **message.kwargs())
        else:
            await tell(message)

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
