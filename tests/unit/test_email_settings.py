"""TICKETBOT_SMTP__*: read by name, and a bad value is one line naming the variable."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings

pytestmark = pytest.mark.usefixtures("clean_env")


def test_email_is_off_by_default() -> None:
    assert not load_settings().smtp.enabled


def test_smtp_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "TICKETBOT_SMTP__HOST": "smtp.example.com",
        "TICKETBOT_SMTP__PORT": "465",
        "TICKETBOT_SMTP__USERNAME": "bot",
        "TICKETBOT_SMTP__PASSWORD": "pw",
        "TICKETBOT_SMTP__FROM": "Support Desk <support@example.com>",
        "TICKETBOT_SMTP__STARTTLS": "false",
        "TICKETBOT_SMTP__REPLY_TO": "help@example.com",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    smtp = load_settings().smtp
    assert smtp.enabled and smtp.implicit_tls and smtp.starttls is False
    assert (smtp.from_address.display_name, smtp.from_address.addr_spec) == ("Support Desk", "support@example.com")
    assert smtp.reply_to_address is not None and smtp.reply_to_address.addr_spec == "help@example.com"
    assert smtp.password is not None and smtp.password.get_secret_value() == "pw"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TICKETBOT_SMTP__HOST": "smtp.example.com"},
         "TICKETBOT_SMTP__FROM: is required when TICKETBOT_SMTP__HOST is set"),
        ({"TICKETBOT_SMTP__HOST": "smtp.example.com", "TICKETBOT_SMTP__FROM": " "},
         "TICKETBOT_SMTP__FROM: is required when TICKETBOT_SMTP__HOST is set"),
        ({"TICKETBOT_SMTP__HOST": "h", "TICKETBOT_SMTP__FROM": "support"},
         "TICKETBOT_SMTP__FROM: 'support' is not one email address"),
        ({"TICKETBOT_SMTP__HOST": "h", "TICKETBOT_SMTP__FROM": "a@example.com, b@example.com"},
         "TICKETBOT_SMTP__FROM: 'a@example.com, b@example.com' is not one email address"),
        ({"TICKETBOT_SMTP__HOST": "h", "TICKETBOT_SMTP__FROM": "s@example.com", "TICKETBOT_SMTP__REPLY_TO": "help@"},
         "TICKETBOT_SMTP__REPLY_TO: 'help@' is not one email address"),
        ({"TICKETBOT_SMTP__HOST": "h", "TICKETBOT_SMTP__FROM": "s@example.com", "TICKETBOT_SMTP__USERNAME": "bot"},
         "TICKETBOT_SMTP__PASSWORD: is required when TICKETBOT_SMTP__USERNAME is set"),
        ({"TICKETBOT_SMTP__PORT": "0"}, "TICKETBOT_SMTP__PORT: Input should be greater than or equal to 1"),
    ],
)  # fmt: skip
def test_bad_smtp_settings_are_one_line(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert message in str(err.value) and "\n" not in str(err.value)
