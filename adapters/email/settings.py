"""``TICKETBOT_SMTP__*``: where notification mails go out and who they come from.

Email is off until ``TICKETBOT_SMTP__HOST`` is set; then ``__FROM`` is required. Port 465 means implicit TLS
(RFC 8314 "submissions"); any other port speaks plain SMTP and upgrades with STARTTLS unless
``__STARTTLS=false`` (a relay on a trusted network).
"""

from __future__ import annotations

from email.headerregistry import Address
from typing import Any

from pydantic import BaseModel, Field, SecretStr, ValidationInfo, field_validator, model_validator

from adapters.email.addresses import parse_mailbox

IMPLICIT_TLS_PORT = 465


class SmtpSettings(BaseModel):
    model_config = {"extra": "forbid", "populate_by_name": True}

    host: str | None = None
    port: int = Field(587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = Field(None, validate_default=True)
    from_: str | None = Field(None, alias="from")
    starttls: bool = True
    reply_to: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_checked_with_host(cls, data: Any) -> Any:
        """An unset FROM is validated too when HOST is set, so its error names TICKETBOT_SMTP__FROM."""
        if isinstance(data, dict) and data.get("host") and "from" not in data and "from_" not in data:
            return {**data, "from": ""}
        return data

    @field_validator("host", "username", "reply_to", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("password")
    @classmethod
    def _password_with_username(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if info.data.get("username") and value is None:
            raise ValueError("is required when TICKETBOT_SMTP__USERNAME is set")
        return value

    @field_validator("from_")
    @classmethod
    def _from_is_one_address(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            if info.data.get("host"):
                raise ValueError("is required when TICKETBOT_SMTP__HOST is set (e.g. Support <support@example.com>)")
            return None
        if parse_mailbox(value) is None:
            raise ValueError(f"{value!r} is not one email address (e.g. Support <support@example.com>)")
        return value.strip()

    @field_validator("reply_to")
    @classmethod
    def _reply_to_is_one_address(cls, value: str | None) -> str | None:
        if value is not None and parse_mailbox(value) is None:
            raise ValueError(f"{value!r} is not one email address (e.g. help@example.com)")
        return value.strip() if value else None

    @property
    def enabled(self) -> bool:
        return self.host is not None

    @property
    def from_address(self) -> Address:
        """The parsed ``From``; only meaningful when email is enabled."""
        address = parse_mailbox(self.from_ or "")
        if address is None:
            raise ValueError("TICKETBOT_SMTP__FROM is not set")
        return address

    @property
    def reply_to_address(self) -> Address | None:
        return parse_mailbox(self.reply_to) if self.reply_to else None

    @property
    def implicit_tls(self) -> bool:
        return self.port == IMPLICIT_TLS_PORT
