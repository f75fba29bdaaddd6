"""Configuration from the environment (prefix ``TICKETBOT_``, nested with ``__``, ``.env`` read).

The variable names are a contract shared with the docs and deployments: add, never rename.
List values are comma-separated (``U01,U02``); a JSON array is accepted too.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from adapters.email.settings import SmtpSettings

CommaList = Annotated[list[str], NoDecode]


def _split_list(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class _Section(BaseModel):
    model_config = {"extra": "forbid"}


class HttpSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)


class SlackSettings(_Section):
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    api_url: str = "https://slack.com/api/"
    staff_channel: str | None = None
    staff_users: CommaList = []
    staff_usergroup: str | None = None
    watch_channels: CommaList = []
    reply_mode: Literal["explicit", "thread"] = "explicit"

    _lists = field_validator("staff_users", "watch_channels", mode="before")(_split_list)

    @property
    def enabled(self) -> bool:
        return self.bot_token is not None


class DiscordSettings(_Section):
    token: SecretStr | None = None
    api_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
    guild_id: int | None = None
    support_channel_id: int | None = None
    staff_role_id: int | None = None
    log_channel_id: int | None = None
    shard_count: int | None = Field(None, ge=1)
    max_open_per_user: int = Field(3, ge=1)
    # seconds discord.py waits after the last GUILD_CREATE before READY (tests and benches set it small)
    guild_ready_timeout: float = Field(2.0, ge=0)
    # also DM the transcript to the requester on close (a failed DM is logged, never fatal)
    transcript_to_requester: bool = True
    # the adapter spaces its own REST calls under Discord's global limit of 50/s per bot (0 = off);
    # interaction answers are exempt. Several processes sharing one token: divide between them.
    rest_per_second: float = Field(48.0, ge=0)

    @property
    def enabled(self) -> bool:
        return self.token is not None


class DigestSettings(_Section):
    time: str = "09:00"
    timezone: str = "UTC"
    slack_channel: str | None = None
    discord_channel_id: int | None = None


class SlaSettings(_Section):
    low: str = "48h"
    medium: str = "24h"
    high: str = "4h"
    urgent: str = "1h"
    business_hours: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TICKETBOT_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    database_url: str = "sqlite+aiosqlite:///./ticketbot.db"
    http: HttpSettings = HttpSettings()
    api_tokens: CommaList = []
    webhook_secret: SecretStr | None = None
    categories: CommaList = ["Technical", "Billing", "General"]
    reopen_window_days: int = Field(7, ge=0)
    pending_on_staff_reply: bool = True
    log_level: str = "INFO"
    slack: SlackSettings = SlackSettings()
    discord: DiscordSettings = DiscordSettings()
    digest: DigestSettings = DigestSettings()
    smtp: SmtpSettings = SmtpSettings()
    sla: SlaSettings = SlaSettings()

    _lists = field_validator("api_tokens", "categories", mode="before")(_split_list)

    @field_validator("categories")
    @classmethod
    def _categories_not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one category is needed")
        return value

    @model_validator(mode="after")
    def _platforms_complete(self) -> Settings:
        """A platform that is switched on (its token set) needs the rest of its settings."""
        missing = []
        if self.slack.enabled:
            if self.slack.app_token is None and self.slack.signing_secret is None:
                missing.append("TICKETBOT_SLACK__SIGNING_SECRET (or __APP_TOKEN for Socket Mode)")
            if not self.slack.staff_channel:
                missing.append("TICKETBOT_SLACK__STAFF_CHANNEL")
        if self.discord.enabled:
            for name in ("guild_id", "support_channel_id"):
                if getattr(self.discord, name) is None:
                    missing.append(f"TICKETBOT_DISCORD__{name.upper()}")
        if missing:
            raise ValueError("missing " + ", ".join(missing))
        return self


class SettingsError(Exception):
    """A missing or malformed setting; ``str()`` is one line naming the variable."""


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; turn validation errors into one readable line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            message = str(err["msg"]).removeprefix("Value error, ")
            path = [str(p).upper() for p in err["loc"] if not isinstance(p, int)]
            problems.append(f"TICKETBOT_{'__'.join(path)}: {message}" if path else message)
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None
