"""Who a Slack user is: display name and email (``users.info``) and whether they are staff.

Staff = ``TICKETBOT_SLACK__STAFF_USERS`` and/or members of ``__STAFF_USERGROUP``. Lookups are cached for a
short time (a permission change takes effect within ``staff_ttl``); this is a cache of Slack's answers,
not ticket state. When Slack cannot answer, a user counts as staff only if listed in STAFF_USERS (fail closed).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import SlackSettings
from core.model import Actor

log = logging.getLogger(__name__)

PLATFORM = "slack"


class SlackPeople:
    def __init__(
        self, client: AsyncWebClient, settings: SlackSettings, *, profile_ttl: float = 600, staff_ttl: float = 60
    ) -> None:
        self._client = client
        self._staff_users = frozenset(settings.staff_users)
        self._usergroup = settings.staff_usergroup
        self._profile_ttl = profile_ttl
        self._staff_ttl = staff_ttl
        self._profiles: dict[str, tuple[float, dict[str, Any]]] = {}
        self._group: tuple[float, frozenset[str]] | None = None
        self._group_lock = asyncio.Lock()

    async def actor(self, user_id: str, *, fallback_name: str = "") -> Actor:
        """The Actor for a Slack user, with display name, email and the staff flag."""
        profile = await self._profile(user_id)
        name = profile.get("display_name") or profile.get("real_name") or fallback_name or user_id
        return Actor(
            platform=PLATFORM,
            user_id=user_id,
            name=str(name),
            email=profile.get("email") or None,
            is_staff=await self.is_staff(user_id),
        )

    async def person(self, user_id: str) -> Actor:
        """The Actor without asking about staff membership (requesters, assignees)."""
        profile = await self._profile(user_id)
        name = profile.get("display_name") or profile.get("real_name") or user_id
        return Actor(platform=PLATFORM, user_id=user_id, name=str(name), email=profile.get("email") or None)

    async def is_staff(self, user_id: str) -> bool:
        if user_id in self._staff_users:
            return True
        if not self._usergroup:
            return False
        return user_id in await self._group_members()

    async def _group_members(self) -> frozenset[str]:
        assert self._usergroup is not None
        async with self._group_lock:
            now = time.monotonic()
            if self._group is not None and now - self._group[0] < self._staff_ttl:
                return self._group[1]
            try:
                resp = await self._client.usergroups_users_list(usergroup=self._usergroup)
                members = frozenset(resp.get("users") or [])
            except SlackApiError as err:
                log.warning(
                    "cannot read staff user group %s (%s); using the last known members",
                    self._usergroup,
                    err.response.get("error"),
                )
                members = self._group[1] if self._group else frozenset()
            self._group = (now, members)
            return members

    async def _profile(self, user_id: str) -> dict[str, Any]:
        now = time.monotonic()
        cached = self._profiles.get(user_id)
        if cached and now - cached[0] < self._profile_ttl:
            return cached[1]
        try:
            resp = await self._client.users_info(user=user_id)
            user = resp.get("user") or {}
            profile = dict(user.get("profile") or {})
            profile.setdefault("real_name", user.get("real_name"))
            profile["is_bot"] = bool(user.get("is_bot"))
            profile["tz"] = user.get("tz")
        except SlackApiError as err:  # not cached: the next interaction asks again
            log.warning("users.info %s failed: %s", user_id, err.response.get("error"))
            return {}
        self._profiles[user_id] = (now, profile)
        return profile
