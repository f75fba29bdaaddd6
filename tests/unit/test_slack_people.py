"""Who a Slack user is: answers from Slack kept in bounded TTL caches, staff membership failing closed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.people import SlackPeople
from adapters.slack.settings import SlackSettings
from tests.fakes.slack import BOT_TOKEN, FakeSlack


class Timer:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    for user_id, name in (("U1", "Ann"), ("U2", "Ben"), ("U3", "Cy")):
        server.add_user(user_id, name)
    server.add_usergroup("S1", ["U2"])
    yield server
    await server.close()


def people(fake: FakeSlack, timer: Timer, **kwargs: object) -> SlackPeople:
    settings = SlackSettings(staff_users=["U1"], staff_usergroup="S1")
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    return SlackPeople(client, settings, profile_ttl=600, staff_ttl=60, timer=timer, **kwargs)  # type: ignore[arg-type]


async def test_profiles_are_asked_once_per_ttl(fake: FakeSlack):
    timer = Timer()
    who = people(fake, timer)
    first, again = await who.actor("U3"), await who.actor("U3")
    assert first == again and first.name == "Cy" and not first.is_staff
    assert len(fake.calls_to("users.info", user="U3")) == 1
    timer.now = 601
    await who.person("U3")
    assert len(fake.calls_to("users.info", user="U3")) == 2


async def test_the_profile_cache_is_bounded(fake: FakeSlack):
    who = people(fake, Timer(), max_profiles=2)
    for user_id in ("U1", "U2", "U3"):
        await who.person(user_id)
    assert len(who._profiles) == 2
    await who.person("U1")  # the least recently used was forgotten: Slack is asked again
    assert len(fake.calls_to("users.info", user="U1")) == 2


async def test_staff_by_list_or_group_and_the_group_is_reread_after_its_ttl(fake: FakeSlack):
    timer = Timer()
    who = people(fake, timer)
    assert [await who.is_staff(u) for u in ("U1", "U2", "U3")] == [True, True, False]
    assert len(fake.calls_to("usergroups.users.list")) == 1
    fake.add_usergroup("S1", ["U3"])  # U2 leaves the team, U3 joins
    assert await who.is_staff("U2")  # within the TTL the last answer stands
    timer.now = 61
    assert (await who.is_staff("U2"), await who.is_staff("U3")) == (False, True)


async def test_when_slack_cannot_say_the_last_known_members_stand(fake: FakeSlack):
    timer = Timer()
    who = people(fake, timer)
    assert await who.is_staff("U2")
    timer.now = 61
    fake.fail("usergroups.users.list", "internal_error")
    assert await who.is_staff("U2") and not await who.is_staff("U3")


async def test_a_mention_resolves_to_the_person_with_the_staff_flag(fake: FakeSlack):
    who = people(fake, Timer())
    gus = await who.resolve("<@U2|ben>")
    assert gus is not None and (gus.user_id, gus.name, gus.is_staff) == ("U2", "Ben", True)
    assert await who.resolve("O'Brien") is None and await who.resolve('"ann') is None
