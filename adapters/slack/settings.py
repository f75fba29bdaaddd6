"""The Slack section of the configuration (``TICKETBOT_SLACK__*``); imports no Slack SDK."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import SecretStr, field_validator, model_validator

from core.config import CommaList, Section, split_list


class SlackSettings(Section):
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    api_url: str = "https://slack.com/api/"
    staff_channel: str | None = None
    staff_users: CommaList = []
    staff_usergroup: str | None = None
    watch_channels: CommaList = []
    reply_mode: Literal["explicit", "thread"] = "explicit"
    escalation_usergroup: str | None = None

    _lists = field_validator("staff_users", "watch_channels", mode="before")(split_list)

    @field_validator("escalation_usergroup")
    @classmethod
    def _usergroup_id(cls, value: str | None) -> str | None:
        """The one group the bot ever mentions on its own: it must be a user group id, nothing else."""
        if value is not None and not re.fullmatch(r"S[A-Z0-9]{2,}", value.strip()):
            raise ValueError(
                f"{value[:30]!r} is not a Slack user group id (like S0123ABCD: Slack → People → User groups → "
                "the group's ⋮ menu → Copy group ID)"
            )
        return value.strip() if value is not None else None

    @property
    def enabled(self) -> bool:
        return self.bot_token is not None

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @model_validator(mode="after")
    def _complete(self) -> SlackSettings:
        """Slack switched on (a bot token) needs the rest; each missing piece is named."""
        if not self.enabled:
            return self
        missing = []
        if self.app_token is None and self.signing_secret is None:
            missing.append("TICKETBOT_SLACK__SIGNING_SECRET (HTTP mode) or TICKETBOT_SLACK__APP_TOKEN (Socket Mode)")
        if not self.staff_channel:
            missing.append("TICKETBOT_SLACK__STAFF_CHANNEL (a channel id like C0123ABC)")
        if not self.staff_users and not self.staff_usergroup:
            missing.append("TICKETBOT_SLACK__STAFF_USERS or TICKETBOT_SLACK__STAFF_USERGROUP (who is support staff)")
        if missing:
            raise ValueError("Slack needs " + "; ".join(missing))
        return self
