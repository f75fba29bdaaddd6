"""``/ticket …`` slash commands, button/modal handlers and thread messages → ``core.commands`` → the desk.

Every interaction gets its first response at once (a modal, or a defer) before any database work; then the
handler builds a command, runs it with ``desk.execute`` and renders the typed result as an ephemeral answer.
Who may do what is the desk's decision, never this module's: a refusal (``TicketError``) is shown as it is.
Discord failures are logged with the ticket id and explained; anything else is logged as an error and
answered with an apology. The cog holds no ticket state: threads are found through the desk's links, and
the ticket's thread is made by the outbox (see ``notifier.py``), which the cog waits for to answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from adapters.discord import render, views
from adapters.discord.notifier import DiscordNotifier, describe_http_error
from adapters.discord.settings import DiscordSettings
from adapters.discord.translate import (
    PLATFORM,
    THREAD_LINK,
    actor_of,
    attachments_of,
    interaction_key,
    message_key,
)
from core.commands import (
    OPEN_STATUSES,
    AddNote,
    Assign,
    Changed,
    Claim,
    Close,
    Command,
    ListTickets,
    OpenTicket,
    Page,
    Posted,
    Rate,
    Reopen,
    Reply,
    Result,
    Search,
    SetPriority,
    Shown,
    ShowStats,
    ShowTicket,
)
from core.desk import Desk, require_staff
from core.errors import InvalidInput, NotFound, NotPermitted, TicketError
from core.model import Actor, Link, Priority, Status
from core.rules import AutoTickets
from core.stats import Stats

log = logging.getLogger(__name__)

PAGE_SIZE = 10
LIST_SIZE = 25
THREAD_WAIT = 10.0  # seconds the answer to a new ticket waits for its thread before saying it will follow
THREAD_POLL = 1.0  # how often that wait reads the link (a thread made by this process wakes it at once)
ALREADY_ACKNOWLEDGED, UNKNOWN_INTERACTION = 40060, 10062
RELAYED_TYPES = (discord.MessageType.default, discord.MessageType.reply)
NOT_IN_TICKET = "⚠️ only the requester and the support team write in {}; this message was not added to the ticket"
PRIORITY_CHOICES = [app_commands.Choice(name=p.value, value=p.value) for p in Priority]
LIST_STATUSES: dict[str, tuple[Status, ...]] = {
    "open": (Status.OPEN,),
    "pending": (Status.PENDING,),
    "closed": (Status.CLOSED,),
    "all": tuple(Status),
}
CARD_COMMANDS: dict[str, Callable[[str], Command]] = {"claim": Claim, "close": Close, "reopen": Reopen}


async def answer_privately(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral answer, as the first response or as a follow-up; a failure to answer is only logged."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("discord: could not answer interaction %s", interaction.id)


class TicketIdTransformer(app_commands.Transformer):
    """A ticket id option with autocomplete (the user's own tickets; the queue for staff)."""

    async def transform(self, interaction: discord.Interaction, value: str) -> str:
        return value.strip()

    async def autocomplete(self, interaction: discord.Interaction, value: str) -> list[app_commands.Choice[str]]:  # type: ignore[override]
        return await interaction.client.tickets.ticket_choices(interaction, value)  # type: ignore[attr-defined]


TicketId = app_commands.Transform[str, TicketIdTransformer]


class TicketCog(commands.GroupCog, group_name="ticket", group_description="Support tickets"):
    """The /ticket command group and the handlers behind the buttons, selects and modal."""

    def __init__(
        self,
        bot: commands.Bot,
        desk: Desk,
        settings: DiscordSettings,
        notifier: DiscordNotifier,
        *,
        auto: AutoTickets | None = None,
    ) -> None:
        self.bot = bot
        self.desk = desk
        self.settings = settings
        self.auto = auto if auto is not None and auto.keywords else None
        self.watched = frozenset(int(c) for c in settings.watch_channel_ids)
        self.categories = list(desk.categories)
        self.notifier = notifier
        super().__init__()

    # ================================================================================ commands
    @app_commands.command(name="open", description="Open a support ticket")
    async def open_(self, interaction: discord.Interaction) -> None:
        await self.open_modal(interaction)

    @app_commands.command(description="Close a ticket (this thread's ticket by default)")
    @app_commands.describe(ticket="Ticket id, e.g. TKT-B3X9C", reason="Why it is closed (optional)")
    async def close(
        self, interaction: discord.Interaction, ticket: TicketId | None = None, reason: str | None = None
    ) -> None:
        async def work(actor: Actor) -> None:
            tid = await self._ticket_id(interaction, ticket)
            await self._answer_result(interaction, await self.desk.execute(Close(tid, reason), actor))

        await self._run(interaction, work)

    @app_commands.command(description="Reopen a closed ticket")
    @app_commands.describe(ticket="Ticket id, e.g. TKT-B3X9C")
    async def reopen(self, interaction: discord.Interaction, ticket: TicketId | None = None) -> None:
        async def work(actor: Actor) -> None:
            tid = await self._ticket_id(interaction, ticket)
            await self._answer_result(interaction, await self.desk.execute(Reopen(tid), actor))

        await self._run(interaction, work)

    @app_commands.command(description="Show a ticket's status and latest messages")
    @app_commands.describe(ticket="Ticket id, e.g. TKT-B3X9C")
    async def status(self, interaction: discord.Interaction, ticket: TicketId | None = None) -> None:
        async def work(actor: Actor) -> None:
            tid = await self._ticket_id(interaction, ticket)
            await self._answer_result(interaction, await self.desk.execute(ShowTicket(tid), actor))

        await self._run(interaction, work)

    @app_commands.command(name="list", description="Your tickets (staff: the queue)")
    @app_commands.describe(
        status="Which tickets (default: open and pending)", mine="Staff: only tickets assigned to me"
    )
    async def list_(
        self,
        interaction: discord.Interaction,
        status: Literal["open", "pending", "closed", "all"] | None = None,
        mine: bool = False,
    ) -> None:
        async def work(actor: Actor) -> None:
            statuses = LIST_STATUSES[status] if status else OPEN_STATUSES
            page = await self.desk.execute(ListTickets(statuses, mine, LIST_SIZE), actor)
            title = "Your tickets"
            if actor.is_staff:  # how the page is titled; what it holds is the desk's choice
                title = "Assigned to you" if mine else "Support queue"
            assert isinstance(page, Page)
            await self._answer(interaction, embed=render.ticket_list_embed(page.items, title))

        await self._run(interaction, work)

    @app_commands.command(description="Search tickets (yours; staff: all), e.g. login error status:open")
    @app_commands.describe(query="Words, id, or filters like status:open priority:high category:billing")
    async def search(self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 200]) -> None:
        async def work(actor: Actor) -> None:
            page = await self.desk.execute(Search(query, PAGE_SIZE, 0), actor)
            await self._answer_result(interaction, page)

        await self._run(interaction, work)

    @app_commands.command(description="Support statistics (staff)")
    async def stats(self, interaction: discord.Interaction) -> None:
        async def work(actor: Actor) -> None:
            await self._answer_result(interaction, await self.desk.execute(ShowStats(), actor))

        await self._run(interaction, work)

    @app_commands.command(description="Assign a ticket to a staff member (default: yourself)")
    @app_commands.describe(member="Who takes it (default: you)", ticket="Ticket id, e.g. TKT-B3X9C")
    async def assign(
        self, interaction: discord.Interaction, member: discord.Member | None = None, ticket: TicketId | None = None
    ) -> None:
        async def work(actor: Actor) -> None:
            tid = await self._ticket_id(interaction, ticket)
            assignee = actor if member is None else self._actor(member)  # is_staff from the staff role
            await self._answer_result(interaction, await self.desk.execute(Assign(tid, assignee), actor))

        await self._run(interaction, work)

    @app_commands.command(description="Change a ticket's priority (staff)")
    @app_commands.describe(level="The new priority", ticket="Ticket id, e.g. TKT-B3X9C")
    @app_commands.choices(level=PRIORITY_CHOICES)
    async def priority(
        self, interaction: discord.Interaction, level: app_commands.Choice[str], ticket: TicketId | None = None
    ) -> None:
        async def work(actor: Actor) -> None:
            tid = await self._ticket_id(interaction, ticket)
            await self._answer_result(interaction, await self.desk.execute(SetPriority(tid, level.value), actor))

        await self._run(interaction, work)

    @app_commands.command(description="Add an internal note (staff; never shown to the requester)")
    @app_commands.describe(text="The note", ticket="Ticket id, e.g. TKT-B3X9C")
    async def note(
        self,
        interaction: discord.Interaction,
        text: app_commands.Range[str, 1, 4000],
        ticket: TicketId | None = None,
    ) -> None:
        async def work(actor: Actor) -> None:
            tid = await self._ticket_id(interaction, ticket)
            command = AddNote(tid, text, idempotency_key=interaction_key(interaction))
            await self._answer_result(interaction, await self.desk.execute(command, actor))

        await self._run(interaction, work)

    @app_commands.command(description="Post the 'Open a ticket' panel in this channel (staff)")
    async def panel(self, interaction: discord.Interaction) -> None:
        async def work(actor: Actor) -> None:
            require_staff(actor, "post the ticket panel")  # a Discord affordance, not a ticket command
            channel = self.bot.get_partial_messageable(interaction.channel_id or 0, guild_id=interaction.guild_id)
            async with self.notifier.pace.slot():
                await channel.send(
                    embed=render.panel_embed(),
                    view=views.panel_view(self.categories),
                    allowed_mentions=render.NO_MENTIONS,
                )
            await self._answer(interaction, "Panel posted. It keeps working after restarts.")

        await self._run(interaction, work)

    # ================================================================================ handlers for views
    async def open_modal(self, interaction: discord.Interaction, category: str | None = None) -> None:
        """A modal is itself the first response, so it goes out before anything else."""
        try:
            await interaction.response.send_modal(views.OpenTicketModal(self.categories, category=category))
        except discord.HTTPException as exc:
            if exc.code not in (ALREADY_ACKNOWLEDGED, UNKNOWN_INTERACTION):
                raise
            log.info("discord: interaction %s was already answered (%s)", interaction.id, exc.code)

    async def open_ticket(
        self,
        interaction: discord.Interaction,
        *,
        subject: str,
        description: str,
        category: str | None,
        priority: str | None,
    ) -> None:
        """The modal was submitted: defer, open the ticket (idempotent on the interaction id), then answer
        with its thread once the outbox has made it — or say that it will follow."""

        async def work(actor: Actor) -> None:
            command = OpenTicket(subject, description, category, priority, idempotency_key=interaction_key(interaction))
            result = await self.desk.execute(command, actor)
            assert isinstance(result, Changed)
            tid = result.ticket.id
            placed = await self._wait_for_thread(tid)
            if isinstance(placed, Link):
                text = f"🎫 Ticket **{tid}** is open: <#{placed.thread_id}>"
            elif placed is not None:
                text = (
                    f"🎫 Ticket **{tid}** is open, but I could not create its private thread ({placed}). "
                    "Support has your ticket; the thread will follow."
                )
            else:
                text = f"🎫 Ticket **{tid}** is open. Its private thread will follow; you will be mentioned in it."
            await self._answer(interaction, text)

        await self._run(interaction, work)

    async def card_action(self, interaction: discord.Interaction, action: str, ticket_id: str) -> None:
        """Claim / Close / Reopen on the card: the card itself is updated by the notifier."""

        async def work(actor: Actor) -> None:
            await self.desk.execute(CARD_COMMANDS[action](ticket_id), actor)

        await self._run(interaction, work, update=True, ticket_id=ticket_id)

    async def rate(self, interaction: discord.Interaction, ticket_id: str, stars: int) -> None:
        async def work(actor: Actor) -> None:
            await self._answer_result(interaction, await self.desk.execute(Rate(ticket_id, stars), actor))

        await self._run(interaction, work, ticket_id=ticket_id)

    async def search_page(self, interaction: discord.Interaction, offset: int) -> None:
        async def work(actor: Actor) -> None:
            embeds = interaction.message.embeds if interaction.message else []
            query = render.query_of(embeds[0]) if embeds else None
            if not query:
                raise InvalidInput("this search has expired; run /ticket search again")
            page = await self.desk.execute(Search(query, PAGE_SIZE, offset), actor)
            assert isinstance(page, Page)
            await interaction.edit_original_response(embed=render.search_embed(page), view=_search_view(page))

        await self._run(interaction, work, update=True)

    async def ticket_choices(self, interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
        """Autocomplete: tickets whose id or subject contains what was typed (closed ones for /reopen)."""
        try:
            actor = self._actor(interaction.user)
            command = interaction.command.name if interaction.command else ""
            statuses = (Status.CLOSED,) if command == "reopen" else OPEN_STATUSES
            page = await self.desk.execute(ListTickets(statuses, limit=100), actor)
            assert isinstance(page, Page)
            text = typed.strip().lower()
            hits = [t for t in page.items if text in t.id.lower() or text in t.subject.lower()][:25]
            return [app_commands.Choice(name=render.choice_name(t), value=t.id) for t in hits]
        except TicketError:
            return []

    # ================================================================================ thread messages
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A message in a ticket thread is a ticket message: the requester's reply, or a staff reply. In a
        watched channel, a message with a keyword opens a ticket for its author."""
        if message.author.bot or message.type not in RELAYED_TYPES or message.guild is None:
            return
        if message.guild.id != self.settings.guild_id or self.settings.support_channel_id is None:
            return
        channel = message.channel
        if self.auto is not None and (
            channel.id in self.watched or getattr(channel, "parent_id", None) in self.watched
        ):
            await self._keyword(message)
            return
        if isinstance(channel, discord.Thread):
            if channel.parent_id != self.settings.support_channel_id:
                return
        elif not isinstance(channel, discord.PartialMessageable):
            return
        if not message.content.strip() and not message.attachments:
            return
        ticket_id = await self._ticket_of_thread(channel.id)
        if ticket_id is None:
            return
        command = Reply(ticket_id, message.content, attachments_of(message), idempotency_key=message_key(message))
        try:
            result = await self.desk.execute(command, self._actor(message.author))
        except (NotFound, NotPermitted):  # the desk refused: in a thread they can see, "not found" would puzzle
            await self._reply(message, NOT_IN_TICKET.format(ticket_id), ticket_id)
            return
        except TicketError as exc:
            await self._reply(message, render.error_line(exc), ticket_id)
            return
        if isinstance(result, Posted) and result.followed_up:
            await self._reply(message, render.outcome(result), ticket_id)

    async def _keyword(self, message: discord.Message) -> None:
        """A keyword rule (``core.rules``): the ticket for the author, and an answer to their message (once)."""
        assert self.auto is not None
        key = f"discord:{message.channel.id}:{message.id}"
        try:
            result = await self.auto.from_keyword(self._actor(message.author), message.content, message_key=key)
        except TicketError as exc:
            await self._reply(message, render.error_line(exc), "-")
            return
        if result is None:
            return
        tid = result.ticket.id
        text = f"🎫 Ticket **{tid}** is open for you; support follows up in a private thread."

        async def answer() -> str:
            async with self.notifier.pace.slot():
                sent = await message.reply(text, mention_author=False, allowed_mentions=render.NO_MENTIONS)
            return str(sent.id)

        try:
            await self.desk.deliveries.once(f"ticket:{tid}", "discord_keyword_answer", answer)
        except discord.HTTPException as exc:  # the ticket is open; only the answer in the channel is missing
            log.warning("discord: could not answer the keyword message of %s: %s", tid, describe_http_error(exc))

    # ================================================================================ plumbing
    def _actor(self, user: discord.abc.User) -> Actor:
        return actor_of(user, self.settings.staff_role_id)

    async def _run(
        self,
        interaction: discord.Interaction,
        work: Callable[[Actor], Awaitable[None]],
        *,
        update: bool = False,
        ticket_id: str | None = None,
    ) -> None:
        if not await self._ack(interaction, update=update):
            return
        try:
            await work(self._actor(interaction.user))
        except TicketError as exc:
            await self._answer(interaction, render.error_line(exc))
        except discord.HTTPException as exc:
            log.warning(
                "discord: %s failed: %s", _name(interaction), describe_http_error(exc), extra={"ticket_id": ticket_id}
            )
            await self._answer(interaction, render.error_line(f"Discord refused that: {describe_http_error(exc)}"))
        except Exception as exc:
            await self.unexpected(interaction, exc, ticket_id)

    async def _ack(self, interaction: discord.Interaction, *, update: bool = False) -> bool:
        """The first response, before any other work. False for a duplicate delivery (already answered)."""
        try:
            if update:
                await interaction.response.defer()
            else:
                await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as exc:
            if exc.code not in (ALREADY_ACKNOWLEDGED, UNKNOWN_INTERACTION):
                raise
            log.info("discord: interaction %s was already answered or expired (%s)", interaction.id, exc.code)
            return False
        return True

    async def _answer_result(self, interaction: discord.Interaction, result: Result) -> None:
        """Render a command's result by its type."""
        if isinstance(result, Changed | Posted):
            await self._answer(interaction, render.outcome(result))
        elif isinstance(result, Shown):
            now = self.desk.clock.now()
            await self._answer(interaction, embed=render.status_embed(result.ticket, result.thread, now))
        elif isinstance(result, Page) and result.query is not None:
            await self._answer(interaction, embed=render.search_embed(result), view=_search_view(result))
        elif isinstance(result, Page):
            await self._answer(interaction, embed=render.ticket_list_embed(result.items, "Tickets"))
        elif isinstance(result, Stats):
            await self._answer(interaction, embed=render.stats_embed(result))
        else:
            raise TypeError(f"no Discord answer for {type(result).__name__}")

    async def _answer(
        self,
        interaction: discord.Interaction,
        text: str | None = None,
        *,
        embed: discord.Embed | None = None,
        view: discord.ui.View | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"ephemeral": True, "allowed_mentions": render.NO_MENTIONS}
        if text is not None:
            kwargs["content"] = render.cut(text, render.CONTENT_MAX)
        if embed is not None:
            kwargs["embed"] = embed
        if view is not None:
            kwargs["view"] = view
        await interaction.followup.send(**kwargs)

    async def unexpected(self, interaction: discord.Interaction, error: Exception, ticket_id: str | None) -> None:
        """A bug, not a user mistake: log it with the ticket id; tell the user something short."""
        log.error("discord: %s failed", _name(interaction), exc_info=error, extra={"ticket_id": ticket_id})
        text = "Sorry, something went wrong on our side. Support has been told" + (
            f" (ticket {ticket_id})." if ticket_id else "."
        )
        await answer_privately(interaction, text)

    async def _wait_for_thread(self, ticket_id: str) -> Link | str | None:
        """The new ticket's thread link once its card is up (made by the outbox, on any replica); the reason
        this process failed to make it; or None after ``THREAD_WAIT`` seconds."""
        news = self.notifier.news
        loop = asyncio.get_running_loop()
        deadline = loop.time() + THREAD_WAIT
        with news.watch(ticket_id) as changed:
            while True:
                changed.clear()
                link = await self.desk.queries.link(ticket_id, PLATFORM, THREAD_LINK)
                if link is not None and link.message_id:
                    return link
                failure = news.failure(ticket_id)
                if failure is not None:
                    return failure
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return None
                with contextlib.suppress(TimeoutError):  # woken by this process's notifier, else poll
                    await asyncio.wait_for(changed.wait(), min(remaining, THREAD_POLL))

    async def _ticket_of_thread(self, channel_id: int) -> str | None:
        """Which ticket a thread belongs to (routing by the saved link; the desk decides who may act)."""
        ticket = await self.desk.queries.ticket_by_link(
            platform=PLATFORM,
            channel_id=str(self.settings.support_channel_id),
            thread_id=str(channel_id),
            kind=THREAD_LINK,
        )
        return ticket.id if ticket is not None else None

    async def _ticket_id(self, interaction: discord.Interaction, given: str | None) -> str:
        if given:
            return given
        channel = interaction.channel
        if channel is not None and self.settings.support_channel_id is not None:
            found = await self._ticket_of_thread(channel.id)
            if found is not None:
                return found
        raise InvalidInput("give a ticket id (like TKT-B3X9C), or run this inside the ticket's thread")

    async def _reply(self, message: discord.Message, text: str, ticket_id: str) -> None:
        """Answer in the thread (a person's message, not an outbox step: a failure is only logged)."""
        try:
            async with self.notifier.pace.slot():
                await message.reply(text, mention_author=False, allowed_mentions=render.NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("discord: could not answer in the thread of %s: %s", ticket_id, describe_http_error(exc))


def _search_view(page: Page) -> discord.ui.View:
    return views.search_view(page.offset, page.total, page.limit)


def _name(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data: dict[str, Any] = dict(interaction.data or {})
    return str(data.get("custom_id") or data.get("name") or interaction.type.name)
