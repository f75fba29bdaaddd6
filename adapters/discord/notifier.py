"""The ``discord`` outbox consumer: domain events → Discord calls, each non-idempotent one done once.

- ``TicketOpened``: a private thread in the support channel with the pinned card (for tickets from any
  platform). Three REST calls: create the thread, post the card mentioning the requester (the mention adds
  them to the private thread), pin it.
- ``MessageAdded``: messages from other platforms are posted in the thread under the author's name and
  platform, mentions disabled; Discord's own messages, internal notes and system lines are not echoed.
- ``StatusChanged`` / ``TicketUpdated`` / ``TicketRated``: the card is edited in place (never the thread
  name). Closing edits the card, posts the closing message with the rating prompt, the transcript to the
  log channel and to the requester, then archives and locks the thread; reopening unarchives it.
- ``SlaWarning`` / ``SlaBreached``: the card shows the SLA state; the reminder goes to the staff-only
  ``TICKETBOT_DISCORD__STAFF_CHANNEL_ID`` (never the requester's thread) and to a Discord assignee by DM. An
  unassigned breach mentions ``TICKETBOT_DISCORD__ESCALATION_ROLE_ID`` — allowed for that role only, the one
  mention the bot makes on its own. A reminder the ticket has moved past (answered, closed) posts nothing.
- ``StaleReminder``: one reminder to a Discord requester in their thread. ``DigestDue``: the digest with its
  chart attached in ``TICKETBOT_DIGEST__DISCORD_CHANNEL_ID``, once per day and channel. Any other event is
  logged and delivered as a no-op (never retried forever).

REST calls are spaced under Discord's global limit with ``core.pacing.Pace`` (the mechanism Slack's
per-channel pacing uses too).

Delivery is at least once and replicas share the outbox, so every step that must not be repeated runs under
``desk.deliveries.once``: the thread under a claim keyed by the ticket (two replicas racing make one thread),
its card likewise, a relayed message under its message, each closing step under its event. A failed step
raises, the outbox retries the event, and the steps already done are skipped. Discord's definitive "never"
(the requester's DMs are closed) is recorded as the step's result and logged. Reads go through
``desk.queries`` (the ticket as it is now, so a late event still shows the truth).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any

import discord
from cachetools import TTLCache

from adapters.discord import render, views
from adapters.discord.settings import DiscordSettings
from adapters.discord.translate import PLATFORM, THREAD_LINK
from core import notices
from core.chart import render_chart
from core.desk import Desk
from core.events import (
    DigestDue,
    Event,
    MessageAdded,
    SlaBreached,
    SlaWarning,
    StaleReminder,
    StatusChanged,
    TicketOpened,
    TicketRated,
    TicketUpdated,
)
from core.model import Actor, Link, Message, Role, Status, Ticket
from core.pacing import Pace
from core.ports import RetryLater

log = logging.getLogger(__name__)

ARCHIVED_THREAD = 50083  # "Operation not allowed on an archived thread"
UNKNOWN_CHANNEL, UNKNOWN_MESSAGE, UNKNOWN_USER = 10003, 10008, 10013
CANNOT_DM = 50007  # the user does not accept direct messages from the server's members
NEVER_DELIVERABLE = {CANNOT_DM, UNKNOWN_USER}
READY_WAIT = 5.0  # seconds a delivery waits for the gateway connection before it is postponed


def pacer(per_second: float) -> Pace:
    """``async with pace.slot():`` before each REST call keeps one bot under Discord's global limit (50/s).

    discord.py only reacts to 429s, and a burst of hundreds of calls (100 tickets opened at once) makes it
    retry in herds. One key for the whole bot spaces the calls evenly at ``per_second`` (0 = no pacing).
    Interaction answers (callbacks, follow-ups) are exempt from the limit and are not paced.
    """
    return Pace(per_second)


def describe_http_error(exc: discord.HTTPException) -> str:
    """What a Discord error means for the operator, in words."""
    reasons = {
        50013: "the bot is missing permissions",
        50001: "the bot cannot access that channel",
        UNKNOWN_CHANNEL: "the channel does not exist (check the configured channel ids)",
        160006: "the server has too many active threads",
        ARCHIVED_THREAD: "the thread is archived",
        CANNOT_DM: "the user does not accept direct messages",
        UNKNOWN_USER: "the user does not exist",
    }
    if isinstance(exc, discord.RateLimited) or exc.status == 429:
        return "Discord is rate limiting the bot"
    return reasons.get(exc.code, f"Discord answered {exc.status} (code {exc.code})")


def describe(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return describe_http_error(exc)
    if isinstance(exc, discord.RateLimited):
        return "Discord is rate limiting the bot"
    return "something went wrong on our side"


class ThreadNews:
    """What this process learnt while placing a ticket's thread, for the cog waiting to answer the requester.

    A hint only (another replica may do the work, so the cog also polls the thread link): waiters are woken
    when a placement here finishes or fails, and a failure's reason is kept a few minutes to explain it.
    """

    def __init__(self) -> None:
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._failures: TTLCache[str, str] = TTLCache(maxsize=1024, ttl=300)

    def placed(self, ticket_id: str) -> None:
        self._failures.pop(ticket_id, None)
        self._wake(ticket_id)

    def failed(self, ticket_id: str, why: str) -> None:
        self._failures[ticket_id] = why
        self._wake(ticket_id)

    def failure(self, ticket_id: str) -> str | None:
        return self._failures.get(ticket_id)

    @contextlib.contextmanager
    def watch(self, ticket_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever news about ``ticket_id`` arrives while the block runs."""
        event = asyncio.Event()
        self._watchers.setdefault(ticket_id, set()).add(event)
        try:
            yield event
        finally:
            watchers = self._watchers.get(ticket_id, set())
            watchers.discard(event)
            if not watchers:
                self._watchers.pop(ticket_id, None)

    def _wake(self, ticket_id: str) -> None:
        for event in self._watchers.get(ticket_id, ()):
            event.set()


class DiscordNotifier:
    """Implements ``core.ports.Notifier`` (outbox consumer ``discord``)."""

    name = PLATFORM

    def __init__(
        self,
        bot: discord.Client,
        desk: Desk,
        settings: DiscordSettings,
        *,
        digest_channel_id: int | None = None,
    ) -> None:
        self.bot = bot
        self.desk = desk
        self.queries = desk.queries
        self.deliveries = desk.deliveries
        self.settings = settings
        self.digest_channel_id = digest_channel_id
        self.pace = pacer(settings.rest_per_second)
        self.news = ThreadNews()

    # ------------------------------------------------------------------------------ entry point
    async def notify(self, event: Event) -> None:
        await self._connected()
        try:
            if isinstance(event, TicketOpened):
                await self.place(event.ticket_id)
            elif isinstance(event, MessageAdded):
                await self._message_added(event)
            elif isinstance(event, StatusChanged):
                await self._status_changed(event)
            elif isinstance(event, TicketUpdated | TicketRated):
                await self._refresh_card(event.ticket_id)
            elif isinstance(event, SlaWarning | SlaBreached):
                await self._sla_alert(event)
            elif isinstance(event, StaleReminder):
                await self._stale_reminder(event)
            elif isinstance(event, DigestDue):
                await self._digest(event)
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

    async def _connected(self) -> None:
        """Wait briefly for the gateway (a delivery at start-up would otherwise be postponed a whole backoff)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_WAIT
        while not self.bot.is_ready():
            if self.bot.is_closed() or loop.time() > deadline:
                raise RetryLater(2.0, "the Discord bot is not connected")
            await asyncio.sleep(0.05)

    # ------------------------------------------------------------------------------ threads and cards
    async def place(self, ticket_id: str) -> Link:
        """The ticket's private thread with its pinned card, made once whoever asks first (any event, any
        replica). The cog waits for the link this saves to answer the requester."""
        link = await self.queries.link(ticket_id, PLATFORM, THREAD_LINK)
        if link is not None and link.message_id:
            return link
        try:
            if link is None:
                link = await self._new_thread(ticket_id, "thread")
            link = await self._new_card(link, f"card:{link.thread_id}")
        except RetryLater:
            raise
        except Exception as exc:
            self.news.failed(ticket_id, describe(exc))
            raise
        self.news.placed(ticket_id)
        return link

    async def _new_thread(self, ticket_id: str, step: str) -> Link:
        async def create() -> str:
            ticket = await self.queries.ticket(ticket_id)
            parent = await self._support_channel()
            async with self.pace.slot():
                thread = await parent.create_thread(
                    name=render.thread_name(ticket),
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=10080,
                    reason=f"ticket {ticket.id}",
                )
            return str(thread.id)

        thread_id = await self._once(f"ticket:{ticket_id}", step, create)
        link = Link(ticket_id, PLATFORM, THREAD_LINK, str(self.settings.support_channel_id), thread_id)
        await self.deliveries.save_link(link)  # the thread is the ticket's from now on, card or not
        return link

    async def _new_card(self, link: Link, step: str) -> Link:
        ticket_id = link.ticket_id

        async def post() -> str:
            ticket = await self.queries.ticket(ticket_id)  # the state now, not when the event was made
            ack = notices.acknowledgement(ticket, self.desk.rules.sla, self.desk.clock.now(), moment=render.moment)
            async with self.pace.slot():
                card = await self._thread(link).send(
                    content=render.opening_content(ticket, acknowledgement=ack),
                    embed=await self._card_embed(ticket),
                    view=views.card_view(ticket),
                    allowed_mentions=self._requester_mention(ticket),
                )
            return str(card.id)

        card_id = await self._once(f"ticket:{ticket_id}", step, post)
        async with self.pace.slot():  # pinning again is harmless: a retry after a failed pin just pins
            await self._thread(link).get_partial_message(int(card_id)).pin(reason=f"ticket {ticket_id}")
        link = replace(link, message_id=card_id)
        await self.deliveries.save_link(link)
        return link

    async def _refresh_card(self, ticket_id: str) -> None:
        """Edit the pinned card in place. Closed tickets' threads are archived: their card was set on close."""
        link = await self.place(ticket_id)
        ticket = await self.queries.ticket(ticket_id)
        if ticket.status is not Status.CLOSED:
            await self._edit_card(ticket, link)

    async def _edit_card(self, ticket: Ticket, link: Link) -> Link:
        """Edit the card (idempotent); a thread or card deleted by hand is made again (links are re-creatable).
        Returns the link as it is afterwards."""
        assert link.message_id is not None
        card = self._thread(link).get_partial_message(int(link.message_id))
        try:
            async with self.pace.slot():
                await card.edit(embed=await self._card_embed(ticket), view=views.card_view(ticket))
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_CHANNEL:
                log.warning("discord: the thread of %s is gone; creating a new one", ticket.id)
                replacement = await self._new_thread(ticket.id, f"thread:replacing:{link.thread_id}")
                return await self._new_card(replacement, f"card:{replacement.thread_id}")
            if exc.code == UNKNOWN_MESSAGE:
                log.warning("discord: the card of %s is gone; posting a new one", ticket.id)
                return await self._new_card(replace(link, message_id=None), f"card:replacing:{link.message_id}")
            raise
        return link

    async def _card_embed(self, ticket: Ticket) -> discord.Embed:
        return render.ticket_embed(ticket, await self.queries.description(ticket.id), self.desk.clock.now())

    # ------------------------------------------------------------------------------ events
    async def _message_added(self, event: MessageAdded) -> None:
        if event.internal or event.role is Role.SYSTEM or event.actor.platform == PLATFORM:
            return  # notes stay internal; system lines show on the card; Discord messages are already there
        link = await self.place(event.ticket_id)
        message = await self.queries.message(event.message_id)
        await self._once(f"message:{message.id}", "relay", lambda: self._post(link, render.relay_text(message)))

    async def _status_changed(self, event: StatusChanged) -> None:
        link = await self.place(event.ticket_id)
        ticket = await self.queries.ticket(event.ticket_id)
        if event.closed:
            await self._closed(event, ticket, link)
        elif event.old is Status.CLOSED:
            await self._reopened(event, ticket, link)
        elif ticket.status is not Status.CLOSED:
            await self._edit_card(ticket, link)

    async def _closed(self, event: StatusChanged, ticket: Ticket, link: Link) -> None:
        """Card, closing message with the rating prompt, transcripts, then archive and lock — each once for
        this event. A failing step raises: the outbox retries the event and the steps done are skipped."""
        key = event.event_id
        reason = event.reason if event.reason is not None else ticket.close_reason
        ask_rating = ticket.requester.platform == PLATFORM and ticket.rating is None
        thread = await self.queries.thread(ticket.id, include_internal=True)  # the staff copy, for the log

        async def card() -> str:
            return (await self._edit_card(ticket, link)).thread_id or ""

        thread_id = await self._once(key, "close:card", card)
        link = replace(link, thread_id=thread_id or link.thread_id)  # the card step may have made a new thread

        async def closing_message() -> str:
            text = render.closing_text(ticket, event.actor, reason, ask_rating=ask_rating)
            rating = views.rating_view(ticket) if ask_rating else None
            return await self._post(link, text, view=rating, mentions=self._requester_mention(ticket))

        await self._once(key, "close:message", closing_message)

        if self.settings.log_channel_id is not None:
            log_channel = self.bot.get_partial_messageable(
                self.settings.log_channel_id, guild_id=self.settings.guild_id
            )

            async def log_transcript() -> str:
                async with self.pace.slot():
                    sent = await log_channel.send(
                        render.transcript_caption(ticket, event.actor),
                        files=render.transcript_files(ticket, thread),
                        allowed_mentions=render.NO_MENTIONS,
                    )
                return str(sent.id)

            await self._once(key, "close:transcript-log", log_transcript)

        if self._dm_transcript_wanted(ticket):
            public = [m for m in thread if not m.internal]
            await self._once(key, "close:transcript-dm", lambda: self._dm_transcript(ticket, public))

        async def archive() -> None:
            await self._set_archived(link, True)

        await self._once(key, "close:archive", archive)

    async def _reopened(self, event: StatusChanged, ticket: Ticket, link: Link) -> None:
        try:
            await self._set_archived(link, False)
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_CHANNEL:
                raise
            # the thread was deleted by hand: the card edit below makes a new one
        if ticket.status is not Status.CLOSED:
            link = await self._edit_card(ticket, link)
        text = render.reopened_text(ticket, event.actor)
        await self._once(event.event_id, "reopen:message", lambda: self._post(link, text))

    # ------------------------------------------------------------------------------ pieces
    def _dm_transcript_wanted(self, ticket: Ticket) -> bool:
        requester = ticket.requester
        return self.settings.transcript_to_requester and requester.platform == PLATFORM and requester.user_id.isdigit()

    async def _dm_transcript(self, ticket: Ticket, public: list[Message]) -> str:
        """The requester's copy (no internal notes)."""
        return await self._dm(
            ticket.requester,
            ticket.id,
            render.transcript_dm(ticket),
            files=render.transcript_files(ticket, public),
        )

    async def _dm(self, person: Actor, ticket_id: str, text: str, **extra: Any) -> str:
        """Send ``person`` a DM; returns its id. DMs closed is a definitive answer: recorded, not retried."""
        try:
            async with self.pace.slot():
                channel = await self.bot.create_dm(discord.Object(int(person.user_id)))
            async with self.pace.slot():
                sent = await channel.send(text, allowed_mentions=render.NO_MENTIONS, **extra)
        except discord.HTTPException as exc:
            if exc.code not in NEVER_DELIVERABLE:
                raise
            why = describe_http_error(exc)
            log.warning(
                "discord: no DM to %s about %s: %s", person.user_id, ticket_id, why, extra={"ticket_id": ticket_id}
            )
            return f"never: {why}"
        return str(sent.id)

    # ------------------------------------------------------------------------------ time passing
    async def _sla_alert(self, event: SlaWarning | SlaBreached) -> None:
        """The card shows the SLA state; the reminder goes to the staff channel and the assignee (each once)."""
        link = await self.place(event.ticket_id)
        ticket = await self.queries.ticket(event.ticket_id)
        if ticket.status is not Status.CLOSED:
            link = await self._edit_card(ticket, link)
        now = self.desk.clock.now()
        if not notices.sla_alert_holds(ticket, event, now):
            log.info("discord: %s for %s no longer holds; nothing posted", event.name, ticket.id)
            return
        url = render.thread_url(self.settings.guild_id, link.thread_id)
        staff_channel_id = self.settings.staff_channel_id
        if staff_channel_id is not None:
            role = self.settings.escalation_role_id
            escalate_to = role if isinstance(event, SlaBreached) and ticket.assignee is None else None
            text = render.sla_alert(ticket, event, now, thread_url=url, escalate_to=escalate_to)
            staff = self.bot.get_partial_messageable(staff_channel_id, guild_id=self.settings.guild_id)

            async def post() -> str:
                async with self.pace.slot():
                    sent = await staff.send(text, allowed_mentions=render.role_mentions(escalate_to))
                return str(sent.id)

            await self._once(event.event_id, "sla:staff", post)
        assignee = ticket.assignee
        if assignee is not None and assignee.platform == PLATFORM and assignee.user_id.isdigit():
            dm_text = render.sla_dm(ticket, event, now, thread_url=url)
            await self._once(event.event_id, "sla:assignee", lambda: self._dm(assignee, ticket.id, dm_text))

    async def _stale_reminder(self, event: StaleReminder) -> None:
        """One reminder to a Discord requester, in their thread (mentioning only them)."""
        ticket = await self.queries.ticket(event.ticket_id)
        if ticket.requester.platform != PLATFORM:
            return  # a requester elsewhere hears from their own platform
        if not notices.stale_reminder_holds(ticket):
            log.info("discord: the stale reminder for %s no longer holds; nothing posted", ticket.id)
            return
        link = await self.place(ticket.id)
        text = render.stale_reminder(ticket, event, self.desk.clock.now())
        mentions = self._requester_mention(ticket)
        await self._once(event.event_id, "stale:thread", lambda: self._post(link, text, mentions=mentions))

    async def _digest(self, event: DigestDue) -> None:
        """The digest with its chart in ``TICKETBOT_DIGEST__DISCORD_CHANNEL_ID``, once per day and channel."""
        channel_id = int(event.channel) if event.channel and event.channel.isdigit() else self.digest_channel_id
        if channel_id is None:
            log.info("discord: no digest channel (TICKETBOT_DIGEST__DISCORD_CHANNEL_ID); %s not posted", event.day)
            return

        async def post() -> str:
            digest = await self.queries.digest(event, now=self.desk.clock.now())
            chart = await asyncio.to_thread(render_chart, digest)
            links: dict[str, str | None] = {}
            for ticket in digest.oldest_open:
                thread = await self.queries.link(ticket.id, PLATFORM, THREAD_LINK)
                links[ticket.id] = render.thread_url(self.settings.guild_id, thread.thread_id) if thread else None
            embed, chart_file = render.digest_post(digest, chart, lambda t: links.get(t.id))
            channel = self.bot.get_partial_messageable(channel_id, guild_id=self.settings.guild_id)
            async with self.pace.slot():
                sent = await channel.send(embed=embed, file=chart_file, allowed_mentions=render.NO_MENTIONS)
            return str(sent.id)

        await self._once(event.once_key, f"digest:discord:{channel_id}", post)

    async def _set_archived(self, link: Link, archived: bool) -> None:
        thread = self.bot.get_channel(int(link.thread_id or 0))
        if not isinstance(thread, discord.Thread):
            async with self.pace.slot():
                fetched = await self.bot.fetch_channel(int(link.thread_id or 0))
            if not isinstance(fetched, discord.Thread):
                raise RuntimeError(f"channel {link.thread_id} of {link.ticket_id} is not a thread")
            thread = fetched
        if thread.archived != archived or thread.locked != archived:
            async with self.pace.slot():
                await thread.edit(archived=archived, locked=archived)

    async def _post(
        self,
        link: Link,
        text: str,
        *,
        view: discord.ui.View | None = None,
        mentions: discord.AllowedMentions = render.NO_MENTIONS,
    ) -> str:
        """Post in the ticket's thread; returns the message id."""
        kwargs: dict[str, Any] = {"allowed_mentions": mentions}
        if view is not None:
            kwargs["view"] = view
        try:
            async with self.pace.slot():
                sent = await self._thread(link).send(text, **kwargs)
        except discord.HTTPException as exc:
            if exc.code != ARCHIVED_THREAD:
                raise
            await self._set_archived(link, False)  # a reply reopened the ticket before its status event
            async with self.pace.slot():
                sent = await self._thread(link).send(text, **kwargs)
        return str(sent.id)

    async def _once(self, key: str, step: str, do: Callable[[], Awaitable[str | None]]) -> str:
        return await self.deliveries.once(key, f"{PLATFORM}:{step}", do) or ""

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
            async with self.pace.slot():
                channel = await self.bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise RuntimeError(f"TICKETBOT_DISCORD__SUPPORT_CHANNEL_ID {channel_id} is not a text channel")
        return channel

    def _requester_mention(self, ticket: Ticket) -> discord.AllowedMentions:
        """Only the requester may be pinged (that is what adds them to the private thread)."""
        if ticket.requester.platform == PLATFORM and ticket.requester.user_id.isdigit():
            return discord.AllowedMentions(
                everyone=False, roles=False, replied_user=False, users=[discord.Object(int(ticket.requester.user_id))]
            )
        return render.NO_MENTIONS
