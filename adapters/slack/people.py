"""Who a Slack user is: display name and email (``users.info``) and whether they are staff.

Staff = ``TICKETBOT_SLACK__STAFF_USERS`` and/or members of ``__STAFF_USERGROUP``. Answers are kept in bounded
TTL caches (``cachetools``): a profile for ``profile_ttl``, the user group's members for ``staff_ttl`` (so a
permission change takes effect within it). This is a cache of Slack's answers, not ticket state. When Slack
cannot answer, a user counts as staff only if listed in STAFF_USERS or in the last members read (fail closed).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import translate
from adapters.slack.settings import SlackSettings
from core.model import Actor

log = logging.getLogger(__name__)

PLATFORM = "slack"
PROFILES_MAX = 10_000  # a large workspace's active users; the least recently used beyond that are forgotten


class SlackPeople:
    def __init__(
        self,
        client: AsyncWebClient,
        settings: SlackSettings,
        *,
        profile_ttl: float = 600,
        staff_ttl: float = 60,
        max_profiles: int = PROFILES_MAX,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._staff_users = frozenset(settings.staff_users)
        self._usergroup = settings.staff_usergroup
        self._profiles: TTLCache[str, dict[str, Any]] = TTLCache(max_profiles, profile_ttl, timer=timer)
        self._group: TTLCache[str, frozenset[str]] = TTLCache(1, staff_ttl, timer=timer)
        self._last_group: frozenset[str] = frozenset()
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
        """The Actor without asking about staff membership (requesters)."""
        profile = await self._profile(user_id)
        name = profile.get("display_name") or profile.get("real_name") or user_id
        return Actor(platform=PLATFORM, user_id=user_id, name=str(name), email=profile.get("email") or None)

    async def resolve(self, ref: str) -> Actor | None:
        """A person typed in ``/ticket`` (``<@U123|ann>``, the escaped mention) → their Actor with ``is_staff``
        set; None when the text is no mention (the desk then answers "unknown user")."""
        user_id = translate.user_ref(ref)
        return await self.actor(user_id) if user_id else None

    async def is_staff(self, user_id: str) -> bool:
        if user_id in self._staff_users:
            return True
        if not self._usergroup:
            return False
        return user_id in await self._group_members()

    async def _group_members(self) -> frozenset[str]:
        assert self._usergroup is not None
        async with self._group_lock:
            members = self._group.get(self._usergroup)
            if members is not None:
                return members
            try:
                resp = await self._client.usergroups_users_list(usergroup=self._usergroup)
                members = frozenset(resp.get("users") or [])
                self._last_group = members
            except SlackApiError as err:
                log.warning(
                    "cannot read staff user group %s (%s); using the last known members",
                    self._usergroup,
                    err.response.get("error"),
                )
                members = self._last_group
            self._group[self._usergroup] = members
            return members

    async def _profile(self, user_id: str) -> dict[str, Any]:
        cached = self._profiles.get(user_id)
        if cached is not None:
            return cached
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
        self._profiles[user_id] = profile
        return profile
