"""``/ticket …`` slash commands, button/modal handlers and thread messages → ``Desk`` calls.

Every interaction gets its first response at once (a modal, or a defer) before any database work; the
answer follows as an ephemeral one-liner. User mistakes (``TicketError``) are shown as they are;
Discord failures are logged with the ticket id and explained; anything else is logged as an error and
answered with an apology. The cog holds no ticket state: threads are found through ``Desk`` links.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from adapters.discord import render, views
from adapters.discord.notifier import DiscordNotifier, describe_http_error
from adapters.discord.translate import (
    PLATFORM,
    THREAD_LINK,
    actor_of,
    attachments_of,
    interaction_key,
    message_key,
)
from bot.settings import DiscordSettings
from core.desk import Desk
from core.errors import InvalidInput, NotPermitted, TicketError
from core.model import Actor, Priority, Status, Ticket

log = logging.getLogger(__name__)

PAGE_SIZE = 10
ALREADY_ACKNOWLEDGED, UNKNOWN_INTERACTION = 40060, 10062
RELAYED_TYPES = (discord.MessageType.default, discord.MessageType.reply)
NOT_IN_TICKET = "⚠️ only the requester and the support team write in {}; this message was not added to the ticket"
PRIORITY_CHOICES = [app_commands.Choice(name=p.value, value=p.value) for p in Priority]


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
        categories: Sequence[str],
        notifier: DiscordNotifier,
    ) -> None:
        self.bot = bot
        self.desk = desk
        self.settings = settings
        self.categories = list(categories)
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
            closed = await self.desk.close_ticket(ticket_id=tid, actor=actor, reason=reason)
            await self._answer(interaction, f"🔒 Closed **{closed.id}**.")

        await self._run(interaction, work)

    @app_commands.command(description="Reopen a closed ticket")
    @app_commands.describe(ticket="Ticket id, e.g. TKT-B3X9C")
    async def reopen(self, interaction: discord.Interaction, ticket: TicketId | None = None) -> None:
        async def work(actor: Actor) -> None:
            tid = await self._ticket_id(interaction, ticket)
            opened = await self.desk.reopen_ticket(ticket_id=tid, actor=actor)
            await self._answer(interaction, f"🔓 Reopened **{opened.id}**.")

        await self._run(interaction, work)

    @app_commands.command(description="Show a ticket's status and latest messages")
    @app_commands.describe(ticket="Ticket id, e.g. TKT-B3X9C")
    async def status(self, interaction: discord.Interaction, ticket: TicketId | None = None) -> None:
        async def work(actor: Actor) -> None:
            tid = await self._ticket_id(interaction, ticket)
            found = await self.desk.get_ticket(ticket_id=tid, actor=actor)
            thread = await self.desk.get_thread(ticket_id=tid, actor=actor)
            await self._answer(interaction, embed=render.status_embed(found, thread))

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
            statuses: Any = None
            if status == "all":
                statuses = list(Status)
            elif status:
                statuses = Status.parse(status)
            found = await self.desk.list_tickets(actor=actor, status=statuses, mine=mine, limit=25)
            title = "Support queue" if actor.is_staff and not mine else "Your tickets"
            if actor.is_staff and mine:
                title = "Assigned to you"
            await self._answer(interaction, embed=render.ticket_list_embed(found, title))

        await self._run(interaction, work)

    @app_commands.command(description="Search tickets (staff), e.g. login error status:open priority:high")
    @app_commands.describe(query="Words, id, or filters like status:open priority:high category:billing")
    async def search(self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 200]) -> None:
        async def work(actor: Actor) -> None:
            if not actor.is_staff:
                raise NotPermitted("only support staff can search all tickets; use /ticket list for yours")
            embed, view = await self._search(actor, query, 0)
            await self._answer(interaction, embed=embed, view=view)

        await self._run(interaction, work)

    @app_commands.command(description="Support statistics (staff)")
    async def stats(self, interaction: discord.Interaction) -> None:
        async def work(actor: Actor) -> None:
            await self._answer(interaction, embed=render.stats_embed(await self.desk.stats(actor=actor)))

        await self._run(interaction, work)

    @app_commands.command(description="Assign a ticket to a staff member (default: yourself)")
    @app_commands.describe(member="Who takes it (default: you)", ticket="Ticket id, e.g. TKT-B3X9C")
    async def assign(
        self, interaction: discord.Interaction, member: discord.Member | None = None, ticket: TicketId | None = None
    ) -> None:
        async def work(actor: Actor) -> None:
            tid = await self._ticket_id(interaction, ticket)
            assignee = actor if member is None else actor_of(member, self.settings.staff_role_id)
            if member is not None and not assignee.is_staff:
                raise InvalidInput(f"{member.display_name} is not in the support team")
            updated = await self.desk.assign_ticket(ticket_id=tid, actor=actor, assignee=assignee)
            await self._answer(interaction, f"🙋 **{updated.id}** is assigned to {render.who(updated.assignee)}.")

        await self._run(interaction, work)

    @app_commands.command(description="Change a ticket's priority (staff)")
    @app_commands.describe(level="The new priority", ticket="Ticket id, e.g. TKT-B3X9C")
    @app_commands.choices(level=PRIORITY_CHOICES)
    async def priority(
        self, interaction: discord.Interaction, level: app_commands.Choice[str], ticket: TicketId | None = None
    ) -> None:
        async def work(actor: Actor) -> None:
            tid = await self._ticket_id(interaction, ticket)
            updated = await self.desk.set_priority(ticket_id=tid, priority=level.value, actor=actor)
            await self._answer(interaction, f"**{updated.id}** is now {updated.priority.value} priority.")

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
            await self.desk.add_note(
                ticket_id=tid, content=text, actor=actor, idempotency_key=interaction_key(interaction)
            )
            await self._answer(interaction, f"📝 Internal note added to **{tid}** (not visible to the requester).")

        await self._run(interaction, work)

    @app_commands.command(description="Post the 'Open a ticket' panel in this channel (staff)")
    async def panel(self, interaction: discord.Interaction) -> None:
        async def work(actor: Actor) -> None:
            if not actor.is_staff:
                raise NotPermitted("only support staff can post the ticket panel")
            channel = self.bot.get_partial_messageable(interaction.channel_id or 0, guild_id=interaction.guild_id)
            await self.notifier.pacer.wait()
            await channel.send(
                embed=render.panel_embed(), view=views.panel_view(self.categories), allowed_mentions=render.NO_MENTIONS
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
        """The modal was submitted: defer, create (idempotent on the interaction id), make the thread, answer."""
        if not await self._ack(interaction):
            return
        actor = self._actor(interaction.user)
        ticket: Ticket | None = None
        try:
            ticket = await self.desk.create_ticket(
                subject=subject,
                message=description,
                category=category,
                priority=priority,
                requester=actor,
                idempotency_key=interaction_key(interaction),
            )
            link = await self.notifier.ensure_thread(ticket)
            await self._answer(interaction, f"🎫 Ticket **{ticket.id}** is open: <#{link.thread_id}>")
        except TicketError as exc:
            await self._answer(interaction, render.error_line(exc))
        except discord.HTTPException as exc:
            if ticket is None:
                raise
            # the ticket exists; the outbox retries the thread, so nothing is lost
            log.warning(
                "discord: ticket %s is open but its thread failed: %s",
                ticket.id,
                describe_http_error(exc),
                extra={"ticket_id": ticket.id},
            )
            await self._answer(
                interaction,
                f"🎫 Ticket **{ticket.id}** is open, but I could not create its private thread "
                f"({describe_http_error(exc)}). Support has your ticket; the thread will follow.",
            )
        except Exception as exc:
            await self.unexpected(interaction, exc, ticket.id if ticket else None)

    async def card_action(self, interaction: discord.Interaction, action: str, ticket_id: str) -> None:
        """Claim / Close / Reopen on the card: the card itself is updated by the notifier."""

        async def work(actor: Actor) -> None:
            if action == "claim":
                await self.desk.claim_ticket(ticket_id=ticket_id, actor=actor)
            elif action == "close":
                await self.desk.close_ticket(ticket_id=ticket_id, actor=actor)
            elif action == "reopen":
                await self.desk.reopen_ticket(ticket_id=ticket_id, actor=actor)

        await self._run(interaction, work, update=True, ticket_id=ticket_id)

    async def rate(self, interaction: discord.Interaction, ticket_id: str, stars: int) -> None:
        async def work(actor: Actor) -> None:
            await self.desk.rate_ticket(ticket_id=ticket_id, rating=stars, actor=actor)
            await self._answer(interaction, f"Thank you! You rated **{ticket_id}** {'★' * stars}{'☆' * (5 - stars)}.")

        await self._run(interaction, work, ticket_id=ticket_id)

    async def search_page(self, interaction: discord.Interaction, offset: int) -> None:
        async def work(actor: Actor) -> None:
            embeds = interaction.message.embeds if interaction.message else []
            query = render.query_of(embeds[0]) if embeds else None
            if not query:
                raise InvalidInput("this search has expired; run /ticket search again")
            if not actor.is_staff:
                raise NotPermitted("only support staff can search all tickets")
            embed, view = await self._search(actor, query, offset)
            await interaction.edit_original_response(embed=embed, view=view)

        await self._run(interaction, work, update=True)

    async def ticket_choices(self, interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
        """Autocomplete: tickets whose id or subject contains what was typed (closed ones for /reopen)."""
        try:
            actor = self._actor(interaction.user)
            command = interaction.command.name if interaction.command else ""
            statuses: Any = Status.CLOSED if command == "reopen" else None
            found = await self.desk.list_tickets(actor=actor, status=statuses, limit=100)
            text = typed.strip().lower()
            hits = [t for t in found if text in t.id.lower() or text in t.subject.lower()][:25]
            return [app_commands.Choice(name=render.choice_name(t), value=t.id) for t in hits]
        except TicketError:
            return []

    # ================================================================================ thread messages
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A message in a ticket thread is a ticket message: the requester's reply, or a staff reply."""
        if message.author.bot or message.type not in RELAYED_TYPES or message.guild is None:
            return
        if message.guild.id != self.settings.guild_id or self.settings.support_channel_id is None:
            return
        channel = message.channel
        if isinstance(channel, discord.Thread):
            if channel.parent_id != self.settings.support_channel_id:
                return
        elif not isinstance(channel, discord.PartialMessageable):
            return
        if not message.content.strip() and not message.attachments:
            return
        ticket = await self.desk.find_ticket_by_link(
            platform=PLATFORM,
            channel_id=str(self.settings.support_channel_id),
            thread_id=str(channel.id),
            kind=THREAD_LINK,
        )
        if ticket is None:
            return
        actor = self._actor(message.author)
        if not actor.is_staff and not ticket.is_requester(actor):
            await self._reply(message, NOT_IN_TICKET.format(ticket.id), ticket.id)
            return
        try:
            saved = await self.desk.add_message(
                ticket_id=ticket.id,
                actor=actor,
                content=message.content,
                attachments=attachments_of(message),
                idempotency_key=message_key(message),
            )
        except TicketError as exc:
            await self._reply(message, render.error_line(exc), ticket.id)
            return
        if saved.ticket_id != ticket.id:
            await self._reply(
                message,
                f"{ticket.id} was closed a while ago, so this opened a new ticket: **{saved.ticket_id}**.",
                ticket.id,
            )

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

    async def _ticket_id(self, interaction: discord.Interaction, given: str | None) -> str:
        if given:
            return given
        channel = interaction.channel
        if channel is not None and self.settings.support_channel_id is not None:
            ticket = await self.desk.find_ticket_by_link(
                platform=PLATFORM,
                channel_id=str(self.settings.support_channel_id),
                thread_id=str(channel.id),
                kind=THREAD_LINK,
            )
            if ticket is not None:
                return ticket.id
        raise InvalidInput("give a ticket id (like TKT-B3X9C), or run this inside the ticket's thread")

    async def _search(self, actor: Actor, query: str, offset: int) -> tuple[discord.Embed, discord.ui.View]:
        page = await self.desk.search(query=query, actor=actor, limit=PAGE_SIZE, offset=offset)
        embed = render.search_embed(query, page.items, page.total, offset, PAGE_SIZE)
        return embed, views.search_view(offset, page.total, PAGE_SIZE)

    async def _reply(self, message: discord.Message, text: str, ticket_id: str) -> None:
        try:
            await self.notifier.pacer.wait()
            await message.reply(text, mention_author=False, allowed_mentions=render.NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("discord: could not answer in the thread of %s: %s", ticket_id, describe_http_error(exc))


def _name(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data: dict[str, Any] = dict(interaction.data or {})
    return str(data.get("custom_id") or data.get("name") or interaction.type.name)
