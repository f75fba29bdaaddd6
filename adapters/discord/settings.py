"""The Discord section of the configuration (``TICKETBOT_DISCORD__*``); imports no Discord SDK."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator

from core.config import CommaList, Section, split_list


class DiscordSettings(Section):
    token: SecretStr | None = None
    api_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
    guild_id: int | None = None
    support_channel_id: int | None = None
    staff_role_id: int | None = None
    log_channel_id: int | None = None
    staff_channel_id: int | None = None  # staff-only channel for SLA reminders
    escalation_role_id: int | None = None
    watch_channel_ids: CommaList = []
    shard_count: int | None = Field(None, ge=1)
    # deprecated: the limit is TICKETBOT_MAX_OPEN_PER_USER now (for every platform); still read
    max_open_per_user: int | None = Field(None, ge=1)
    # seconds discord.py waits after the last GUILD_CREATE before READY (tests and benches set it small)
    guild_ready_timeout: float = Field(2.0, ge=0)
    # also DM the transcript to the requester on close (a failed DM is logged, never fatal)
    transcript_to_requester: bool = True
    # the adapter spaces its own REST calls under Discord's global limit of 50/s per bot (0 = off);
    # interaction answers are exempt. Several processes sharing one token: divide between them.
    rest_per_second: float = Field(48.0, ge=0)

    _lists = field_validator("watch_channel_ids", mode="before")(split_list)

    @field_validator("watch_channel_ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.isdigit():
                raise ValueError(f"{item!r} is not a channel id (a number like 123456789012345678)")
        return value

    @property
    def enabled(self) -> bool:
        return self.token is not None

    @model_validator(mode="after")
    def _complete(self) -> DiscordSettings:
        """Discord switched on (a token) needs to know where tickets live and who is staff."""
        if not self.enabled:
            return self
        missing = [
            f"TICKETBOT_DISCORD__{name.upper()}"
            for name in ("guild_id", "support_channel_id", "staff_role_id")
            if getattr(self, name) is None
        ]
        if missing:
            raise ValueError("Discord needs " + ", ".join(missing))
        return self
