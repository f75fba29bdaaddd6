"""Configuration from the environment (prefix ``TICKETBOT_``, nested with ``__``, ``.env`` read).

This module composes the sections: each adapter owns its own (``adapters/<name>/settings.py``) and the core
features' sections (SLA, stale tickets, digest, outbox, alerts, rules, health) live here. The variable names
are a contract shared with the docs and deployments: add, never rename. List values are comma-separated
(``U01,U02``); a JSON array is accepted too. Durations read like ``48h``, ``90m``, ``3d``.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.discord.settings import DiscordSettings
from adapters.email.settings import SmtpSettings
from adapters.slack.settings import SlackSettings
from adapters.web.settings import HttpSettings
from core.config import CommaList, Section, split_list
from core.errors import InvalidInput
from core.model import Priority
from core.sla import BusinessHours, parse_duration

__all__ = [
    "DiscordSettings",
    "HttpSettings",
    "Settings",
    "SettingsError",
    "SlackSettings",
    "SmtpSettings",
    "load_settings",
]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _duration(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value
    try:
        return parse_duration(str(value))
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None


def _duration_or_off(value: Any) -> Any:
    if value is None or str(value).strip().lower() in ("off", "never", "0", "false", "no"):
        return None
    return _duration(value)


def _timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        name = str(value)[:40]
        raise ValueError(f"unknown time zone {name!r}; write an IANA name like Europe/Berlin or UTC") from None
    return str(value)


Duration = Annotated[timedelta, BeforeValidator(_duration)]
OptionalDuration = Annotated[timedelta | None, BeforeValidator(_duration_or_off)]
TimeZoneName = Annotated[str, BeforeValidator(_timezone)]


class SlaSettings(Section):
    low: Duration = timedelta(hours=48)
    medium: Duration = timedelta(hours=24)
    high: Duration = timedelta(hours=4)
    urgent: Duration = timedelta(hours=1)
    business_hours: str | None = None
    warn_at: float = Field(0.75, gt=0, lt=1)

    @field_validator("business_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value:
            try:
                BusinessHours.parse(value)
            except InvalidInput as exc:
                raise ValueError(str(exc)) from None
        return value or None

    def target(self, priority: Priority) -> timedelta:
        value: timedelta = getattr(self, priority.value.lower())
        return value


class StaleSettings(Section):
    remind_after: OptionalDuration = timedelta(days=3)
    close_after: OptionalDuration = timedelta(days=7)


class DigestSettings(Section):
    time: str = "09:00"
    timezone: TimeZoneName = "UTC"
    slack_channel: str | None = None
    discord_channel_id: int | None = None

    @field_validator("time")
    @classmethod
    def _clock(cls, value: str) -> str:
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise ValueError(f"{value[:20]!r} is not a time of day; write HH:MM on a 24-hour clock, e.g. 09:00")
        return f"{int(match.group(1)):02d}:{match.group(2)}"


class OutboxSettings(Section):
    dead_after: Duration = timedelta(hours=24)


class AlertsSettings(Section):
    close_on_resolve: bool = False
    priority_map: str = "critical:urgent,error:high,warning:medium,info:low"

    @field_validator("priority_map")
    @classmethod
    def _map(cls, value: str) -> str:
        for pair in split_list(value):
            severity, _, priority = pair.partition(":")
            if not severity.strip() or not priority.strip():
                raise ValueError(f"{pair!r} is not severity:priority (e.g. critical:urgent)")
            try:
                Priority.parse(priority)
            except InvalidInput as exc:
                raise ValueError(str(exc)) from None
        return value


class RulesSettings(Section):
    keywords: CommaList = []
    cooldown: Duration = timedelta(minutes=10)

    _lists = field_validator("keywords", mode="before")(split_list)


class HealthSettings(Section):
    grace: Duration = timedelta(minutes=5)


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
    max_open_per_user: int | None = Field(None, ge=1)
    timezone: TimeZoneName = "UTC"
    log_level: str = "INFO"
    slack: SlackSettings = SlackSettings()
    discord: DiscordSettings = DiscordSettings()
    digest: DigestSettings = DigestSettings()
    smtp: SmtpSettings = SmtpSettings()
    sla: SlaSettings = SlaSettings()
    stale: StaleSettings = StaleSettings()
    outbox: OutboxSettings = OutboxSettings()
    alerts: AlertsSettings = AlertsSettings()
    rules: RulesSettings = RulesSettings()
    health: HealthSettings = HealthSettings()

    _lists = field_validator("api_tokens", "categories", mode="before")(split_list)

    @field_validator("categories")
    @classmethod
    def _categories_not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one category is needed")
        if len({v.lower() for v in value}) != len(value):
            raise ValueError("a category is listed twice")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"{value[:20]!r} is not a log level; write one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper()

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return check_database_url(value)

    @property
    def open_limit(self) -> int:
        """Open tickets one requester may have, on every platform (the Discord name is still read)."""
        return self.max_open_per_user or self.discord.max_open_per_user or 3


def check_database_url(url: str) -> str:
    """Accept the two async drivers ticketbot runs on; say exactly what to write for anything else."""
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    example = "sqlite+aiosqlite:///./ticketbot.db or postgresql+asyncpg://user@host/dbname"
    if not sep:
        raise ValueError(f"{text[:40]!r} is not a database URL; write {example}")
    if scheme in ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        raise ValueError(f"ticketbot talks to PostgreSQL through asyncpg: write postgresql+asyncpg://{rest[:60]}")
    if scheme in ("sqlite", "sqlite+pysqlite"):
        raise ValueError(f"ticketbot talks to SQLite through aiosqlite: write sqlite+aiosqlite://{rest[:60]}")
    if scheme not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise ValueError(f"unsupported database {scheme[:30]!r}; write {example}")
    if scheme == "postgresql+asyncpg" and not rest.split("/", 1)[0]:
        raise ValueError("the PostgreSQL URL names no host; write postgresql+asyncpg://user@host/dbname")
    if scheme == "sqlite+aiosqlite":
        path = rest.removeprefix("/")
        if path and path != ":memory:" and not path.startswith("file:"):
            folder = Path(path).expanduser().parent
            if not folder.is_dir():
                raise ValueError(f"the folder {str(folder)[:80]!r} of the SQLite file does not exist")
            if not os.access(folder, os.W_OK):
                raise ValueError(f"the folder {str(folder)[:80]!r} of the SQLite file is not writable")
    return text


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
            if err["type"] == "extra_forbidden":
                message = "no such setting (misspelt?)"
            named = path and not (len(path) == 1 and "TICKETBOT_" in message)  # a section names its variables
            problems.append(f"TICKETBOT_{'__'.join(path)}: {message}" if named else message)
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None


def unknown_variables(environ: dict[str, str] | None = None) -> list[str]:
    """``TICKETBOT_…`` variables that name no setting (a typo is reported, never silently ignored)."""
    if environ is None:
        environ = dict(os.environ)
        if Path(".env").is_file():
            from dotenv import dotenv_values

            environ.update({k: v or "" for k, v in dotenv_values(".env").items()})
    known = set()
    for name, info in Settings.model_fields.items():
        key = f"TICKETBOT_{name.upper()}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for sub, sub_info in annotation.model_fields.items():
                known.add(f"{key}__{(sub_info.alias or sub).upper()}")
        else:
            known.add(key)
    known |= {"TICKETBOT_TEST_DATABASE_URL"}
    return sorted(k for k in environ if k.upper().startswith("TICKETBOT_") and k.upper() not in known)
