"""Buttons, selects and the open-ticket modal.

Buttons and selects are ``DynamicItem``s: the ticket id and action live in the ``custom_id``
(``ticket:<action>:<id>``), so a click after a restart is routed by pattern and needs no memory of the
message. Callbacks only forward to the handlers on the bot (``bot.tickets``, see ``cog.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord import ui

from adapters.discord import render
from core.ids import ALPHABET, LENGTH, PREFIX
from core.model import SUBJECT_MAX, Priority, Status, Ticket

if TYPE_CHECKING:
    from adapters.discord.cog import TicketCog

TICKET_ID = rf"{re.escape(PREFIX)}[{ALPHABET}]{{{LENGTH}}}"  # what a custom_id carries (core.ids)
CARD_ACTIONS = {
    "claim": ("Claim", discord.ButtonStyle.primary, "🙋"),
    "close": ("Close", discord.ButtonStyle.danger, "🔒"),
    "reopen": ("Reopen", discord.ButtonStyle.secondary, "🔓"),
}


def handlers(interaction: discord.Interaction) -> TicketCog:
    return interaction.client.tickets  # type: ignore[attr-defined]


class CardButton(ui.DynamicItem[ui.Button], template=rf"ticket:(?P<action>claim|close|reopen):(?P<id>{TICKET_ID})"):
    """Claim · Close · Reopen on the pinned ticket card."""

    def __init__(self, action: str, ticket_id: str, *, disabled: bool = False) -> None:
        label, style, emoji = CARD_ACTIONS[action]
        super().__init__(
            ui.Button(
                label=label, style=style, emoji=emoji, custom_id=f"ticket:{action}:{ticket_id}", disabled=disabled
            )
        )
        self.action = action
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: ui.Item[Any], match: Any) -> CardButton:
        return cls(match["action"], match["id"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await handlers(interaction).card_action(interaction, self.action, self.ticket_id)


class RatingButton(ui.DynamicItem[ui.Button], template=rf"ticket:rate:(?P<id>{TICKET_ID}):(?P<stars>[1-5])"):
    def __init__(self, ticket_id: str, stars: int) -> None:
        super().__init__(
            ui.Button(
                label="★" * stars, style=discord.ButtonStyle.secondary, custom_id=f"ticket:rate:{ticket_id}:{stars}"
            )
        )
        self.ticket_id = ticket_id
        self.stars = stars

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: ui.Item[Any], match: Any) -> RatingButton:
        return cls(match["id"], int(match["stars"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await handlers(interaction).rate(interaction, self.ticket_id, self.stars)


class PanelOpenButton(ui.DynamicItem[ui.Button], template=r"ticket:panel:open"):
    def __init__(self) -> None:
        super().__init__(
            ui.Button(
                label="Open a ticket", style=discord.ButtonStyle.success, emoji="🎫", custom_id="ticket:panel:open"
            )
        )

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: ui.Item[Any], match: Any) -> PanelOpenButton:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        await handlers(interaction).open_modal(interaction)


class PanelCategorySelect(ui.DynamicItem[ui.Select], template=r"ticket:panel:category"):
    def __init__(self, categories: Sequence[str]) -> None:
        super().__init__(
            ui.Select(
                custom_id="ticket:panel:category",
                placeholder="…or pick a category",
                options=[discord.SelectOption(label=render.cut(c, 100), value=render.cut(c, 100)) for c in categories],
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Item[Any], match: Any
    ) -> PanelCategorySelect:
        assert isinstance(item, ui.Select)
        return cls([o.value for o in item.options])

    async def callback(self, interaction: discord.Interaction) -> None:
        values = self.item.values
        await handlers(interaction).open_modal(interaction, category=str(values[0]) if values else None)


class SearchPageButton(ui.DynamicItem[ui.Button], template=r"ticket:page:(?P<offset>\d{1,6})"):
    """Previous/next page of search results; the query is read back from the results embed."""

    def __init__(self, offset: int, label: str, *, disabled: bool = False) -> None:
        super().__init__(
            ui.Button(
                label=label, style=discord.ButtonStyle.secondary, custom_id=f"ticket:page:{offset}", disabled=disabled
            )
        )
        self.offset = offset

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: ui.Item[Any], match: Any) -> SearchPageButton:
        label = item.label if isinstance(item, ui.Button) else None
        return cls(int(match["offset"]), label or "page")

    async def callback(self, interaction: discord.Interaction) -> None:
        await handlers(interaction).search_page(interaction, self.offset)


DYNAMIC_ITEMS = (CardButton, RatingButton, PanelOpenButton, PanelCategorySelect, SearchPageButton)


def card_view(ticket: Ticket) -> ui.View:
    closed = ticket.status is Status.CLOSED
    view = ui.View(timeout=None)
    view.add_item(CardButton("claim", ticket.id, disabled=closed))
    view.add_item(CardButton("close", ticket.id, disabled=closed))
    view.add_item(CardButton("reopen", ticket.id, disabled=not closed))
    return view


def rating_view(ticket: Ticket) -> ui.View:
    view = ui.View(timeout=None)
    for stars in range(1, 6):
        view.add_item(RatingButton(ticket.id, stars))
    return view


def panel_view(categories: Sequence[str]) -> ui.View:
    view = ui.View(timeout=None)
    view.add_item(PanelOpenButton())
    view.add_item(PanelCategorySelect(categories[:25]))
    return view


def search_view(offset: int, total: int, page_size: int) -> ui.View:
    view = ui.View(timeout=None)
    view.add_item(SearchPageButton(max(0, offset - page_size), "◀ Previous", disabled=offset == 0))
    view.add_item(SearchPageButton(offset + page_size, "Next ▶", disabled=offset + page_size >= total))
    return view


class OpenTicketModal(ui.Modal):
    """Subject, description, and category and priority as selects (``ui.Label`` wrapping, discord.py ≥ 2.6)."""

    def __init__(self, categories: Sequence[str], *, category: str | None = None) -> None:
        super().__init__(title="Open a support ticket", timeout=900)
        preset = next((c for c in categories if category and c.lower() == category.lower()), None)
        preset = preset or next((c for c in categories if c.lower() == "general"), categories[0])
        self.subject: ui.TextInput[Any] = ui.TextInput(
            custom_id="subject", max_length=SUBJECT_MAX, placeholder="One line: what is wrong?"
        )
        self.description: ui.TextInput[Any] = ui.TextInput(
            custom_id="description",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=4000,
            placeholder="Details, steps, error messages…",
        )
        self.category: ui.Select[Any] = ui.Select(
            custom_id="category",
            options=[discord.SelectOption(label=c, value=c, default=c == preset) for c in categories[:25]],
        )
        self.priority: ui.Select[Any] = ui.Select(
            custom_id="priority",
            options=[
                discord.SelectOption(label=p.value, value=p.value, default=p is Priority.MEDIUM) for p in Priority
            ],
        )
        self.add_item(ui.Label(text="Subject", component=self.subject))
        self.add_item(ui.Label(text="Description", component=self.description))
        self.add_item(ui.Label(text="Category", component=self.category))
        self.add_item(ui.Label(text="Priority", component=self.priority))

    async def on_submit(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        await handlers(interaction).open_ticket(
            interaction,
            subject=self.subject.value,
            description=self.description.value,
            category=str(self.category.values[0]) if self.category.values else None,
            priority=str(self.priority.values[0]) if self.priority.values else None,
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        await handlers(interaction).unexpected(interaction, error, None)
