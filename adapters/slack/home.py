"""The App Home tab: a requester's own tickets, or for staff the queue, published one page at a time."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.people import SlackPeople
from core.desk import Desk
from core.model import Status


class HomeTab:
    """Publishes a user's App Home from the desk (listeners call it on open, on paging, after a button)."""

    def __init__(self, desk: Desk, people: SlackPeople) -> None:
        self.desk = desk
        self.people = people

    async def publish(
        self, client: AsyncWebClient, user_id: str, *, offset: int = 0, notice: list[dict[str, Any]] | None = None
    ) -> None:
        """Publish page ``offset`` of ``user_id``'s App Home; ``notice`` blocks (a refusal…) go above the list."""
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
