"""The App Home tab: a requester's own tickets, or for staff the queue, published one page at a time."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.people import SlackPeople
from core.commands import ListTickets, Page
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
        """Publish page ``offset`` of ``user_id``'s App Home; ``notice`` blocks (a refusal…) go above the list.

        The desk decides what the page holds: staff get the open queue, a requester their own tickets (all
        statuses, so a closed one can be reopened from here).
        """
        actor = await self.people.actor(user_id)
        statuses = (Status.OPEN, Status.PENDING) if actor.is_staff else tuple(Status)
        page = await self.desk.execute(ListTickets(statuses, limit=render.HOME_PAGE_SIZE, offset=offset), actor)
        assert isinstance(page, Page)
        view = render.home_view(
            page.items,
            staff=actor.is_staff,
            now=self.desk.clock.now(),
            offset=offset,
            has_more=page.has_more,
            notice=notice or (),
        )
        await client.views_publish(user_id=user_id, view=view)
