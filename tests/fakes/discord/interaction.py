"""One interaction the fake sent to the bot, and what the bot answered (the test's handle)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .state import FakeChannel, FakeMessage, FakeUser

if TYPE_CHECKING:
    from .server import FakeDiscord

APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5

# callback (response) types
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

RESPONSE_WINDOW = 3.0  # seconds Discord gives for the initial response


class FakeInteraction:
    """Handle on an INTERACTION_CREATE: await the bot's initial response and its visible answer."""

    def __init__(
        self,
        fake: FakeDiscord,
        *,
        id: int,
        token: str,
        type: int,
        user: FakeUser,
        channel: FakeChannel,
        data: dict[str, Any],
        message: FakeMessage | None = None,
    ) -> None:
        self.fake = fake
        self.id = id
        self.token = token
        self.type = type
        self.user = user
        self.channel = channel
        self.data = data
        self.message = message  # the message carrying the clicked component
        self.created_at = time.monotonic()
        self.response_type: int | None = None
        self.response_data: dict[str, Any] | None = None
        self.responded_at: float | None = None
        self.original: FakeMessage | None = None
        self.followups: list[FakeMessage] = []
        self.expired = False
        self.expect_response = True

    def __repr__(self) -> str:
        name = self.data.get("name") or self.data.get("custom_id")
        return f"<FakeInteraction {self.id} type={self.type} {name!r} response={self.response_type}>"

    @property
    def latency(self) -> float | None:
        """Seconds from dispatch to the bot's initial response."""
        return None if self.responded_at is None else self.responded_at - self.created_at

    @property
    def modal(self) -> dict[str, Any]:
        assert self.response_type == MODAL, f"{self!r} was not answered with a modal"
        assert self.response_data is not None
        return self.response_data

    @property
    def choices(self) -> list[dict[str, Any]]:
        assert self.response_type == AUTOCOMPLETE_RESULT, f"{self!r} was not answered with choices"
        return (self.response_data or {}).get("choices", [])

    async def response(self, within: float = 5.0) -> int:
        """Wait for the initial response; return its callback type."""
        await self.fake.wait_until(lambda: self.response_type is not None, within, f"initial response to {self!r}")
        assert self.response_type is not None
        return self.response_type

    async def reply(self, within: float = 5.0) -> FakeMessage:
        """Wait for what the user finally sees: the message, the finished deferred reply, or a follow-up."""
        await self.response(within)

        def visible() -> FakeMessage | None:
            if self.response_type in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
                if self.original is not None and not self.original.loading:
                    return self.original
            if self.response_type == UPDATE_MESSAGE:
                return self.message
            if self.followups:
                return self.followups[0]
            return None

        await self.fake.wait_until(lambda: visible() is not None, within, f"a visible reply to {self!r}")
        found = visible()
        assert found is not None
        return found

    async def followup(self, index: int = 0, within: float = 5.0) -> FakeMessage:
        await self.fake.wait_until(lambda: len(self.followups) > index, within, f"follow-up #{index} to {self!r}")
        return self.followups[index]

    @property
    def answers(self) -> list[FakeMessage]:
        """Every message the interaction produced so far (original first)."""
        out = [self.original] if self.original is not None else []
        return out + self.followups
