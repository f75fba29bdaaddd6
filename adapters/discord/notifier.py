"""The ``discord`` outbox consumer: domain events → Discord calls.

- ``TicketOpened``: a private thread in the support channel with the pinned card (for tickets from any
  platform). Three REST calls: create the thread, post the card mentioning the requester (the mention adds
  them to the private thread), pin it.
- ``MessageAdded``: messages from other platforms are posted in the thread under the author's name and
  platform, mentions disabled; Discord's own messages, internal notes and system lines are not echoed.
- ``StatusChanged`` / ``TicketUpdated``: the card is edited in place (never the thread name). Closing posts
  the rating prompt and transcripts, then archives and locks the thread; reopening unarchives it.

Delivery is at-least-once, so each step is idempotent or guarded: a thread is created only when the
ticket has no thread link, and the link is saved as soon as the thread exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import discord

from adapters.discord import render, views
from adapters.discord.translate import PLATFORM, THREAD_LINK
from bot.settings import DiscordSettings
from core.desk import Desk
from core.events import Event, MessageAdded, StatusChanged, TicketOpened, TicketRated, TicketUpdated
from core.model import Actor, Link, Message, Role, Status, Ticket
from core.ports import RetryLater

log = logging.getLogger(__name__)

ARCHIVED_THREAD = 50083  # "Operation not allowed on an archived thread"
UNKNOWN_CHANNEL, UNKNOWN_MESSAGE = 10003, 10008


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it (no growth with tickets)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def __call__(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class RestPacer:
    """Spaces REST calls evenly so one bot stays under Discord's global limit (50 requests/s).

    discord.py only reacts to 429s, and a burst of hundreds of calls (100 tickets opened at once) makes it
    retry in herds until it gives up after five tries. Reserving evenly spaced slots avoids the 429s.
    Interaction answers (callbacks, follow-ups) are exempt from the limit and are not paced.
    """

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


def describe_http_error(exc: discord.HTTPException) -> str:
    """What a Discord error means for the operator, in words."""
    reasons = {
        50013: "the bot is missing permissions",
        50001: "the bot cannot access that channel",
        10003: "the channel does not exist (check the configured channel ids)",
        160006: "the server has too many active threads",
        ARCHIVED_THREAD: "the thread is archived",
        50007: "the user does not accept direct messages",
    }
    if isinstance(exc, discord.RateLimited) or exc.status == 429:
        return "Discord is rate limiting the bot"
    return reasons.get(exc.code, f"Discord answered {exc.status} (code {exc.code})")


class DiscordNotifier:
    """Implements ``core.ports.Notifier``; also used directly by the cog to create a thread at once."""

    name = PLATFORM

    def __init__(self, bot: discord.Client, desk: Desk, settings: DiscordSettings, pacer: RestPacer) -> None:
        self.bot = bot
        self.desk = desk
        self.settings = settings
        self.pacer = pacer
        self._locks = KeyedLocks()

    # ------------------------------------------------------------------------------ entry point
    async def notify(self, event: Event) -> None:
        if not self.bot.is_ready():
            raise RetryLater(2.0, "the Discord bot is not connected yet")
        try:
            if isinstance(event, TicketOpened):
                await self.ensure_thread(await self.desk.load_ticket(event.ticket_id))
            elif isinstance(event, MessageAdded):
                await self._message_added(event)
            elif isinstance(event, StatusChanged):
                await self._status_changed(event)
            elif isinstance(event, TicketUpdated | TicketRated):
                await self.refresh_card(event.ticket_id)
            else:  # a new core event this adapter does not show (yet): delivered as a no-op, visibly
                log.info("discord: no Discord rendering for %s events", event.name)
        except discord.RateLimited as exc:
            raise RetryLater(exc.retry_after, "Discord rate limit") from exc
        except discord.HTTPException as exc:
            log.warning(
                "discord: %s for %s failed: %s",
                event.name,
                event.ticket_id,
                describe_http_error(exc),
                extra={"ticket_id": event.ticket_id},
            )
            raise

    # ------------------------------------------------------------------------------ threads and cards
    async def ensure_thread(self, ticket: Ticket) -> Link:
        """The ticket's private thread and pinned card, created once (concurrent callers wait)."""
        async with self._locks(ticket.id):
            link = await self.desk.get_link(ticket_id=ticket.id, platform=PLATFORM, kind=THREAD_LINK)
            if link is not None and link.message_id:
                return link
            if link is None:
                parent = await self._support_channel()
                await self.pacer.wait()
                thread = await parent.create_thread(
                    name=render.thread_name(ticket),
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=10080,
                    reason=f"ticket {ticket.id}",
                )
                link = Link(ticket.id, PLATFORM, THREAD_LINK, str(parent.id), str(thread.id))
                await self.desk.save_link(link)  # before anything else can fail: never a second thread
            ticket = await self.desk.load_ticket(ticket.id)  # the state now, not when the event was made
            description = await self._description(ticket.id)
            await self.pacer.wait()
            card = await self._thread(link).send(
                content=render.opening_content(ticket),
                embed=render.ticket_embed(ticket, description),
                view=views.card_view(ticket),
                allowed_mentions=self._requester_mention(ticket),
            )
            link = replace(link, message_id=str(card.id))
            await self.desk.save_link(link)
            try:
                await self.pacer.wait()
                await card.pin(reason=f"ticket {ticket.id}")
            except discord.HTTPException as exc:  # the card works unpinned; say so and go on
                log.warning("discord: could not pin the card of %s: %s", ticket.id, describe_http_error(exc))
            return link

    async def refresh_card(self, ticket_id: str) -> None:
        """Edit the pinned card in place. Closed tickets' threads are archived: their card was set on close."""
        ticket = await self.desk.load_ticket(ticket_id)
        link = await self.desk.get_link(ticket_id=ticket_id, platform=PLATFORM, kind=THREAD_LINK)
        if link is None or not link.message_id:
            await self.ensure_thread(ticket)
            return
        if ticket.status is Status.CLOSED:
            return
        await self._edit_card(ticket, link)

    async def _edit_card(self, ticket: Ticket, link: Link) -> None:
        assert link.message_id is not None
        card = self._thread(link).get_partial_message(int(link.message_id))
        embed = render.ticket_embed(ticket, await self._description(ticket.id))
        try:
            await self.pacer.wait()
            await card.edit(embed=embed, view=views.card_view(ticket))
        except discord.NotFound as exc:
            if exc.code not in (UNKNOWN_CHANNEL, UNKNOWN_MESSAGE):
                raise
            # the thread or card was deleted by hand: links are re-creatable, so make a new one
            log.warning("discord: the thread of %s is gone; creating a new one", ticket.id)
            await self.desk.save_link(replace(link, message_id=None))
            if exc.code == UNKNOWN_CHANNEL:
                await self._recreate_thread(ticket)
            else:
                await self.ensure_thread(ticket)

    async def _recreate_thread(self, ticket: Ticket) -> None:
        async with self._locks(ticket.id):
            link = await self.desk.get_link(ticket_id=ticket.id, platform=PLATFORM, kind=THREAD_LINK)
            if link is not None and not link.message_id:
                parent = await self._support_channel()
                await self.pacer.wait()
                thread = await parent.create_thread(
                    name=render.thread_name(ticket), type=discord.ChannelType.private_thread, invitable=False
                )
                await self.desk.save_link(replace(link, channel_id=str(parent.id), thread_id=str(thread.id)))
        await self.ensure_thread(ticket)

    # ------------------------------------------------------------------------------ events
    async def _message_added(self, event: MessageAdded) -> None:
        if event.internal or event.role == Role.SYSTEM.value or event.actor.platform == PLATFORM:
            return  # notes stay internal; system lines show on the card; Discord messages are already there
        message = await self.desk.get_message(event.message_id)
        link = await self.ensure_thread(await self.desk.load_ticket(event.ticket_id))
        await self._post(link, render.relay_text(message))

    async def _status_changed(self, event: StatusChanged) -> None:
        ticket = await self.desk.load_ticket(event.ticket_id)
        link = await self.ensure_thread(ticket)
        if event.new == Status.CLOSED.value:
            await self._closed(ticket, link, event.actor)
        elif event.old == Status.CLOSED.value:
            await self._reopened(ticket, link, event.actor)
        elif ticket.status is not Status.CLOSED:
            await self._edit_card(ticket, link)

    async def _closed(self, ticket: Ticket, link: Link, closer: Actor) -> None:
        """Card, rating prompt, transcripts, then archive and lock. Each step is guarded: a failure is logged
        with the ticket id and the rest still happens (a retry would repeat the steps that worked)."""
        thread_messages = await self.desk.get_thread(ticket_id=ticket.id, actor=Actor.system())
        reason = _close_reason(ticket, thread_messages)
        ask_rating = ticket.requester.platform == PLATFORM and ticket.rating is None
        steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("update the card", lambda: self._edit_card(ticket, link)),
            ("post the closing message", lambda: self._closing_message(ticket, link, closer, reason, ask_rating)),
            ("post the transcript to the log channel", lambda: self._log_transcript(ticket, thread_messages, closer)),
            ("send the transcript to the requester", lambda: self._dm_transcript(ticket, thread_messages)),
            ("archive the thread", lambda: self._set_archived(link, True)),
        ]
        for what, step in steps:
            try:
                await step()
            except discord.HTTPException as exc:
                log.warning(
                    "discord: could not %s for %s: %s",
                    what,
                    ticket.id,
                    describe_http_error(exc),
                    extra={"ticket_id": ticket.id},
                )

    async def _reopened(self, ticket: Ticket, link: Link, actor: Actor) -> None:
        await self._set_archived(link, False)
        await self._edit_card(ticket, link)
        await self._post(link, f"🔓 **{ticket.id}** was reopened by {render.who(actor)}.")

    # ------------------------------------------------------------------------------ pieces
    async def _closing_message(
        self, ticket: Ticket, link: Link, closer: Actor, reason: str | None, ask_rating: bool
    ) -> None:
        text = render.closing_text(ticket, closer, reason, ask_rating=ask_rating)
        mentions = self._requester_mention(ticket)
        await self.pacer.wait()
        if ask_rating:
            await self._thread(link).send(text, view=views.rating_view(ticket), allowed_mentions=mentions)
        else:
            await self._thread(link).send(text, allowed_mentions=mentions)

    async def _log_transcript(self, ticket: Ticket, thread_messages: list[Message], closer: Actor) -> None:
        if self.settings.log_channel_id is None:
            return
        channel = self.bot.get_partial_messageable(self.settings.log_channel_id, guild_id=self.settings.guild_id)
        await self.pacer.wait()
        await channel.send(
            render.cut(
                f"📄 Transcript of **{ticket.id}** — {render.one_line(ticket.subject, 150)} "
                f"(closed by {render.who(closer)}; requester {render.who(ticket.requester)})",
                render.CONTENT_MAX,
            ),
            files=render.transcript_files(ticket, thread_messages),
            allowed_mentions=render.NO_MENTIONS,
        )

    async def _dm_transcript(self, ticket: Ticket, thread_messages: list[Message]) -> None:
        if not self.settings.transcript_to_requester or ticket.requester.platform != PLATFORM:
            return
        public = [m for m in thread_messages if not m.internal]
        try:
            await self.pacer.wait()
            user = await self.bot.create_dm(discord.Object(int(ticket.requester.user_id)))
            await self.pacer.wait()
            await user.send(
                f"Your ticket **{ticket.id}** — {render.one_line(ticket.subject, 150)} — was closed. "
                "Here is its transcript.",
                files=render.transcript_files(ticket, public),
                allowed_mentions=render.NO_MENTIONS,
            )
        except discord.Forbidden as exc:  # DMs closed: expected, never fatal
            log.warning("discord: no transcript DM for %s: %s", ticket.id, describe_http_error(exc))

    async def _set_archived(self, link: Link, archived: bool) -> None:
        thread = self.bot.get_channel(int(link.thread_id or 0))
        if not isinstance(thread, discord.Thread):
            await self.pacer.wait()
            fetched = await self.bot.fetch_channel(int(link.thread_id or 0))
            assert isinstance(fetched, discord.Thread)
            thread = fetched
        if thread.archived != archived or thread.locked != archived:
            await self.pacer.wait()
            await thread.edit(archived=archived, locked=archived)

    async def _post(self, link: Link, text: str) -> None:
        try:
            await self.pacer.wait()
            await self._thread(link).send(text, allowed_mentions=render.NO_MENTIONS)
        except discord.HTTPException as exc:
            if exc.code != ARCHIVED_THREAD:
                raise
            await self._set_archived(link, False)  # a reply reopened the ticket before its status event
            await self.pacer.wait()
            await self._thread(link).send(text, allowed_mentions=render.NO_MENTIONS)

    def _thread(self, link: Link) -> discord.PartialMessageable:
        return self.bot.get_partial_messageable(
            int(link.thread_id or 0), guild_id=self.settings.guild_id, type=discord.ChannelType.private_thread
        )

    async def _support_channel(self) -> discord.TextChannel:
        channel_id = self.settings.support_channel_id
        if channel_id is None:
            raise RuntimeError("TICKETBOT_DISCORD__SUPPORT_CHANNEL_ID is not set")
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            await self.pacer.wait()
            channel = await self.bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise RuntimeError(f"TICKETBOT_DISCORD__SUPPORT_CHANNEL_ID {channel_id} is not a text channel")
        return channel

    async def _description(self, ticket_id: str) -> str:
        thread = await self.desk.get_thread(ticket_id=ticket_id, actor=Actor.system())
        return next((m.body for m in thread if m.role is Role.REQUESTER and not m.internal), "")

    def _requester_mention(self, ticket: Ticket) -> discord.AllowedMentions:
        """Only the requester may be pinged (that is what adds them to the private thread)."""
        if ticket.requester.platform == PLATFORM and ticket.requester.user_id.isdigit():
            return discord.AllowedMentions(
                everyone=False, roles=False, replied_user=False, users=[discord.Object(int(ticket.requester.user_id))]
            )
        return render.NO_MENTIONS


def _close_reason(ticket: Ticket, thread_messages: list[Message]) -> str | None:
    for m in reversed(thread_messages):
        if m.role is Role.SYSTEM and m.body.startswith("Closed: "):
            if ticket.closed_at is None or m.created_at >= ticket.closed_at:
                return m.body.removeprefix("Closed: ")
            break
    return None
