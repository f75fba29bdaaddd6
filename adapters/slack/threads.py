"""Tickets in and from Slack threads: messages in a ticket's thread, the message shortcut, the :ticket: reaction,
and the keyword rules of watched channels.

A message in the thread of a staff card or of a requester's DM card is added to that ticket (the requester's
as a reply; anyone else's in the staff thread as a reply to the requester or an internal note, by
``reply_mode``); the desk decides whether they may, and its refusal is shown to them privately. A ticket made
from a message (the shortcut's modal, or a :ticket: reaction in a watched channel) links that message and
imports the rest of its thread. A message in a watched channel holding a keyword (``core.rules``; one
ticket per person per cooldown) becomes a ticket for its author the same way, and the bot says so in thread.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render, translate
from adapters.slack.answers import Answers, Tell, refusal_of
from adapters.slack.notifier import PLATFORM, REQUESTER_DM, STAFF_CARD
from adapters.slack.people import SlackPeople
from adapters.slack.settings import SlackSettings
from adapters.slack.transport import InFlight
from core.commands import AddNote, Changed, Command, OpenTicket, Posted, Reply
from core.desk import Desk
from core.errors import TicketError
from core.model import Actor, Link, Ticket
from core.rules import AutoTickets

log = logging.getLogger(__name__)

SOURCE = "source"  # link to the Slack message a ticket was made from (shortcut, :ticket: reaction)
TICKET_REACTION = "ticket"
THREAD_IMPORT_MAX = 1000


class ThreadListeners:
    """Listeners for thread messages, the message shortcut and the :ticket: reaction; and the thread import."""

    def __init__(
        self,
        desk: Desk,
        people: SlackPeople,
        settings: SlackSettings,
        *,
        busy: InFlight,
        answers: Answers,
        auto: AutoTickets | None = None,
    ) -> None:
        self.desk = desk
        self.auto = auto if auto is not None and auto.keywords else None
        self.people = people
        self.staff_channel = settings.staff_channel
        self.watch_channels = frozenset(settings.watch_channels)
        self.reply_mode = settings.reply_mode
        self.busy = busy
        self.answers = answers

    # ------------------------------------------------------------------------------------------ messages
    async def on_message(self, ack: Any, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        async with self.busy:
            await ack()
            if not translate.is_person_message(event):
                return  # bots, edits, joins
            if translate.thread_of(event) is None:  # top level: no ticket's message, maybe a keyword
                if self._watched(event):
                    await self.answers.guarded(self._keyword(event, client), self._ephemeral(event, client))
                return

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

            work = self._thread_message(event, str(body.get("event_id") or ""), tell, client)
            await self.answers.guarded(work, tell)

    def _watched(self, event: dict[str, Any]) -> bool:
        return self.auto is not None and event.get("channel") in self.watch_channels

    def _ephemeral(self, event: dict[str, Any], client: AsyncWebClient) -> Tell:
        async def tell(message: render.SlackMessage) -> None:
            try:
                await client.chat_postEphemeral(
                    channel=event["channel"], user=event["user"], thread_ts=event.get("thread_ts") or event["ts"],
                    text=message.text, blocks=message.blocks,
                )  # fmt: skip
            except SlackApiError as err:
                log.warning("could not answer %s: %s", event.get("user"), err.response.get("error"))

        return tell

    async def _keyword(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        """A keyword in a watched channel: a ticket for the author, said in the message's thread (once)."""
        assert self.auto is not None
        channel, ts = str(event["channel"]), str(event["ts"])
        root = translate.thread_of(event) or ts
        for place in dict.fromkeys((root, ts)):  # the conversation is a ticket's already
            if await self.desk.queries.ticket_by_link(
                platform=PLATFORM, channel_id=channel, thread_id=place, kind=SOURCE
            ):
                return
        author = await self.people.actor(str(event["user"]))
        text = translate.to_plain(event.get("text"))
        result = await self.auto.from_keyword(author, text, message_key=f"slack:{channel}:{ts}")
        if result is None:
            return  # no keyword, or the author's cooldown
        source = {"channel": channel, "ts": ts, "thread_ts": root, "user": author.user_id}
        await self.link_source_and_import(client, result.ticket, source, author)

    async def _thread_message(self, event: dict[str, Any], event_id: str, tell: Tell, client: AsyncWebClient) -> None:
        channel, thread_ts = str(event["channel"]), translate.thread_of(event)
        in_staff_channel = channel == self.staff_channel
        ticket = await self.desk.queries.ticket_by_link(
            platform=PLATFORM,
            channel_id=channel,
            thread_id=thread_ts,
            kind=STAFF_CARD if in_staff_channel else REQUESTER_DM,
        )
        if ticket is None:  # a thread that is no ticket's: in a watched channel, maybe a keyword
            if self._watched(event):
                await self._keyword(event, client)
            return
        actor = await self.people.actor(str(event["user"]))
        files = translate.attachments_from(event.get("files"))
        here = Link(ticket.id, PLATFORM, "", channel, thread_ts, str(event["ts"]))
        key = f"slack:event:{event_id}" if event_id else None
        command: Command
        if ticket.is_requester(actor):
            text = translate.to_plain(event.get("text"))
            command = Reply(ticket.id, text, files, as_staff=False, idempotency_key=key, origin=here)
        elif in_staff_channel:
            intent = translate.staff_thread_intent(event.get("text") or "", reply_mode=self.reply_mode)
            if intent.kind == "reply":
                command = Reply(ticket.id, intent.content, files, as_staff=True, idempotency_key=key, origin=here)
            else:
                command = AddNote(ticket.id, intent.content, files, idempotency_key=key, origin=here)
        else:
            return  # someone else in a requester's DM thread (not a conversation the bot is part of)
        result = await self.desk.execute(command, actor)
        if isinstance(result, Posted) and (
            result.followed_up or (result.status_change and result.status_change.reopened)
        ):
            await tell(render.posted_message(result))  # their message reopened the ticket, or opened a new one

    # ------------------------------------------------------------------------------------------ tickets from messages
    async def on_message_shortcut(
        self, ack: Any, shortcut: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        async with self.busy:
            await ack()
            tell = self.answers.teller(body, client, respond)
            await self.answers.guarded(self._shortcut(shortcut, client, tell), tell)

    async def _shortcut(self, shortcut: dict[str, Any], client: AsyncWebClient, tell: Tell) -> None:
        message, channel = shortcut["message"], shortcut["channel"]["id"]
        existing = await self.desk.queries.ticket_by_link(
            platform=PLATFORM, channel_id=channel, thread_id=message["ts"], kind=SOURCE
        )
        if existing is not None:  # (its id is no secret: the bot said so in the message's thread)
            await tell(render.notice(f"This message already has ticket {existing.id}."))
            return
        source = {
            "channel": channel,
            "ts": message["ts"],
            "thread_ts": message.get("thread_ts") or message["ts"],
            "user": message.get("user") if not message.get("bot_id") else None,
        }
        view = render.new_ticket_modal(
            categories=self.desk.categories,
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
            await self.answers.guarded(self._ticket_from_reaction(event, client), None, None)

    async def _ticket_from_reaction(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        """The reacted message becomes a ticket for its author, opened by whoever reacted (the desk lets staff
        open one for someone else, and anyone for themselves)."""
        channel, ts = event["item"]["channel"], event["item"]["ts"]
        author_id = event.get("item_user")
        if not author_id:
            return  # no person wrote it
        if await self.desk.queries.ticket_by_link(platform=PLATFORM, channel_id=channel, thread_id=ts, kind=SOURCE):
            return  # already a ticket (a second reaction, or a retried event)
        thread = await self._fetch_thread(client, channel, ts)
        message = next((m for m in thread if m.get("ts") == ts), None)
        if message is None or not translate.is_person_message(message):
            return
        reactor = await self.people.actor(event["user"])
        command = OpenTicket(
            subject=translate.subject_from(message.get("text") or ""),
            description=translate.to_plain(message.get("text")),
            attachments=translate.attachments_from(message.get("files")),
            requester=await self.people.person(author_id),
            idempotency_key=f"slack:msg:{channel}:{ts}",
        )
        source = {"channel": channel, "ts": ts, "thread_ts": message.get("thread_ts") or ts, "user": author_id}
        try:
            result = await self.desk.execute(command, reactor)
        except TicketError as err:  # e.g. a bystander flagging someone else's message: tell them why not
            await self._tell_reactor(client, source, reactor, refusal_of(err))
            return
        assert isinstance(result, Changed)
        await self.link_source_and_import(client, result.ticket, source, reactor, thread=thread)

    @staticmethod
    async def _tell_reactor(
        client: AsyncWebClient, source: dict[str, Any], reactor: Actor, message: render.SlackMessage
    ) -> None:
        try:
            await client.chat_postEphemeral(
                channel=source["channel"], user=reactor.user_id, thread_ts=source["thread_ts"], **message.kwargs()
            )
        except SlackApiError as err:
            log.info("could not answer %s: %s", reactor.user_id, err.response.get("error"))

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

    async def link_source_and_import(
        self,
        client: AsyncWebClient,
        ticket: Ticket,
        source: dict[str, Any],
        importer: Actor,
        *,
        thread: list[dict[str, Any]] | None = None,
    ) -> None:
        """Link the ticket to its Slack message, import the rest of the thread, and say so in the thread (once)."""
        channel, ts = source["channel"], source["ts"]
        await self.desk.deliveries.save_link(Link(ticket.id, PLATFORM, SOURCE, channel, thread_id=ts, message_id=ts))
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

        async def post() -> str:
            resp = await client.chat_postMessage(
                channel=channel, thread_ts=source.get("thread_ts") or ts, **note.kwargs()
            )
            return str(resp["ts"])

        try:
            await self.desk.deliveries.once(f"ticket:{ticket.id}", "slack_source_note", post)
        except SlackApiError as err:
            log.info("no confirmation in %s: %s", channel, err.response.get("error"))

    async def _import_message(self, ticket: Ticket, channel: str, m: dict[str, Any], importer: Actor) -> None:
        text = translate.to_plain(m.get("text"))
        files = translate.attachments_from(m.get("files"))
        if not text.strip() and not files:
            return
        key = f"slack:import:{channel}:{m['ts']}:{ticket.id}"
        author_id = str(m["user"])
        command: Command
        if ticket.requester.platform == PLATFORM and ticket.requester.user_id == author_id:
            author = ticket.requester
            command = Reply(ticket.id, text, files, as_staff=False, idempotency_key=key)
        else:
            author = await self.people.actor(author_id)
            if not author.is_staff:  # a third person in the thread: kept as an internal note, in their name
                text = f"{author.display} wrote in Slack: {text}"
                # the note is recorded by whoever imports the thread, or by the bot when they are not staff
                author = importer if importer.is_staff else Actor.system()
            command = AddNote(ticket.id, text, files, idempotency_key=key)
        await self.desk.execute(command, author)
